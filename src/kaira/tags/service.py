"""Tags: names are stored once, lower-case; posts link to them through `post_tags`."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from sqlalchemy import Insert, Row, and_, bindparam, func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from kaira.pagination import Page, decode_cursor, encode_cursor
from kaira.posts.models import Post
from kaira.tags.models import Tag, post_tags

CURSOR_KIND = "tags"


@cache
def _insert_missing_tags(dialect_name: str) -> Insert:
    insert = pg_insert if dialect_name == "postgresql" else sqlite_insert
    return insert(Tag).on_conflict_do_nothing(index_elements=["name"])


_TAGS_NAMED = select(Tag).where(Tag.name.in_(bindparam("names", expanding=True)))


async def resolve_tags(session: AsyncSession, names: Sequence[str]) -> list[Tag]:
    """The Tag rows for `names`, creating the missing ones: two statements, whatever the count.

    INSERT … ON CONFLICT DO NOTHING lets two posts that introduce the same new tag at once both succeed;
    inserting in sorted order keeps two such posts from deadlocking on each other's names. Both
    statements are built once: building costs more than running them.
    """
    if not names:
        return []
    ordered = sorted(names)
    await session.execute(
        _insert_missing_tags(session.get_bind().dialect.name), [{"name": name} for name in ordered]
    )
    tags = await session.scalars(_TAGS_NAMED, {"names": ordered})
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
