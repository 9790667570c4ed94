from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from kaira.auth.dependencies import CurrentUser, OptionalUser
from kaira.db import SessionDep
from kaira.errors import Forbidden
from kaira.posts import service
from kaira.posts.models import Post
from kaira.schemas import PostId


async def valid_post(post_id: PostId, session: SessionDep, viewer: OptionalUser) -> Post:
    """The post, if the caller may see it; a draft of someone else's is 404, as if it did not exist."""
    return await service.get_visible_post(session, post_id, viewer=viewer)


PostDep = Annotated[Post, Depends(valid_post)]


async def own_post(post: PostDep, user: CurrentUser) -> Post:
    if post.author_id != user.id and not user.is_superuser:
        raise Forbidden("Only the author can change this post")
    return post


OwnPostDep = Annotated[Post, Depends(own_post)]
