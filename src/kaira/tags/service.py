"""Tags: names are stored once, lower-case; posts link to them through `post_tags`."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import cast

from sqlalchemy import Insert, Row, String, Table, and_, bindparam, func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from kaira.pagination import Page, decode_cursor, encode_cursor
from kaira.posts.models import Post
from kaira.statements import Statements
from kaira.tags.models import Tag, post_tags

CURSOR_KIND = "tags"


TAGS_TABLE = cast(Table, Tag.__table__)
TAGS = TAGS_TABLE.c


@cache
def _insert_missing_tags(dialect_name: str, count: int) -> Insert:
    """One multi-row INSERT per number of names, built once: building costs more than running it, and
    a single statement costs one round trip where an executemany costs one per name."""
    insert = pg_insert if dialect_name == "postgresql" else sqlite_insert
    rows = [{"name": bindparam(f"name_{index}", type_=String)} for index in range(count)]
    return insert(TAGS_TABLE).values(rows).on_conflict_do_nothing(index_elements=["name"])


_TAGS_NAMED = select(Tag).where(Tag.name.in_(bindparam("names", expanding=True)))


def _create_missing(dialect_name: str, names: Sequence[str]) -> tuple[Insert, dict[str, str]]:
    """INSERT … ON CONFLICT DO NOTHING lets two posts that introduce the same new tag at once both
    succeed; inserting in sorted order keeps two such posts from deadlocking on each other's names.

    Rows are looked up by a later statement, not RETURNING: a name another transaction has just
    committed is not in this statement's snapshot, and would be missing from what it returns."""
    ordered = sorted(names)
    params = {f"name_{index}": name for index, name in enumerate(ordered)}
    return _insert_missing_tags(dialect_name, len(ordered)), params


async def create_missing_tags(db: Statements, names: Sequence[str]) -> None:
    """Committed at once, on their own: a tag alone is harmless (only tags of published posts are
    listed), and the post that needs it may then find it with the next statement."""
    if names:
        await db.all(*_create_missing(db.dialect_name, names))


async def resolve_tags(session: AsyncSession, names: Sequence[str]) -> list[Tag]:
    """The Tag objects for `names`, creating the missing ones, in the session's transaction (edits)."""
    if not names:
        return []
    await session.execute(*_create_missing(session.get_bind().dialect.name, names))
    tags = await session.scalars(_TAGS_NAMED, {"names": sorted(names)})
    return sorted(tags, key=lambda tag: tag.name)


async def list_tags(session: AsyncSession, page: Page) -> Sequence[Row[tuple[str, int]]]:
    """Tags of published posts, most used first; drafts are private, so they neither count nor show."""
    post_count = func.count(post_tags.c.post_id).label("post_count")
    query = (
        select(Tag.name, post_count)
        .join(post_tags, post_tags.c.tag_id == Tag.id)
        .join(Post, and_(Post.id == post_tags.c.post_id, Post.is_published))
        .group_by(Tag.id, Tag.name)
        .order_by(post_count.desc(), Tag.name)
        .offset(page.skip)
        .limit(page.limit + 1)
    )
    if page.cursor is not None:
        count, name = decode_cursor(page.cursor, CURSOR_KIND, [int, str])
        query = query.having(or_(post_count < count, and_(post_count == count, Tag.name > name)))
    return (await session.execute(query)).all()


def next_cursor(row: Row[tuple[str, int]]) -> str:
    return encode_cursor(CURSOR_KIND, row.post_count, row.name)
