"""The read side of posts: one SQL statement per post or page, from rows straight to response data.

Reads are the hot path. The ORM's identity map and per-object instrumentation buy nothing for data that
is serialized and dropped, so reads select exactly the columns a response shows: the author joined, the
tag names aggregated in a correlated subquery (the shape the raw-asyncpg ceiling uses too).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Dialect, Row, Select, func, literal, or_, select, tuple_, type_coerce
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import JSON, TypeDecorator

from kaira.errors import NotFound
from kaira.pagination import Page, decode_cursor, encode_cursor
from kaira.posts.models import Post
from kaira.posts.service import visible_to
from kaira.tags.models import Tag, post_tags
from kaira.users.models import User

CURSOR_KIND = "posts"
MAX_SEARCH_WORDS = 10
PostData = dict[str, Any]


@dataclass(frozen=True, slots=True)
class PostFilter:
    author_id: int | None = None
    tag: str | None = None
    query: str | None = None
    published_only: bool = False


class TagNames(TypeDecorator[list[str]]):
    """Tag names as a sorted list, whether the database aggregated them as an array or as JSON text."""

    impl = JSON
    cache_ok = True

    def bind_processor(self, dialect: Dialect) -> None:
        return None  # a read-only expression: never bound

    def result_processor(self, dialect: Dialect, coltype: object) -> Any:
        def to_sorted_list(value: Any) -> list[str]:
            if value is None:
                return []
            names = orjson.loads(value) if isinstance(value, str | bytes) else value
            return sorted(names)

        return to_sorted_list


def _tag_names(dialect_name: str) -> ColumnElement[list[str]]:
    """PostgreSQL aggregates into an array (asyncpg hands back a list); SQLite into JSON text."""
    aggregate: ColumnElement[Any]
    if dialect_name == "postgresql":
        aggregate = func.array_agg(aggregate_order_by(Tag.name, Tag.name))
    else:
        aggregate = func.json_group_array(Tag.name)
    names = (
        select(aggregate)
        .select_from(post_tags)
        .join(Tag, Tag.id == post_tags.c.tag_id)
        .where(post_tags.c.post_id == Post.id)
        .scalar_subquery()
    )
    return type_coerce(names, TagNames()).label("tags")


def _post_rows(session: AsyncSession) -> Select[Any]:
    return select(
        Post.id,
        Post.title,
        Post.content,
        Post.author_id,
        Post.is_published,
        _tag_names(session.get_bind().dialect.name),
        Post.created_at,
        Post.updated_at,
        User.username,
        User.full_name,
        User.is_active,
        User.created_at.label("author_created_at"),
        User.updated_at.label("author_updated_at"),
    ).join_from(Post, User, User.id == Post.author_id)


def _as_post_data(row: Row[Any]) -> PostData:
    return {
        "id": row.id,
        "title": row.title,
        "content": row.content,
        "author_id": row.author_id,
        "is_published": row.is_published,
        "tags": row.tags,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
        "author": {
            "id": row.author_id,
            "username": row.username,
            "full_name": row.full_name,
            "is_active": row.is_active,
            "created_at": row.author_created_at,
            "updated_at": row.author_updated_at,
        },
    }


async def read_post(session: AsyncSession, post_id: int, *, viewer: User | None) -> PostData:
    query = _post_rows(session).where(Post.id == post_id, visible_to(viewer))
    row = (await session.execute(query)).first()
    if row is None:
        raise NotFound("Post not found")
    return _as_post_data(row)


async def read_posts(
    session: AsyncSession, page: Page, *, viewer: User | None, where: PostFilter
) -> Sequence[PostData]:
    """Newest first; one row more than the page so the caller knows whether a next page exists.

    The page's ids are chosen first, in a subquery that walks only the index; the author and the tags
    are then fetched for those rows alone. Otherwise `skip=99980` would aggregate the tags of every
    skipped row too, and a deep page would cost seconds instead of milliseconds.
    """
    chosen = select(Post.id).where(visible_to(viewer))
    if where.published_only:
        chosen = chosen.where(Post.is_published)
    if where.author_id is not None:
        chosen = chosen.where(Post.author_id == where.author_id)
    if where.tag is not None:
        tagged = (
            select(post_tags.c.post_id).join(Tag, Tag.id == post_tags.c.tag_id).where(Tag.name == where.tag)
        )
        chosen = chosen.where(Post.id.in_(tagged))
    if where.query:
        chosen = chosen.where(*_matches_words(where.query))
    if page.cursor is not None:
        created_at, post_id = decode_cursor(page.cursor, CURSOR_KIND, [datetime, int])
        # Typed as the column, so the instant is converted to UTC as stored, whatever its offset.
        after = tuple_(literal(created_at, Post.created_at.type), literal(post_id, Post.id.type))
        chosen = chosen.where(tuple_(Post.created_at, Post.id) < after)
    newest_first = (Post.created_at.desc(), Post.id.desc())
    page_ids = chosen.order_by(*newest_first).offset(page.skip).limit(page.limit + 1).subquery()
    query = _post_rows(session).join(page_ids, page_ids.c.id == Post.id).order_by(*newest_first)
    return [_as_post_data(row) for row in await session.execute(query)]


def _matches_words(text: str) -> list[ColumnElement[bool]]:
    """Every word must appear in the title or the content, in any case and any script (Korean too)."""
    conditions = []
    for word in text.split()[:MAX_SEARCH_WORDS]:
        pattern = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conditions.append(
            or_(Post.title.ilike(pattern, escape="\\"), Post.content.ilike(pattern, escape="\\"))
        )
    return conditions


def next_cursor(post: PostData) -> str:
    return encode_cursor(CURSOR_KIND, post["created_at"], post["id"])
