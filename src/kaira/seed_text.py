"""Words for demo posts: Korean and English titles and Markdown bodies, and the people who write them.

Pure and deterministic for a given random generator, so a seed is repeatable.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

KOREAN_FAMILY = (
    ("김", "kim"),
    ("이", "lee"),
    ("박", "park"),
    ("최", "choi"),
    ("정", "jung"),
    ("강", "kang"),
    ("조", "cho"),
    ("윤", "yoon"),
    ("장", "jang"),
    ("임", "lim"),
    ("한", "han"),
)
KOREAN_GIVEN = (
    ("민준", "minjun"),
    ("서연", "seoyeon"),
    ("지호", "jiho"),
    ("하은", "haeun"),
    ("도윤", "doyun"),
    ("수아", "sua"),
    ("예준", "yejun"),
    ("지우", "jiwoo"),
    ("지민", "jimin"),
)
ENGLISH_GIVEN = ["Ada", "Grace", "Alan", "Linus", "Margaret", "Ken", "Barbara", "Dennis", "Frances", "Guido"]
ENGLISH_FAMILY = [
    "Brooks",
    "Hopper",
    "Turing",
    "Hamilton",
    "Thompson",
    "Liskov",
    "Ritchie",
    "Allen",
    "Lovelace",
]


@dataclass(frozen=True)
class Topic:
    """A subject people write about, in one language: titles to fill in, sentences, and its tags."""

    titles: tuple[str, ...]
    subjects: tuple[str, ...]
    sentences: tuple[str, ...]
    tags: tuple[str, ...]
    code: str | None = None


TOPICS = (
    Topic(
        titles=("{s} 처음 써 본 후기", "{s}로 API 만들기", "{s}에서 자주 하는 실수 5가지", "{s} 성능 개선기"),
        subjects=("FastAPI", "SQLAlchemy 2.0", "asyncpg", "Alembic", "PostgreSQL"),
        sentences=(
            "처음에는 설정이 낯설었지만 문서를 읽고 나니 금방 익숙해졌습니다.",
            "비동기 세션을 쓸 때는 지연 로딩을 조심해야 합니다.",
            "마이그레이션은 작은 단위로 나누어 적용하는 편이 안전합니다.",
            "테스트는 실제 데이터베이스에서 돌려야 의미가 있습니다.",
            "인덱스 하나로 응답 시간이 열 배 가까이 줄었습니다.",
        ),
        tags=("python", "fastapi", "데이터베이스", "postgresql", "개발"),
        code="async def get_post(post_id: int) -> Post:\n    return await repository.get(post_id)",
    ),
    Topic(
        titles=("Getting started with {s}", "What I learned shipping {s}", "{s} in production", "Why {s}?"),
        subjects=("FastAPI", "SQLite", "PostgreSQL", "async Python", "Redis", "type hints"),
        sentences=(
            "The first version was simple, and that turned out to be its best feature.",
            "Measure before you optimise: the slow part is rarely where you expect it.",
            "Every bug we found in review had a missing test behind it.",
            "Connection pools are easy to size wrongly under real load.",
            "A clear error message saves more time than any clever abstraction.",
        ),
        tags=("python", "sqlite", "postgresql", "async", "tutorial", "web"),
        code="SELECT id, title FROM posts\nWHERE is_published\nORDER BY created_at DESC\nLIMIT 20;",
    ),
    Topic(
        titles=("{s} 여행 일기", "{s}에서 보낸 주말", "다시 가고 싶은 {s}", "{s} 맛집 정리"),
        subjects=("제주도", "부산", "경주", "강릉", "전주", "서울 북촌"),
        sentences=(
            "아침 일찍 출발해서 사람이 붐비기 전에 도착했습니다.",
            "바다가 보이는 카페에서 한참을 앉아 있었어요.",
            "현지 시장에서 먹은 국밥이 이번 여행 최고의 한 끼였습니다.",
            "다음에는 조금 더 여유롭게 일정을 잡으려고 합니다.",
        ),
        tags=("여행", "일상", "사진", "서울", "맛집"),
    ),
    Topic(
        titles=("A week in {s}", "Notes from {s}", "{s} on a budget", "Photos from {s}"),
        subjects=("Lisbon", "Kyoto", "Seoul", "Edinburgh", "Vancouver"),
        sentences=(
            "We walked everywhere and still missed half of what we planned.",
            "The best meal of the trip came from a stall with no name.",
            "Trains were on time, which made the whole plan possible.",
            "I would go back in autumn, when the streets are quieter.",
        ),
        tags=("travel", "photography", "서울", "life"),
    ),
    Topic(
        titles=("오늘의 {s} 레시피", "집에서 만드는 {s}", "{s} 실패하지 않는 법"),
        subjects=("김치찌개", "된장국", "떡볶이", "잡채", "비빔밥"),
        sentences=(
            "재료는 전날 미리 손질해 두면 훨씬 편합니다.",
            "간은 마지막에 맞추는 것이 실패하지 않는 비결입니다.",
            "남은 음식은 다음 날 더 맛있어지기도 합니다.",
        ),
        tags=("요리", "레시피", "일상", "맛집"),
    ),
    Topic(
        titles=("Review: {s}", "{s}, one year later", "Reading notes: {s}"),
        subjects=(
            "The Pragmatic Programmer",
            "Designing Data-Intensive Applications",
            "a mechanical keyboard",
        ),
        sentences=(
            "It is not perfect, but it changed how I work every day.",
            "The second half is where the book really shines.",
            "I would recommend it to anyone who builds services for a living.",
        ),
        tags=("review", "books", "리뷰", "책"),
    ),
)

LINKS = (
    ("FastAPI 문서", "https://fastapi.tiangolo.com/"),
    ("SQLAlchemy documentation", "https://docs.sqlalchemy.org/"),
    ("PostgreSQL manual", "https://www.postgresql.org/docs/"),
    ("한국관광공사", "https://korean.visitkorea.or.kr/"),
)
TAG_NAMES = tuple(sorted({tag for topic in TOPICS for tag in topic.tags}))


def person(rng: random.Random, number: int) -> tuple[str, str]:
    """A (username, full name) pair; the number keeps usernames unique."""
    if rng.random() < 0.6:
        (family, family_latin), (given, given_latin) = rng.choice(KOREAN_FAMILY), rng.choice(KOREAN_GIVEN)
        return f"{given_latin}.{family_latin}{number}", family + given
    given, family = rng.choice(ENGLISH_GIVEN), rng.choice(ENGLISH_FAMILY)
    return f"{given.lower()}.{family.lower()}{number}", f"{given} {family}"


def post(rng: random.Random) -> tuple[str, str, list[str]]:
    """A (title, Markdown content, tags) triple: headings, paragraphs, a list, sometimes code and a link."""
    topic = rng.choice(TOPICS)
    title = rng.choice(topic.titles).format(s=rng.choice(topic.subjects))
    blocks = [" ".join(rng.sample(topic.sentences, k=min(3, len(topic.sentences))))]
    blocks.append(f"## {rng.choice(topic.subjects)}")
    blocks.append("\n".join(f"- {sentence}" for sentence in rng.sample(topic.sentences, k=2)))
    if topic.code is not None and rng.random() < 0.5:
        language = "sql" if topic.code.startswith("SELECT") else "python"
        blocks.append(f"```{language}\n{topic.code}\n```")
    if rng.random() < 0.4:
        label, url = rng.choice(LINKS)
        blocks.append(f"**{rng.choice(topic.sentences)}** [{label}]({url})")
    tags = rng.sample(topic.tags, k=rng.randint(1, min(3, len(topic.tags))))
    return title, "\n\n".join(blocks), tags
