"""Posts: who writes as whom, what a search looks for, and how a post changes.

Reads and new posts run Core statements outside the ORM session (`kaira.database.core`); a post that
is about to change or go is an ORM object of the request's session. Every answer is read by the post
shape (`POST`) from a row that selects it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kaira.auth.caller import Caller
from kaira.database.base import utcnow
from kaira.database.core import CoreReader, CoreWriter
from kaira.errors import Forbidden, NotFound
from kaira.pagination import Page, PageOf, decode_cursor, encode_cursor
from kaira.posts import repository
from kaira.posts.models import Post
from kaira.posts.schemas import POST, PostCreate, PostFilter, PostUpdate
from kaira.tags import repository as tags
from kaira.users import repository as users

CURSOR_KIND = "posts"
MAX_SEARCH_WORDS = 10


async def read_post(db: CoreReader, post_id: int, *, caller: Caller | None) -> dict[str, Any]:
    """A draft of someone else's is 404, as if it did not exist."""
    row = await repository.read_post(db, post_id, caller=caller)
    if row is None:
        raise NotFound("Post not found")
    return POST.read(row)


async def list_posts(db: CoreReader, page: Page, *, caller: Caller | None, where: PostFilter) -> PageOf:
    """Newest first; `where.query` finds posts holding each of its first ten words."""
    after = None
    if page.cursor is not None:
        created_at, post_id = decode_cursor(page.cursor, CURSOR_KIND, [datetime, int])
        after = (created_at, post_id)
    rows = await repository.read_page(
        db,
        caller=caller,
        where=where,
        words=(where.query or "").split()[:MAX_SEARCH_WORDS],
        skip=page.skip,
        limit=page.limit + 1,
        after=after,
    )
    return PageOf.split(
        POST.read_all(rows),
        page.limit,
        cursor_of=lambda post: encode_cursor(CURSOR_KIND, post["created_at"], post["id"]),
    )


def holds_draft(posts: Sequence[dict[str, Any]]) -> bool:
    """A draft must never be kept by a cache, not even the author's own browser's."""
    return not all(post["is_published"] for post in posts)


async def _choose_author(db: CoreReader, caller: Caller, author_id: int | None) -> int:
    """The caller writes as themself; only a superuser may name another existing author."""
    if author_id is None or author_id == caller.id:
        return caller.id
    if not caller.is_superuser:
        raise Forbidden("You can only create posts as yourself")
    if not await users.user_exists(db, author_id):
        raise NotFound("Author not found")
    return author_id


async def create_post(
    db: CoreWriter, caller: Caller, data: PostCreate, *, author_id: int | None
) -> dict[str, Any]:
    """On PostgreSQL one statement, whatever the number of tags, once they all exist (three when one
    is new: see `kaira.posts.repository`); one transaction on SQLite."""
    author = await _choose_author(db, caller, author_id)
    now = utcnow()
    values = {
        "title": data.title,
        "content": data.content,
        "author_id": author,
        "is_published": data.is_published,
        "created_at": now,
        "updated_at": now,
        "tags": data.tags,
    }
    return POST.read(await repository.insert_post(db, values))


async def get_own_post(session: AsyncSession, post_id: int, *, caller: Caller) -> Post:
    """The post to change: 404 if the caller may not even see it, 403 if it is not theirs."""
    post = await repository.get_for_change(session, post_id, caller=caller)
    if post is None:
        raise NotFound("Post not found")
    if not caller.may_act_for(post.author_id):
        raise Forbidden("Only the author can change this post")
    return post


async def update_post(session: AsyncSession, post: Post, data: PostUpdate) -> dict[str, Any]:
    changes = data.model_dump(exclude_unset=True, exclude={"tags"})
    for field, value in changes.items():
        setattr(post, field, value)
    if data.tags is not None:
        post.tags = await tags.tags_named(session, data.tags)
    # Later than the last change even if this server's clock is behind the one that made it.
    post.updated_at = max(utcnow(), post.updated_at + timedelta(microseconds=1))
    await session.flush()
    return POST.read(await repository.read_post_in(session, post.id))


async def delete_post(session: AsyncSession, post: Post) -> None:
    await repository.delete_post(session, post.id)
