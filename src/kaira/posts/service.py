"""Posts and who may see them. Every query loads what a response shows (author, tags) up front:
a page costs the same few statements whatever its size, and nothing lazy-loads under asyncio."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, delete, or_, select, true, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from kaira.db import utcnow
from kaira.errors import Forbidden, NotFound
from kaira.pagination import Page, decode_cursor, encode_cursor
from kaira.posts.models import Post
from kaira.posts.schemas import PostCreate, PostUpdate
from kaira.tags.models import Tag, post_tags
from kaira.tags.service import resolve_tags
from kaira.users.models import User
from kaira.users.service import get_user

CURSOR_KIND = "posts"


@dataclass(frozen=True, slots=True)
class PostFilter:
    author_id: int | None = None
    tag: str | None = None
    query: str | None = None
    published_only: bool = False


def visible_to(viewer: User | None) -> ColumnElement[bool]:
    """Drafts are seen only by their author and by superusers."""
    if viewer is None:
        return Post.is_published
    if viewer.is_superuser:
        return true()
    return or_(Post.is_published, Post.author_id == viewer.id)


def _with_author_and_tags(query: Select[tuple[Post]]) -> Select[tuple[Post]]:
    return query.options(joinedload(Post.author, innerjoin=True), selectinload(Post.tags))


async def get_visible_post(session: AsyncSession, post_id: int, *, viewer: User | None) -> Post:
    query = _with_author_and_tags(select(Post).where(Post.id == post_id, visible_to(viewer)))
    post = (await session.scalars(query)).first()
    if post is None:
        raise NotFound("Post not found")
    return post


async def list_posts(
    session: AsyncSession, page: Page, *, viewer: User | None, where: PostFilter
) -> Sequence[Post]:
    """Newest first; one row more than the page so the caller knows whether a next page exists."""
    query = select(Post).where(visible_to(viewer))
    if where.published_only:
        query = query.where(Post.is_published)
    if where.author_id is not None:
        query = query.where(Post.author_id == where.author_id)
    if where.tag is not None:
        tagged = (
            select(post_tags.c.post_id).join(Tag, Tag.id == post_tags.c.tag_id).where(Tag.name == where.tag)
        )
        query = query.where(Post.id.in_(tagged))
    if where.query:
        query = query.where(*_matches_words(where.query))
    if page.cursor is not None:
        created_at, post_id = decode_cursor(page.cursor, CURSOR_KIND, [datetime, int])
        query = query.where(tuple_(Post.created_at, Post.id) < tuple_(created_at, post_id))
    query = query.order_by(Post.created_at.desc(), Post.id.desc()).offset(page.skip).limit(page.limit + 1)
    return (await session.scalars(_with_author_and_tags(query))).unique().all()


def _matches_words(text: str) -> list[ColumnElement[bool]]:
    """Every word must appear in the title or the content, in any case and any script (Korean too)."""
    conditions = []
    for word in text.split()[:10]:
        pattern = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conditions.append(
            or_(Post.title.ilike(pattern, escape="\\"), Post.content.ilike(pattern, escape="\\"))
        )
    return conditions


def next_cursor(post: Post) -> str:
    return encode_cursor(CURSOR_KIND, post.created_at, post.id)


async def choose_author(session: AsyncSession, caller: User, author_id: int | None) -> User:
    """The caller writes as themself; only a superuser may name another existing author."""
    if author_id is None or author_id == caller.id:
        return caller
    if not caller.is_superuser:
        raise Forbidden("You can only create posts as yourself")
    try:
        return await get_user(session, author_id)
    except NotFound:
        raise NotFound("Author not found") from None


async def create_post(session: AsyncSession, author: User, data: PostCreate) -> Post:
    post = Post(
        title=data.title,
        content=data.content,
        is_published=data.is_published,
        author=author,
        tags=await resolve_tags(session, data.tags),
    )
    session.add(post)
    await session.flush()
    return post


async def update_post(session: AsyncSession, post: Post, data: PostUpdate) -> Post:
    changes = data.model_dump(exclude_unset=True, exclude={"tags"})
    for field, value in changes.items():
        setattr(post, field, value)
    if "tags" in data.model_fields_set:
        post.tags = await resolve_tags(session, data.tags)
    post.updated_at = utcnow()
    await session.flush()
    return post


async def delete_post(session: AsyncSession, post: Post) -> None:
    """One DELETE; the database's ON DELETE CASCADE removes the post's tag links."""
    await session.execute(delete(Post).where(Post.id == post.id))
