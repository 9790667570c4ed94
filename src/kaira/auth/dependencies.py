"""Who is calling: `OptionalUser` for pages anyone may read, `CurrentUser` where a token is required."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from kaira.auth.security import read_access_token
from kaira.db import SessionDep
from kaira.errors import BadRequest, NotAuthenticated
from kaira.users.models import User

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/auth/token", auto_error=False)


async def optional_user(
    request: Request, session: SessionDep, token: Annotated[str | None, Depends(oauth2_scheme)]
) -> User | None:
    """The caller, or None when anonymous. A token that is sent must be valid: a bad one is 401."""
    if token is None:
        return None
    claims = read_access_token(token, secret=request.app.state.secret_key)
    user = await session.get(User, claims.user_id) if claims is not None else None
    # An id can be given again once its account is deleted (SQLite reuses the highest one): a token
    # issued before the account existed was issued for someone else.
    if claims is None or user is None or claims.issued_at < user.created_at:
        raise NotAuthenticated("Could not validate credentials")
    if not user.is_active:
        raise BadRequest("Inactive user")
    return user


async def current_user(user: Annotated[User | None, Depends(optional_user)]) -> User:
    if user is None:
        raise NotAuthenticated("Not authenticated")
    return user


OptionalUser = Annotated[User | None, Depends(optional_user)]
CurrentUser = Annotated[User, Depends(current_user)]
