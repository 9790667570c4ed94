"""Tags: names are stored once, lower-case; posts link to them through `post_tags`."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Row, and_, func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from kaira.pagination import Page, decode_cursor, encode_cursor
from kaira.posts.models import Post
from kaira.tags.models import Tag, post_tags

CURSOR_KIND = "tags"


async def resolve_tags(session: AsyncSession, names: Sequence[str]) -> list[Tag]:
    """The Tag rows for `names`, creating the missing ones: two statements, whatever the count.

    INSERT … ON CONFLICT DO NOTHING lets two posts that introduce the same new tag at once both succeed;
    inserting in sorted order keeps two such posts from deadlocking on each other's names.
    """
    if not names:
        return []
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    await session.execute(
        insert(Tag)
        .values([{"name": name} for name in sorted(names)])
        .on_conflict_do_nothing(index_elements=["name"])
    )
    by_name = {tag.name: tag for tag in await session.scalars(select(Tag).where(Tag.name.in_(names)))}
    return sorted((by_name[name] for name in names), key=lambda tag: tag.name)


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
