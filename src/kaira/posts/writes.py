"""Writing a new post with its tag links, in as few round trips as each database allows.

Creating a post is the hot write path, and each round trip through SQLAlchemy's asyncio layer costs
more CPU than the SQL it carries (see `kaira.statements`). On PostgreSQL the post and its links are one
statement, atomic on its own: the INSERT of the post is a data-modifying CTE whose new id feeds the
INSERT of the links, and the statement answers with the post joined to its author. SQLite has no
data-modifying CTEs: there the same steps run one by one inside a transaction.

The tags themselves exist by then (`kaira.tags.service.create_missing_tags`): the links look them up
by name. Statements are built once; building one costs more than running it.
"""

from __future__ import annotations

from functools import cache
from typing import Any, cast

from sqlalchemy import (
    Boolean,
    Connection,
    Integer,
    Row,
    Select,
    String,
    Table,
    Text,
    bindparam,
    insert,
    select,
    true,
)

from kaira.db import UTCDateTime
from kaira.posts.bodies import PostData, post_data
from kaira.posts.models import Post
from kaira.tags.models import Tag, post_tags
from kaira.users.models import User

POSTS = cast(Table, Post.__table__)
TAGS = cast(Table, Tag.__table__)
USERS = cast(Table, User.__table__)


def _post_values() -> dict[str, Any]:
    return {
        "title": bindparam("title", type_=String),
        "content": bindparam("content", type_=Text),
        "author_id": bindparam("author_id", type_=Integer),
        "is_published": bindparam("is_published", type_=Boolean),
        "created_at": bindparam("created_at", type_=UTCDateTime),
        "updated_at": bindparam("updated_at", type_=UTCDateTime),
    }


def _tags_named() -> Any:
    return TAGS.c.name.in_(bindparam("tags", expanding=True))


def _author_columns() -> tuple[Any, ...]:
    return (
        USERS.c.username,
        USERS.c.full_name,
        USERS.c.is_active,
        USERS.c.created_at.label("author_created_at"),
        USERS.c.updated_at.label("author_updated_at"),
    )


_POST_COLUMNS = ("id", "title", "content", "author_id", "is_published", "created_at", "updated_at")


@cache
def insert_post_with_links() -> Select[Any]:
    """PostgreSQL: the post, its links and its author's public fields, in one statement."""
    new_post = insert(POSTS).values(_post_values()).returning(*POSTS.c).cte("new_post")
    links = (
        insert(post_tags)
        .from_select(
            ["post_id", "tag_id"],
            select(new_post.c.id, TAGS.c.id).join_from(new_post, TAGS, true()).where(_tags_named()),
        )
        .cte("links")
    )
    post = [new_post.c[name] for name in _POST_COLUMNS]
    return (
        select(*post, *_author_columns())
        .join_from(new_post, USERS, USERS.c.id == new_post.c.author_id)
        .add_cte(links)
    )


_INSERT_POST = insert(POSTS).values(_post_values()).returning(POSTS.c.id)
_INSERT_LINKS = insert(post_tags).from_select(
    ["post_id", "tag_id"], select(bindparam("post_id", type_=Integer), TAGS.c.id).where(_tags_named())
)
_NEW_POST = (
    select(*(POSTS.c[name] for name in _POST_COLUMNS), *_author_columns())
    .join_from(POSTS, USERS, USERS.c.id == POSTS.c.author_id)
    .where(POSTS.c.id == bindparam("post_id", type_=Integer))
)


def insert_post_then_links(connection: Connection, values: dict[str, Any]) -> Row[Any]:
    """SQLite: the same, as three statements; run it inside one transaction."""
    post_id = connection.execute(_INSERT_POST, values).scalar_one()
    if values["tags"]:
        connection.execute(_INSERT_LINKS, {"post_id": post_id, "tags": values["tags"]})
    return connection.execute(_NEW_POST, {"post_id": post_id}).one()


def as_post_data(row: Row[Any], *, tags: list[str]) -> PostData:
    """A row of either statement above, with the post's (sorted) tag names where the read side has them."""
    fields: list[Any] = list(row)
    fields.insert(5, tags)  # the read side's order: tags come after `is_published`
    return post_data(*fields)
