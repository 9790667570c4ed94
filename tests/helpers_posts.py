"""Shared steps for the posts, tags and pagination tests: data written straight through the app's engine
(for times the API cannot set, and for data sets too big to post one by one), and `Link` following."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import func, select, update

from kaira.posts.models import Post
from kaira.tags.models import Tag, post_tags
from kaira.users.models import User
from tests.conftest import PASSWORD_HASH

T0 = datetime(2026, 1, 15, 10, 30, tzinfo=UTC)
LINK = re.compile(r'^<(?P<url>[^>]+)>; rel="next"$')


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


def next_url(response: Response) -> str | None:
    """The URL of the next page from the `Link` header, or None on the last page."""
    header = response.headers.get("link")
    if header is None:
        return None
    match = LINK.match(header)
    assert match, f"malformed Link header: {header!r}"
    return match["url"]


def follow(client: TestClient, url: str, headers: dict[str, str] | None = None) -> list[list[Any]]:
    """Every page from `url` on, by following `Link: rel="next"` until a page has none."""
    pages: list[list[Any]] = []
    next_page: str | None = url
    while next_page is not None:
        response = client.get(next_page, headers=headers)
        assert response.status_code == 200, response.text
        pages.append(response.json())
        next_page = next_url(response)
        assert len(pages) < 1000, "the Link chain does not end"
    return pages


def by_skip(client: TestClient, url: str, limit: int, headers: dict[str, str] | None = None) -> list[Any]:
    """Every item of a list, read with skip/limit pages until one comes back short."""
    items: list[Any] = []
    separator = "&" if "?" in url else "?"
    while True:
        page = client.get(f"{url}{separator}skip={len(items)}&limit={limit}", headers=headers)
        assert page.status_code == 200, page.text
        items.extend(page.json())
        if len(page.json()) < limit:
            return items


def make_cursor(*values: Any) -> str:
    """A cursor as the service encodes one: URL-safe base64 of a JSON array, padding stripped."""
    return base64.urlsafe_b64encode(orjson.dumps(list(values))).decode().rstrip("=")


def read_cursor(url: str) -> list[Any]:
    cursor = re.search(r"[?&]cursor=([^&]+)", url)
    assert cursor, url
    raw = cursor[1]
    decoded: list[Any] = orjson.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    return decoded
