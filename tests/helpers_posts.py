"""Shared steps for the posts, tags and pagination tests: data written straight through the app's engine,
for times the API cannot set and for data sets too big to post one by one."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from kaira.posts.models import Post
from kaira.tags.models import Tag, post_tags
from kaira.users.models import User
from tests.conftest import PASSWORD_HASH

T0 = datetime(2026, 1, 15, 10, 30, tzinfo=UTC)


def set_created_at(client: TestClient, app: FastAPI, post_ids: Iterable[int], when: datetime) -> None:
    """Give posts a creation time of our choosing (the API never lets a client set it)."""
    client.portal.call(_set_times, app, list(post_ids), when, None)  # type: ignore[union-attr]


def set_times(
    client: TestClient, app: FastAPI, post_id: int, *, created_at: datetime, updated_at: datetime
) -> None:
    client.portal.call(_set_times, app, [post_id], created_at, updated_at)  # type: ignore[union-attr]


async def _set_times(
    app: FastAPI, post_ids: list[int], created_at: datetime, updated_at: datetime | None
) -> None:
    values: dict[str, datetime] = {"created_at": created_at}
    if updated_at is not None:
        values["updated_at"] = updated_at
    async with app.state.sessionmaker() as session, session.begin():
        await session.execute(update(Post).where(Post.id.in_(post_ids)).values(**values))


def spread_in_time(client: TestClient, app: FastAPI, post_ids: Sequence[int]) -> None:
    """The first id the oldest, a second apart: the newest-first order becomes known in advance."""
    for offset, post_id in enumerate(post_ids):
        set_created_at(client, app, [post_id], T0 + timedelta(seconds=offset))


def count_rows(client: TestClient, app: FastAPI) -> dict[str, int]:
    """Rows in every table the posts domain writes: proof that a refused request stored nothing."""
    return client.portal.call(_count_rows, app)  # type: ignore[union-attr, no-any-return]


async def _count_rows(app: FastAPI) -> dict[str, int]:
    async with app.state.sessionmaker() as session:
        return {
            "posts": await session.scalar(select(func.count()).select_from(Post)) or 0,
            "tags": await session.scalar(select(func.count()).select_from(Tag)) or 0,
            "post_tags": await session.scalar(select(func.count()).select_from(post_tags)) or 0,
        }


def bulk_posts(
    client: TestClient,
    app: FastAPI,
    *,
    posts: int,
    authors: int,
    tags_per_post: int = 2,
    tag_pool: int | None = None,
    published: bool = True,
) -> list[int]:
    """`posts` posts by `authors` new users, inserted in one transaction. Post i is created at T0 + i
    seconds and has `tags_per_post` consecutive tags out of `tag_pool` (default: three times as many)
    named tag0, tag1, ... Returns the post ids, oldest first."""
    pool = tag_pool or tags_per_post * 3
    return client.portal.call(  # type: ignore[union-attr, no-any-return]
        _bulk_posts, app, posts, authors, tags_per_post, pool, published
    )


async def _bulk_posts(
    app: FastAPI, posts: int, authors: int, tags_per_post: int, pool: int, published: bool
) -> list[int]:
    async with app.state.sessionmaker() as session, session.begin():
        prefix = f"bulk{await session.scalar(select(func.count()).select_from(User))}"
        users = [
            User(username=f"{prefix}_{i}", email=f"{prefix}_{i}@example.com", password_hash=PASSWORD_HASH)
            for i in range(authors)
        ]
        names = [f"tag{i}" for i in range(pool)]
        existing = {tag.name: tag for tag in await session.scalars(select(Tag).where(Tag.name.in_(names)))}
        tags = [existing.get(name) or Tag(name=name) for name in names]
        rows = [
            Post(
                title=f"Post {i}",
                content=f"Body of post {i}",
                is_published=published,
                author=users[i % authors],
                tags=[tags[(i + j) % len(tags)] for j in range(tags_per_post)],
                created_at=T0 + timedelta(seconds=i),
                updated_at=T0 + timedelta(seconds=i),
            )
            for i in range(posts)
        ]
        session.add_all(rows)
        await session.flush()
        return [post.id for post in rows]
