"""The benchmark's data, generated deterministically so that every server and every run reads the same rows.

Pure functions only (no database): `seed.py` loads these rows, and the wrk scripts get the ranges they draw
ids from here too (through `workloads.script_env`), so a request never asks for a row the seed did not make.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

PASSWORD = "benchpass123"  # noqa: S105 - a public test password of seeded data, not a secret
"""Every seeded user's password: the login workload signs in with it."""

SEED = 20_240_917
YEAR = timedelta(days=365)

TAG_NAMES: tuple[str, ...] = (
    "python", "fastapi", "sqlalchemy", "postgresql", "sqlite", "asyncio", "pydantic", "testing",
    "performance", "security", "docker", "linux", "networking", "databases", "indexes", "caching",
    "http", "json", "rest", "auth", "passwords", "tokens", "migrations", "alembic", "typing", "mypy",
    "ruff", "profiling", "benchmarks", "logging", "monitoring", "deployment", "nginx", "uvicorn",
    "starlette", "orm", "sql", "design", "architecture", "tutorial", "beginners", "advanced", "tips",
    "debugging", "concurrency", "memory", "unicode", "korean", "travel", "cooking",
)  # fmt: skip

WORDS: tuple[str, ...] = (
    "the", "a", "of", "and", "to", "in", "is", "that", "for", "it", "with", "as", "on", "be", "at", "by",
    "this", "from", "or", "an", "we", "can", "how", "why", "when", "server", "request", "response",
    "query", "index", "table", "column", "page", "cursor", "token", "password", "user", "post", "tag",
    "latency", "throughput", "memory", "cache", "pool", "connection", "transaction", "commit", "rollback",
    "python", "database", "async", "await", "loop", "thread", "process", "worker", "queue", "lock",
    "schema", "migration", "validation", "error", "timeout", "retry", "deploy", "release", "version",
    "test", "fixture", "coverage", "profile", "benchmark", "fast", "slow", "simple", "small", "large",
    "morning", "evening", "coffee", "garden", "river", "mountain", "city", "train", "book", "music",
    "서울", "부산", "한국어", "데이터", "서버", "검색", "사용자", "게시물", "성능", "커피",
)  # fmt: skip

SEARCH_WORDS: tuple[str, ...] = (
    "latency", "cursor", "garden", "migration", "coffee", "benchmark", "river", "서울", "데이터", "성능",
)  # fmt: skip
"""What the search workload asks for: words of the content's vocabulary, English and Korean."""


@dataclass(frozen=True)
class DatasetSpec:
    """How many rows of each kind; every other property of the data follows from these and `SEED`."""

    users: int
    posts: int
    draft_every: int
    """Post ids divisible by this are drafts (unpublished); 0 publishes every post."""
    tags_per_post: int = 2
    words_per_post: int = 40

    def is_published(self, post_id: int) -> bool:
        return self.draft_every == 0 or post_id % self.draft_every != 0

    @property
    def published(self) -> int:
        return self.posts if self.draft_every == 0 else self.posts - self.posts // self.draft_every


SMALL = DatasetSpec(users=100, posts=1_000, draft_every=10)
"""The everyday data set: 100 users, 1,000 posts, 90 % of them published."""

DEEP = DatasetSpec(users=100, posts=100_000, draft_every=0)
"""Deep pages: every post is published, so that page 5,000 of 20 (skip=99,980) exists for anyone."""


class UserRow(NamedTuple):
    id: int
    username: str
    email: str
    password_hash: str
    full_name: str
    is_active: bool
    is_superuser: bool
    created_at: datetime
    updated_at: datetime


class PostRow(NamedTuple):
    id: int
    title: str
    content: str
    author_id: int
    is_published: bool
    created_at: datetime
    updated_at: datetime


def username(user_id: int) -> str:
    return f"user{user_id}"


def users(spec: DatasetSpec, password_hash: str, now: datetime) -> Iterator[UserRow]:
    """Users joined before any post was written, one hour apart."""
    start = now - YEAR - timedelta(hours=spec.users)
    for user_id in range(1, spec.users + 1):
        joined = start + timedelta(hours=user_id)
        name = username(user_id)
        yield UserRow(
            user_id,
            name,
            f"{name}@example.com",
            password_hash,
            f"Bench User {user_id}",
            True,
            False,
            joined,
            joined,
        )


def posts(spec: DatasetSpec, now: datetime) -> Iterator[PostRow]:
    """Posts spread over the users and over the past year, at distinct seconds in an order unrelated to ids.

    Distinct times keep "newest first" a total order, and times that do not follow ids keep an index on
    `created_at` honest: sorting by id would give the same answer by accident.
    """
    rng = random.Random(SEED)
    offsets = rng.sample(range(int(YEAR.total_seconds())), spec.posts)
    start = now - YEAR
    for post_id, offset in enumerate(offsets, start=1):
        words = rng.choices(WORDS, k=spec.words_per_post)
        title = f"{words[0].capitalize()} {words[1]} {words[2]} #{post_id}"
        content = " ".join(words).capitalize() + "."
        written = start + timedelta(seconds=offset)
        author = (post_id - 1) % spec.users + 1
        yield PostRow(post_id, title, content, author, spec.is_published(post_id), written, written)


def post_tags(spec: DatasetSpec) -> Iterator[tuple[int, int]]:
    """(post_id, tag_id) pairs: `tags_per_post` distinct tags per post; tag ids follow `TAG_NAMES`."""
    rng = random.Random(SEED + 1)
    tag_ids = range(1, len(TAG_NAMES) + 1)
    for post_id in range(1, spec.posts + 1):
        for tag_id in rng.sample(tag_ids, spec.tags_per_post):
            yield post_id, tag_id


def now_utc() -> datetime:
    """Seeding time, to the second: the data set's "past year" ends here."""
    return datetime.now(UTC).replace(microsecond=0)
