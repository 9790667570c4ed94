from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from kaira.auth.dependencies import CurrentViewer, OptionalViewer
from kaira.auth.viewer import Viewer
from kaira.db import SessionDep
from kaira.pagination import Page, PageDep, split_page
from kaira.posts import queries, service
from kaira.posts.dependencies import OwnPostDep
from kaira.posts.models import Post
from kaira.posts.queries import PostFilter
from kaira.posts.schemas import PostCreate, PostRead, PostUpdate
from kaira.responses import json_response, next_link
from kaira.schemas import MAX_ID, PostId
from kaira.statements import Statements, StatementsDep
from kaira.tags.schemas import TagName

router = APIRouter(prefix="/api/posts", tags=["posts"])

AuthorIdQuery = Annotated[int | None, Query(ge=1, le=MAX_ID, description="Only this author's posts")]


async def _page_of_posts(
    db: Statements, page: Page, viewer: Viewer | None, where: PostFilter, request: Request
) -> Response:
    posts, has_next = split_page(await queries.read_posts(db, page, viewer=viewer, where=where), page.limit)
    headers = {"Link": next_link(request, queries.next_cursor(posts[-1]))} if has_next else None
    return json_response(posts, headers=headers)


@router.post("/", response_model=PostRead, status_code=status.HTTP_201_CREATED)
async def create_post(
    data: PostCreate, caller: CurrentViewer, db: StatementsDep, author_id: AuthorIdQuery = None
) -> Response:
    """The author is the caller; `author_id`, kept from the original design, must name the caller
    (a superuser may name any existing user). Answered straight from the new row (`kaira.responses`)."""
    author = await service.choose_author(db, caller, author_id)
    post = await service.create_post(db, author, data)
    return json_response(post, status_code=status.HTTP_201_CREATED)


# The read endpoints answer with bodies written straight from rows (`kaira.responses`); the
# `response_model` still documents them, and the tests check each body against it.


@router.get("/", response_model=list[PostRead])
async def list_posts(
    page: PageDep,
    db: StatementsDep,
    viewer: OptionalViewer,
    request: Request,
    author_id: AuthorIdQuery = None,
    tag: Annotated[TagName | None, Query(description="Only posts with this tag")] = None,
    q: Annotated[str | None, Query(min_length=1, max_length=200, description="Words to find")] = None,
) -> Response:
    where = PostFilter(author_id=author_id, tag=tag, query=q)
    return await _page_of_posts(db, page, viewer, where, request)


@router.get("/published", response_model=list[PostRead])
async def list_published_posts(
    page: PageDep, db: StatementsDep, viewer: OptionalViewer, request: Request
) -> Response:
    """Published posts only, even for their authors; a token that is sent must still be valid."""
    return await _page_of_posts(db, page, viewer, PostFilter(published_only=True), request)


@router.get("/{post_id}", response_model=PostRead, responses={404: {"description": "Post not found"}})
async def read_post(post_id: PostId, db: StatementsDep, viewer: OptionalViewer) -> Response:
    """A draft of someone else's is 404, as if it did not exist."""
    return json_response(await queries.read_post(db, post_id, viewer=viewer))


@router.put("/{post_id}", response_model=PostRead)
async def update_post(data: PostUpdate, post: OwnPostDep, session: SessionDep) -> Post:
    return await service.update_post(session, post, data)


@router.delete("/{post_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_post(post: OwnPostDep, session: SessionDep) -> None:
    await service.delete_post(session, post)
