from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from kaira.auth.dependencies import CurrentCaller, OptionalCaller, SignupCounted
from kaira.database.core import ReadDB
from kaira.database.sessions import WriteSession
from kaira.openapi import RATE_LIMITED, errors, list_responses, read_responses
from kaira.pagination import PageDep
from kaira.responses import json_response, page_response, read_response
from kaira.schemas import UserId
from kaira.users import service
from kaira.users.dependencies import OwnUserId
from kaira.users.schemas import UserCreate, UserPrivate, UserRead, UserUpdate

router = APIRouter(prefix="/api/users", tags=["users"])


@router.post(
    "/",
    response_model=UserPrivate,
    status_code=status.HTTP_201_CREATED,
    dependencies=[SignupCounted],
    responses=errors(400, 413, 503, *RATE_LIMITED),
)
async def create_user(data: UserCreate, session: WriteSession) -> Response:
    """Sign up. A taken email (in any case) or username is a 400 that says which."""
    return json_response(await service.create_user(session, data), status_code=status.HTTP_201_CREATED)


@router.get("/me", response_model=UserPrivate, responses=read_responses(400, 401, 503))
async def read_me(caller: CurrentCaller, db: ReadDB, request: Request) -> Response:
    return read_response(request, await service.read_user(db, caller.id, caller=caller))


@router.get("/", response_model=list[UserRead], responses=list_responses(400, 401, 503))
async def list_users(page: PageDep, db: ReadDB, caller: OptionalCaller, request: Request) -> Response:
    return page_response(request, await service.list_users(db, page, caller=caller))


@router.get("/{user_id}", response_model=UserRead, responses=read_responses(400, 401, 404, 503))
async def read_user(user_id: UserId, db: ReadDB, caller: OptionalCaller, request: Request) -> Response:
    return read_response(request, await service.read_user(db, user_id, caller=caller))


@router.put("/{user_id}", response_model=UserPrivate, responses=errors(400, 401, 403, 404, 413, 503))
async def update_user(
    data: UserUpdate, user_id: OwnUserId, caller: CurrentCaller, session: WriteSession
) -> Response:
    """A new password ends every other session of the account (the caller's own goes on)."""
    return json_response(await service.update_user(session, user_id, data, caller=caller))


@router.delete(
    "/{user_id}", status_code=status.HTTP_204_NO_CONTENT, responses=errors(400, 401, 403, 404, 503)
)
async def delete_user(user_id: OwnUserId, session: WriteSession) -> None:
    """Deletes the account and, through the database's cascade, every post of it."""
    await service.delete_user(session, user_id)
