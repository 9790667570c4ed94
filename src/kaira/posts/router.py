from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from kaira.auth.dependencies import CurrentCaller, OptionalCaller
from kaira.database.core import ReadDB, WriteDB
from kaira.database.sessions import WriteSession
from kaira.openapi import errors, list_responses, read_responses
from kaira.pagination import PageDep
from kaira.posts import service
from kaira.posts.dependencies import OwnPostDep
from kaira.posts.schemas import PostCreate, PostFilter, PostRead, PostUpdate, SearchWords
from kaira.responses import json_response, page_response, read_response
from kaira.schemas import MAX_ID, PlainInteger, PostId
from kaira.tags.schemas import TagName

router = APIRouter(prefix="/api/posts", tags=["posts"])

AuthorIdQuery = Annotated[
    int | None, Query(ge=1, le=MAX_ID, description="Only this author's posts"), PlainInteger
]


@router.post(
    "/",
    response_model=PostRead,
    status_code=status.HTTP_201_CREATED,
    responses=errors(400, 401, 403, 404, 413, 503),
)
async def create_post(
    data: PostCreate, caller: CurrentCaller, db: WriteDB, author_id: AuthorIdQuery = None
) -> Response:
    """The author is the caller; `author_id`, kept from the original design, must name the caller
    (a superuser may name any existing user)."""
    post = await service.create_post(db, caller, data, author_id=author_id)
    return json_response(post, status_code=status.HTTP_201_CREATED)


@router.get("/", response_model=list[PostRead], responses=list_responses(400, 401, 503))
async def list_posts(
    page: PageDep,
    db: ReadDB,
    caller: OptionalCaller,
    request: Request,
    author_id: AuthorIdQuery = None,
    tag: Annotated[TagName | None, Query(description="Only posts with this tag")] = None,
    q: Annotated[SearchWords | None, Query(description="Words to find")] = None,
) -> Response:
    where = PostFilter(author_id=author_id, tag=tag, query=q)
    posts = await service.list_posts(db, page, caller=caller, where=where)
    return page_response(request, posts, holds_draft=service.holds_draft(posts.items))


@router.get("/published", response_model=list[PostRead], responses=list_responses(400, 401, 503))
async def list_published_posts(
    page: PageDep, db: ReadDB, caller: OptionalCaller, request: Request
) -> Response:
    """Published posts only, even for their authors; a token that is sent must still be valid."""
    where = PostFilter(published_only=True)
    return page_response(request, await service.list_posts(db, page, caller=caller, where=where))


@router.get("/{post_id}", response_model=PostRead, responses=read_responses(400, 401, 404, 503))
async def read_post(post_id: PostId, db: ReadDB, caller: OptionalCaller, request: Request) -> Response:
    """A draft of someone else's is 404, as if it did not exist."""
    post = await service.read_post(db, post_id, caller=caller)
    return read_response(request, post, holds_draft=service.holds_draft([post]))


@router.put("/{post_id}", response_model=PostRead, responses=errors(400, 401, 403, 404, 413, 503))
async def update_post(data: PostUpdate, post: OwnPostDep, session: WriteSession) -> Response:
    return json_response(await service.update_post(session, post, data))


@router.delete(
    "/{post_id}", status_code=status.HTTP_204_NO_CONTENT, responses=errors(400, 401, 403, 404, 503)
)
async def delete_post(post: OwnPostDep, session: WriteSession) -> None:
    await service.delete_post(session, post)
