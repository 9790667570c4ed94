from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from kaira.auth.dependencies import CurrentUser, OptionalViewer
from kaira.db import SessionDep
from kaira.pagination import PageDep, set_next_link, split_page
from kaira.responses import json_response
from kaira.schemas import UserId
from kaira.statements import StatementsDep
from kaira.users import service
from kaira.users.dependencies import OwnUserDep
from kaira.users.models import User
from kaira.users.schemas import UserCreate, UserPrivate, UserRead, UserUpdate

router = APIRouter(prefix="/api/users", tags=["users"])


@router.post("/", response_model=UserPrivate, status_code=status.HTTP_201_CREATED)
async def create_user(data: UserCreate, session: SessionDep) -> User:
    """Sign up. A taken email (in any case) or username is a 400 that says which."""
    return await service.create_user(session, data)


@router.get("/me", response_model=UserPrivate)
async def read_me(user: CurrentUser) -> User:
    return user


@router.get("/", response_model=list[UserRead])
async def list_users(
    page: PageDep, session: SessionDep, viewer: OptionalViewer, request: Request, response: Response
) -> list[UserRead]:
    users, has_next = split_page(await service.list_users(session, page), page.limit)
    if has_next:
        set_next_link(request, response, service.next_cursor(users[-1]))
    return [service.as_seen_by(viewer, user.id, user) for user in users]


@router.get("/{user_id}", response_model=UserRead, responses={404: {"description": "User not found"}})
async def read_user(user_id: UserId, db: StatementsDep, viewer: OptionalViewer) -> Response:
    """Answered straight from the row (`kaira.responses`); the tests check it against `UserRead`."""
    return json_response(await service.read_profile(db, user_id, viewer=viewer))


@router.put("/{user_id}", response_model=UserPrivate)
async def update_user(data: UserUpdate, user: OwnUserDep, session: SessionDep) -> User:
    return await service.update_user(session, user, data)


@router.delete("/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_user(user: OwnUserDep, session: SessionDep) -> None:
    """Deletes the account and, through the database's cascade, every post of it."""
    await service.delete_user(session, user)
