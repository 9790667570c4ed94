"""Demo data for trying the service and measuring it."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import func, insert, select

from kaira.auth.security import hash_password
from kaira.config import Settings
from kaira.database.base import utcnow
from kaira.database.engines import Engines
from kaira.database.sessions import make_sessionmaker
from kaira.models import Post, User, configure_models, post_tags
from kaira.tags.repository import tags_named

DEMO_PASSWORD = "demo-password"  # noqa: S105 - documented demo account password
TAG_NAMES = [
    "python",
    "fastapi",
    "sqlalchemy",
    "postgresql",
    "sqlite",
    "async",
    "web",
    "데이터베이스",
    "tutorial",
    "news",
]
BATCH = 1000


async def seed_demo(settings: Settings, *, users: int, posts: int) -> tuple[int, int]:
    """Adds USERS users and POSTS posts, whatever is there already (names never collide)."""
    rng = random.Random(20261125)  # noqa: S311 - demo data, not secrets
    configure_models()
    engines = Engines.open(settings)
    sessionmaker = make_sessionmaker(engines.transactional)
    password_hash = hash_password(DEMO_PASSWORD)  # once: hashing per user would take minutes
    now = utcnow()
    try:
        async with sessionmaker() as session, session.begin():
            start = (await session.scalar(select(func.coalesce(func.max(User.id), 0)))) or 0
            rows = [
                {
                    "username": f"demo{start + i}",
                    "email": f"demo{start + i}@example.com",
                    "full_name": f"Demo User {start + i}",
                    "password_hash": password_hash,
                    "created_at": now,
                    "updated_at": now,
                }
                for i in range(1, users + 1)
            ]
            user_ids = list((await session.scalars(insert(User).returning(User.id), rows)).all())
            tag_ids = [tag.id for tag in await tags_named(session, sorted(TAG_NAMES))]
            for offset in range(0, posts, BATCH):
                count = min(BATCH, posts - offset)
                post_rows = [
                    {
                        "title": f"Demo post {offset + i + 1}",
                        "content": f"Demo content number {offset + i + 1}. " * 5,
                        "author_id": rng.choice(user_ids),
                        "is_published": rng.random() < 0.9,
                        "created_at": now - timedelta(minutes=offset + i),
                        "updated_at": now - timedelta(minutes=offset + i),
                    }
                    for i in range(count)
                ]
                post_ids = list((await session.scalars(insert(Post).returning(Post.id), post_rows)).all())
                links = [
                    {"post_id": post_id, "tag_id": tag_id}
                    for post_id in post_ids
                    for tag_id in rng.sample(tag_ids, k=2)
                ]
                await session.execute(insert(post_tags), links)
    finally:
        await engines.dispose()
    return users, posts
