"""Posts and who may see them: the write side (reads that only answer are in `queries`).

A new post is written by Core statements outside the ORM session (`writes`), the hot write path. A
post that is about to change or go is an ORM object, loaded with its author and tags in one statement,
so nothing lazy-loads under asyncio."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from sqlalchemy import ColumnElement, Integer, bindparam, delete, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from kaira.auth.viewer import Viewer
from kaira.db import utcnow
from kaira.errors import Forbidden, NotFound
from kaira.posts import writes
from kaira.posts.bodies import PostData
from kaira.posts.models import Post
from kaira.posts.schemas import PostCreate, PostUpdate
from kaira.statements import Statements
from kaira.tags.service import create_missing_tags, resolve_tags
from kaira.users.models import User

ViewerKind = Literal["anonymous", "author", "superuser"]


def viewer_kind(viewer: Viewer | None) -> ViewerKind:
    if viewer is None:
        return "anonymous"
    return "superuser" if viewer.is_superuser else "author"


def visibility(kind: ViewerKind) -> ColumnElement[bool]:
    """Drafts are seen only by their author and by superusers; `:viewer_id` is the reader's id.

    A rule per kind of reader, with the reader as a parameter, so statements built on it can be built
    once and reused (building a statement costs more than running it).
    """
    if kind == "anonymous":
        return Post.is_published.expression
    if kind == "superuser":
        return true()
    return or_(Post.is_published, Post.author_id == bindparam("viewer_id", type_=Integer))


def visible_to(viewer: Viewer | None) -> ColumnElement[bool]:
    kind = viewer_kind(viewer)
    rule = visibility(kind)
    return rule.params(viewer_id=viewer.id) if viewer is not None and kind == "author" else rule


async def get_visible_post(session: AsyncSession, post_id: int, *, viewer: User | None) -> Post:
    """One statement: for a single post, joining its few tags costs less than a second round trip."""
    query = (
        select(Post)
        .where(Post.id == post_id, visible_to(viewer))
        .options(joinedload(Post.author, innerjoin=True), joinedload(Post.tags))
    )
    post = (await session.scalars(query)).unique().one_or_none()
    if post is None:
        raise NotFound("Post not found")
    return post


_USER_EXISTS = select(User.id).where(User.id == bindparam("user_id", type_=Integer))


async def choose_author(db: Statements, caller: Viewer, author_id: int | None) -> int:
    """The caller writes as themself; only a superuser may name another existing author."""
    if author_id is None or author_id == caller.id:
        return caller.id
    if not caller.is_superuser:
        raise Forbidden("You can only create posts as yourself")
    if await db.first(_USER_EXISTS, {"user_id": author_id}) is None:
        raise NotFound("Author not found")
    return author_id


async def create_post(db: Statements, author_id: int, data: PostCreate) -> PostData:
    """Two statements on PostgreSQL, whatever the number of tags: the missing tags, then the post and
    its tag links in one statement (see `kaira.posts.writes`)."""
    await create_missing_tags(db, data.tags)
    now = utcnow()
    values = {
        "title": data.title,
        "content": data.content,
        "author_id": author_id,
        "is_published": data.is_published,
        "created_at": now,
        "updated_at": now,
        "tags": data.tags,
    }
    if db.dialect_name == "postgresql":
        (row,) = await db.all(writes.insert_post_with_links(), values)
    else:
        row = await db.transaction(writes.insert_post_then_links, values)
    return writes.as_post_data(row, tags=sorted(data.tags))


async def update_post(session: AsyncSession, post: Post, data: PostUpdate) -> Post:
    changes = data.model_dump(exclude_unset=True, exclude={"tags"})
    for field, value in changes.items():
        setattr(post, field, value)
    if data.tags is not None:
        post.tags = await resolve_tags(session, data.tags)
    # Later than the last change even if this server's clock is behind the one that made it.
    post.updated_at = max(utcnow(), post.updated_at + timedelta(microseconds=1))
    await session.flush()
    return post


async def delete_post(session: AsyncSession, post: Post) -> None:
    """One DELETE; the database's ON DELETE CASCADE removes the post's tag links."""
    await session.execute(delete(Post).where(Post.id == post.id))
