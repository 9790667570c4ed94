"""All of the posts' SQL: who may see a post, reading posts and pages, writing and removing posts.

Reads are the hot path: one statement per post or page, built once per shape (building a statement costs
more than running it, ~0.7 ms against ~0.1 ms) and selecting exactly the columns of the post shape
(`kaira.posts.schemas.POST`, `AUTHOR`) with the tag names aggregated in a correlated subquery.

Creating a post is the hot write path. On PostgreSQL the post and its tag links are one statement,
atomic on its own: the INSERT of the post is a data-modifying CTE whose new id feeds the INSERT of the
links, and the statement answers with the post joined to its author. It inserts nothing unless every
tag already exists; only then are the missing ones created (`kaira.tags.repository.create_missing`)
and the statement sent again, so a post with tags already in use costs one round trip, not two.
SQLite has no data-modifying CTEs: there the missing tags, the post and its links are statements one
after another inside a transaction.

Posts that are about to change or go are ORM objects of the request's session.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, Literal, cast

from sqlalchemy import (
    BindParameter,
    Boolean,
    ColumnElement,
    Connection,
    Integer,
    Row,
    Select,
    String,
    Table,
    Text,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    true,
    tuple_,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from kaira.auth.caller import Caller
from kaira.database.base import UTCDateTime
from kaira.database.core import CoreReader, CoreWriter
from kaira.database.driver import rows_in
from kaira.posts.models import POST_SEARCH, Post
from kaira.posts.schemas import AUTHOR, POST, PostFilter
from kaira.tags import repository as tags
from kaira.tags.models import post_tags
from kaira.users.models import User

Audience = Literal["anonymous", "member", "superuser"]


def audience_of(caller: Caller | None) -> Audience:
    if caller is None:
        return "anonymous"
    return "superuser" if caller.is_superuser else "member"


def visibility(audience: Audience) -> ColumnElement[bool]:
    """Drafts are seen only by their author and by superusers; `:caller_id` is the reader's id.

    A rule per audience, with the reader as a parameter, so statements built on it can be built once
    and reused.
    """
    if audience == "anonymous":
        return Post.is_published.expression
    if audience == "superuser":
        return true()
    return or_(Post.is_published, Post.author_id == bindparam("caller_id", type_=Integer))


def _post_rows(dialect_name: str) -> Select[Any]:
    return select(
        *POST.columns(Post), tags.names_of_post(dialect_name, Post.__table__.c.id), *AUTHOR.columns(User)
    ).join_from(Post, User, User.id == Post.author_id)


@cache
def _one_post(dialect_name: str, audience: Audience) -> Select[Any]:
    return _post_rows(dialect_name).where(
        Post.id == bindparam("post_id", type_=Integer), visibility(audience)
    )


async def read_post(db: CoreReader, post_id: int, *, caller: Caller | None) -> Row[Any] | None:
    params = {"post_id": post_id, "caller_id": caller.id if caller else None}
    return await db.row(_one_post(db.dialect_name, audience_of(caller)), params)


@dataclass(frozen=True, slots=True)
class _PageShape:
    dialect_name: str
    audience: Audience
    published_only: bool
    by_author: bool
    by_tag: bool
    words: int
    after_cursor: bool


@cache
def _page(shape: _PageShape) -> Select[Any]:
    """The page's ids are chosen first, in a subquery that walks only the index; the author and tags
    are then fetched for those rows alone. Otherwise `skip=99980` would aggregate the tags of every
    skipped row too, and a deep page would cost seconds instead of milliseconds."""
    chosen = select(Post.id).where(visibility(shape.audience))
    if shape.published_only:
        chosen = chosen.where(Post.is_published)
    if shape.by_author:
        chosen = chosen.where(Post.author_id == bindparam("author_id", type_=Integer))
    if shape.by_tag:
        chosen = chosen.where(Post.id.in_(tags.tagged("tag")))
    if shape.words:
        chosen = _holding_words(chosen, shape.dialect_name, shape.words)
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


async def read_page(
    db: CoreReader,
    *,
    caller: Caller | None,
    where: PostFilter,
    words: Sequence[str],
    skip: int,
    limit: int,
    after: tuple[datetime, int] | None,
) -> Sequence[Row[Any]]:
    """Newest first: posts whose title or content holds every one of `words`."""
    params: dict[str, Any] = {
        "caller_id": caller.id if caller else None,
        "author_id": where.author_id,
        "tag": where.tag,
        "skip": skip,
        "limit": limit,
        **{f"word_{index}": _like_pattern(word) for index, word in enumerate(words)},
    }
    if after is not None:
        params["after_created_at"], params["after_id"] = after
    shape = _PageShape(
        dialect_name=db.dialect_name,
        audience=audience_of(caller),
        published_only=where.published_only,
        by_author=where.author_id is not None,
        by_tag=where.tag is not None,
        words=len(words),
        after_cursor=after is not None,
    )
    return await db.rows(_page(shape), params)


def _holding_words(chosen: Select[Any], dialect_name: str, words: int) -> Select[Any]:
    """Posts whose title or content holds each of the words `:word_0`… in any case. PostgreSQL folds
    case itself (its trigram indexes serve `ILIKE`); SQLite matches the lower-case copy that triggers
    keep (`POST_SEARCH`) instead of folding every row it walks with Python's `lower()`."""
    patterns = [bindparam(f"word_{index}", type_=String) for index in range(words)]
    if dialect_name == "sqlite":
        chosen = chosen.join(POST_SEARCH, POST_SEARCH.c.post_id == Post.id)
        return chosen.where(*(POST_SEARCH.c.folded.like(func.lower(word), escape="\\") for word in patterns))
    return chosen.where(
        *(
            or_(Post.title.ilike(word, escape="\\"), Post.content.ilike(word, escape="\\"))
            for word in patterns
        )
    )


def _like_pattern(word: str) -> str:
    """`word` anywhere, with LIKE's own wildcards taken literally."""
    return "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


# --- writing a new post -----------------------------------------------------------------------------------

POSTS = cast(Table, Post.__table__)
USERS = cast(Table, User.__table__)
_NEW_POST_VALUES: dict[str, BindParameter[Any]] = {
    "title": bindparam("title", type_=String),
    "content": bindparam("content", type_=Text),
    "author_id": bindparam("author_id", type_=Integer),
    "is_published": bindparam("is_published", type_=Boolean),
    "created_at": bindparam("created_at", type_=UTCDateTime),
    "updated_at": bindparam("updated_at", type_=UTCDateTime),
}


@cache
def _insert_post_with_links() -> Select[Any]:
    """PostgreSQL: the post, its links and its author's public fields, in one statement; no row and no
    post when one of the tags (`:tags`, `:tag_count` distinct names) does not exist yet."""
    wanted = select(tags.TAGS.c.id).where(tags.named()).cte("wanted")
    all_found = select(func.count()).select_from(wanted).scalar_subquery() == bindparam(
        "tag_count", type_=Integer
    )
    new_post = (
        insert(POSTS)
        .from_select(list(_NEW_POST_VALUES), select(*_NEW_POST_VALUES.values()).where(all_found))
        .returning(*POSTS.c)
        .cte("new_post")
    )
    links = (
        insert(post_tags)
        .from_select(
            ["post_id", "tag_id"], select(new_post.c.id, wanted.c.id).join_from(new_post, wanted, true())
        )
        .cte("links")
    )
    # The statement cannot see the links it writes (one snapshot): the names it shows are those it
    # was given, sorted as `TagNames` sorts them.
    shown_tags = bindparam("tag_list", type_=ARRAY(String)).label("tags")
    return (
        select(*POST.columns(new_post.c), shown_tags, *AUTHOR.columns(USERS.c))
        .join_from(new_post, USERS, USERS.c.id == new_post.c.author_id)
        .add_cte(links)
    )


_INSERT_POST = insert(POSTS).values(_NEW_POST_VALUES).returning(POSTS.c.id)
_INSERT_LINKS = insert(post_tags).from_select(
    ["post_id", "tag_id"], select(bindparam("post_id", type_=Integer), tags.TAGS.c.id).where(tags.named())
)


def _insert_post_then_links(connection: Connection, values: dict[str, Any]) -> Row[Any]:
    """SQLite: the missing tags and the same, as four statements in one transaction (in the loop's
    thread, or in the writer's if the write lock is taken: `kaira.database.engines.InProcessSQLite`)."""
    tags.create_missing_in(connection, values["tags"])
    ((post_id,),) = rows_in(connection, _INSERT_POST, values)
    if values["tags"]:
        rows_in(connection, _INSERT_LINKS, {"post_id": post_id, "tags": values["tags"]})
    (post,) = rows_in(connection, _one_post("sqlite", "superuser"), {"post_id": post_id})
    return cast(Row[Any], post)


async def insert_post(db: CoreWriter, values: dict[str, Any]) -> Row[Any]:
    """The new post as a row of the post shape, its tags (`values["tags"]`, sorted distinct names)
    created where missing: on PostgreSQL committed on their own (`kaira.tags.repository.create_missing`),
    and only when the post's statement found one missing (tags are never deleted, so the second
    statement finds them all)."""
    if db.dialect_name != "postgresql":
        return await db.in_transaction(_insert_post_then_links, values)
    params = {**values, "tag_list": values["tags"], "tag_count": len(values["tags"])}
    rows = await db.rows(_insert_post_with_links(), params)
    if not rows:
        await tags.create_missing(db, values["tags"])
        rows = await db.rows(_insert_post_with_links(), params)
    (row,) = rows
    return row


# --- changing and removing posts ----------------------------------------------------------------------


async def get_for_change(session: AsyncSession, post_id: int, *, caller: Caller) -> Post | None:
    """The post with its tags, if `caller` may see it."""
    audience = audience_of(caller)
    rule = visibility(audience)
    if audience == "member":
        rule = rule.params(caller_id=caller.id)
    # One statement: for a single post, joining its few tags costs less than a second round trip.
    query = select(Post).where(Post.id == post_id, rule).options(joinedload(Post.tags))
    return (await session.scalars(query)).unique().one_or_none()


async def read_post_in(session: AsyncSession, post_id: int) -> Row[Any]:
    """The post as this session's transaction sees it, changes flushed."""
    statement = _one_post(session.get_bind().dialect.name, "superuser")
    return (await session.execute(statement, {"post_id": post_id})).one()


async def delete_post(session: AsyncSession, post_id: int) -> None:
    """One DELETE; the database's ON DELETE CASCADE removes the post's tag links."""
    await session.execute(delete(Post).where(Post.id == post_id))
