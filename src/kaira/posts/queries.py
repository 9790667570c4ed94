"""The read side of posts: one SQL statement per post or page, from rows straight to response data.

Statements are the hot path. The ORM's identity map and per-object instrumentation buy nothing for data that
is serialized and dropped, so reads select exactly the columns a response shows: the author joined, the
tag names aggregated in a correlated subquery (the shape the raw-asyncpg ceiling uses too).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

import orjson
from sqlalchemy import (
    ColumnElement,
    Dialect,
    Integer,
    Row,
    Select,
    String,
    bindparam,
    cast,
    func,
    literal_column,
    or_,
    select,
    tuple_,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import ARRAY, aggregate_order_by
from sqlalchemy.types import JSON, TypeDecorator

from kaira.auth.viewer import Viewer
from kaira.errors import NotFound
from kaira.pagination import Page, decode_cursor, encode_cursor
from kaira.posts.bodies import PostData, post_data
from kaira.posts.models import Post
from kaira.posts.service import ViewerKind, viewer_kind, visibility
from kaira.statements import Statements
from kaira.tags.models import Tag, post_tags
from kaira.users.models import User

CURSOR_KIND = "posts"
MAX_SEARCH_WORDS = 10


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
        if dialect.name == "postgresql":
            return None  # already a sorted list (`_tag_names`): nothing to do, per row

        def to_sorted_list(value: Any) -> list[str]:
            if value is None:
                return []
            names = orjson.loads(value) if isinstance(value, str | bytes) else value
            return sorted(names)

        return to_sorted_list


def _tag_names(dialect_name: str) -> ColumnElement[list[str]]:
    """PostgreSQL aggregates into a sorted array (asyncpg hands back a list); SQLite into JSON text."""
    aggregate: ColumnElement[Any]
    if dialect_name == "postgresql":
        no_tags = cast(literal_column("'{}'"), ARRAY(String))
        aggregate = func.coalesce(func.array_agg(aggregate_order_by(Tag.name, Tag.name)), no_tags)
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


def _post_rows(dialect_name: str) -> Select[Any]:
    return select(
        Post.id,
        Post.title,
        Post.content,
        Post.author_id,
        Post.is_published,
        _tag_names(dialect_name),
        Post.created_at,
        Post.updated_at,
        User.username,
        User.full_name,
        User.is_active,
        User.created_at.label("author_created_at"),
        User.updated_at.label("author_updated_at"),
    ).join_from(Post, User, User.id == Post.author_id)


def _as_post_data(row: Row[Any]) -> PostData:
    # Unpacked by position (the order of `_post_rows`): a row's attribute lookup by name costs more
    # than building the whole dict.
    return post_data(*row)


# Building a statement costs more than running it (~0.7 ms against ~0.1 ms), so each shape of query
# is built once, with parameters for every value, and reused; SQLAlchemy then reuses its compiled form.


@cache
def _one_post_statement(dialect_name: str, kind: ViewerKind) -> Select[Any]:
    return _post_rows(dialect_name).where(Post.id == bindparam("post_id", type_=Integer), visibility(kind))


@dataclass(frozen=True, slots=True)
class _PageShape:
    dialect_name: str
    kind: ViewerKind
    published_only: bool
    by_author: bool
    by_tag: bool
    words: int
    after_cursor: bool


@cache
def _page_statement(shape: _PageShape) -> Select[Any]:
    """The page's ids are chosen first, in a subquery that walks only the index; the author and tags
    are then fetched for those rows alone. Otherwise `skip=99980` would aggregate the tags of every
    skipped row too, and a deep page would cost seconds instead of milliseconds."""
    chosen = select(Post.id).where(visibility(shape.kind))
    if shape.published_only:
        chosen = chosen.where(Post.is_published)
    if shape.by_author:
        chosen = chosen.where(Post.author_id == bindparam("author_id", type_=Integer))
    if shape.by_tag:
        tagged = (
            select(post_tags.c.post_id)
            .join(Tag, Tag.id == post_tags.c.tag_id)
            .where(Tag.name == bindparam("tag", type_=String))
        )
        chosen = chosen.where(Post.id.in_(tagged))
    for index in range(shape.words):
        pattern = bindparam(f"word_{index}", type_=String)
        chosen = chosen.where(
            or_(Post.title.ilike(pattern, escape="\\"), Post.content.ilike(pattern, escape="\\"))
        )
    if shape.after_cursor:
        # Typed as the columns, so the instant is converted to UTC as stored, whatever its offset.
        after = tuple_(
            bindparam("after_created_at", type_=Post.created_at.type), bindparam("after_id", type_=Integer)
        )
        chosen = chosen.where(tuple_(Post.created_at, Post.id) < after)
    newest_first = (Post.created_at.desc(), Post.id.desc())
    page_ids = (
        chosen.order_by(*newest_first)
        .offset(bindparam("skip", type_=Integer))
        .limit(bindparam("limit", type_=Integer))
        .subquery()
    )
    return _post_rows(shape.dialect_name).join(page_ids, page_ids.c.id == Post.id).order_by(*newest_first)


async def read_post(db: Statements, post_id: int, *, viewer: Viewer | None) -> PostData:
    statement = _one_post_statement(db.dialect_name, viewer_kind(viewer))
    params = {"post_id": post_id, "viewer_id": viewer.id if viewer else None}
    row = await db.first(statement, params)
    if row is None:
        raise NotFound("Post not found")
    return _as_post_data(row)


async def read_posts(
    db: Statements, page: Page, *, viewer: Viewer | None, where: PostFilter
) -> Sequence[PostData]:
    """Newest first; one row more than the page so the caller knows whether a next page exists."""
    words = [_like_pattern(word) for word in (where.query or "").split()[:MAX_SEARCH_WORDS]]
    params: dict[str, Any] = {
        "viewer_id": viewer.id if viewer else None,
        "author_id": where.author_id,
        "tag": where.tag,
        "skip": page.skip,
        "limit": page.limit + 1,
        **{f"word_{index}": pattern for index, pattern in enumerate(words)},
    }
    if page.cursor is not None:
        params["after_created_at"], params["after_id"] = decode_cursor(
            page.cursor, CURSOR_KIND, [datetime, int]
        )
    shape = _PageShape(
        dialect_name=db.dialect_name,
        kind=viewer_kind(viewer),
        published_only=where.published_only,
        by_author=where.author_id is not None,
        by_tag=where.tag is not None,
        words=len(words),
        after_cursor=page.cursor is not None,
    )
    return [_as_post_data(row) for row in await db.all(_page_statement(shape), params)]


def _like_pattern(word: str) -> str:
    """`word` anywhere, with LIKE's own wildcards taken literally."""
    return "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def next_cursor(post: PostData) -> str:
    return encode_cursor(CURSOR_KIND, post["created_at"], post["id"])
