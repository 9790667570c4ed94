"""All of the tags' SQL: creating missing names, the tag cloud, and the names of a post's tags.

Names are stored once, lower-case (`TagName` normalises them on the way in); posts link to them through
`post_tags`. Names come back sorted wherever a post shows them: the input is sorted by its schema,
PostgreSQL aggregates in order, and SQLite's aggregate is sorted on the way out.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any, cast

import orjson
from sqlalchemy import (
    ColumnElement,
    Connection,
    Dialect,
    Integer,
    Row,
    Select,
    String,
    Table,
    TextClause,
    and_,
    bindparam,
    func,
    literal_column,
    or_,
    select,
    text,
    type_coerce,
)
from sqlalchemy import (
    cast as sql_cast,
)
from sqlalchemy.dialects.postgresql import ARRAY, aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import JSON, TypeDecorator

from kaira.database.core import CoreReader, CoreWriter
from kaira.database.driver import rows_in
from kaira.posts.models import Post
from kaira.tags.models import Tag, post_tags

TAGS = cast(Table, Tag.__table__)


@cache
def _insert_missing(count: int) -> TextClause:
    """One multi-row INSERT per number of names, built once: a single statement costs one round trip
    where an executemany costs one per name.

    Written as text (the same on PostgreSQL and SQLite): SQLAlchemy cannot cache the compiled form of a
    multi-row `insert().values([...])` or of `on_conflict_do_nothing()` (their cache key is None), and
    compiling it again for every new post cost 0.2 ms (SQL_ECHO shows "[no key]")."""
    rows = ", ".join(f"(:name_{index})" for index in range(count))
    names = [bindparam(f"name_{index}", type_=String) for index in range(count)]
    statement = f"INSERT INTO tags (name) VALUES {rows} ON CONFLICT (name) DO NOTHING"  # noqa: S608 - placeholders only
    return text(statement).bindparams(*names)


def _missing_names(names: Sequence[str]) -> tuple[TextClause, dict[str, str]]:
    """INSERT … ON CONFLICT DO NOTHING lets two posts that introduce the same new tag at once both
    succeed; inserting in sorted order (as `TagNames` gives them) keeps two such posts from
    deadlocking on each other's names.

    Rows are looked up by a later statement, not RETURNING: a name another transaction has just
    committed is not in this statement's snapshot, and would be missing from what it returns."""
    params = {f"name_{index}": name for index, name in enumerate(names)}
    return _insert_missing(len(names)), params


async def create_missing(db: CoreWriter, names: Sequence[str]) -> None:
    """Committed at once, on their own: a tag alone is harmless (only tags of published posts are
    listed), and the post that needs it may then find it with the next statement."""
    if names:
        await db.rows(*_missing_names(names))


def create_missing_in(connection: Connection, names: Sequence[str]) -> None:
    """The same inside a transaction of SQLite's, where the one writer leaves no other transaction
    whose new names this one could miss."""
    if names:
        rows_in(connection, *_missing_names(names))


_TAGS_NAMED = select(Tag).where(Tag.name.in_(bindparam("names", expanding=True)))


async def tags_named(session: AsyncSession, names: Sequence[str]) -> list[Tag]:
    """The Tag objects for `names`, creating the missing ones, in the session's transaction (edits)."""
    if not names:
        return []
    await session.execute(*_missing_names(names))
    return list(await session.scalars(_TAGS_NAMED, {"names": list(names)}))


def named(names_param: str = "tags") -> ColumnElement[bool]:
    """Tags whose name is one of the list bound as `names_param`."""
    return TAGS.c.name.in_(bindparam(names_param, expanding=True))


class TagNameList(TypeDecorator[list[str]]):
    """Tag names as a sorted list, whether the database aggregated them as an array or as JSON text."""

    impl = JSON
    cache_ok = True

    def bind_processor(self, dialect: Dialect) -> None:
        return None  # a read-only expression: never bound

    def result_processor(self, dialect: Dialect, coltype: object) -> Any:
        if dialect.name == "postgresql":
            return None  # already a sorted list (`names_of_post`): nothing to do, per row

        def to_sorted_list(value: Any) -> list[str]:
            names = orjson.loads(value) if isinstance(value, str | bytes) else value
            return sorted(names)

        return to_sorted_list


def names_of_post(dialect_name: str, post_id: ColumnElement[int]) -> ColumnElement[list[str]]:
    """The names of the tags of the post `post_id`, as a column labelled `tags`. PostgreSQL
    aggregates into a sorted array (asyncpg hands back a list); SQLite into JSON text."""
    aggregate: ColumnElement[Any]
    if dialect_name == "postgresql":
        no_tags = sql_cast(literal_column("'{}'"), ARRAY(String))
        aggregate = func.coalesce(func.array_agg(aggregate_order_by(Tag.name, Tag.name)), no_tags)
    else:
        aggregate = func.json_group_array(Tag.name)
    names = (
        select(aggregate)
        .select_from(post_tags)
        .join(Tag, Tag.id == post_tags.c.tag_id)
        .where(post_tags.c.post_id == post_id)
        .scalar_subquery()
    )
    return type_coerce(names, TagNameList()).label("tags")


def tagged(tag_param: str = "tag") -> Select[Any]:
    """The ids of the posts carrying the tag bound as `tag_param`."""
    return (
        select(post_tags.c.post_id)
        .join(Tag, Tag.id == post_tags.c.tag_id)
        .where(Tag.name == bindparam(tag_param, type_=String))
    )


_POST_COUNT = func.count(post_tags.c.post_id).label("post_count")


@cache
def _cloud_page(after_cursor: bool) -> Select[Any]:
    """Tags of published posts, most used first; drafts are private, so they neither count nor show."""
    query = (
        select(Tag.name, _POST_COUNT)
        .join(post_tags, post_tags.c.tag_id == Tag.id)
        .join(Post, and_(Post.id == post_tags.c.post_id, Post.is_published))
        .group_by(Tag.id, Tag.name)
        .order_by(_POST_COUNT.desc(), Tag.name)
        .offset(bindparam("skip", type_=Integer))
        .limit(bindparam("limit", type_=Integer))
    )
    if after_cursor:
        count, name = bindparam("after_count", type_=Integer), bindparam("after_name", type_=String)
        query = query.having(or_(count > _POST_COUNT, and_(count == _POST_COUNT, Tag.name > name)))
    return query


async def read_cloud_page(
    db: CoreReader, *, skip: int, limit: int, after: tuple[int, str] | None
) -> Sequence[Row[Any]]:
    params: dict[str, Any] = {"skip": skip, "limit": limit}
    if after is not None:
        params["after_count"], params["after_name"] = after
    return await db.rows(_cloud_page(after is not None), params)
