from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from kaira.auth.dependencies import CurrentCaller
from kaira.database.sessions import WriteSession
from kaira.posts import service
from kaira.posts.models import Post
from kaira.schemas import PostId


async def own_post(caller: CurrentCaller, post_id: PostId, session: WriteSession) -> Post:
    """The post the caller is about to change or delete; the caller comes first (401 without a token)."""
    return await service.get_own_post(session, post_id, caller=caller)


OwnPostDep = Annotated[Post, Depends(own_post)]
