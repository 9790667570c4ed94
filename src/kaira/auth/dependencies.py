"""Who is calling: `OptionalViewer`/`CurrentViewer` give a `Viewer` looked up outside any session (see
`kaira.statements`); `CurrentUser` gives the `User` in the request's session, ready to be changed.

All refuse a bad token the same way: 401, or 400 for an inactive account.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Protocol, TypeVar

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy import Integer, bindparam, select

from kaira.auth.security import TokenClaims, read_access_token
from kaira.auth.viewer import SignedInViewer, Viewer
from kaira.db import SessionDep
from kaira.errors import BadRequest, NotAuthenticated
from kaira.statements import StatementsDep
from kaira.users.models import User

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/auth/token", auto_error=False)
TokenDep = Annotated[str | None, Depends(oauth2_scheme)]


class _Account(Protocol):
    @property
    def created_at(self) -> datetime: ...

    @property
    def is_active(self) -> bool: ...


AccountT = TypeVar("AccountT", bound=_Account)


def _checked(claims: TokenClaims | None, account: AccountT | None) -> AccountT:
    """A token that is sent must be valid and name an active account: 401 or 400 otherwise."""
    # An id can be given again once its account is deleted (SQLite reuses the highest one): a token
    # issued before the account existed was issued for someone else.
    if claims is None or account is None or claims.issued_at < account.created_at:
        raise NotAuthenticated("Could not validate credentials")
    if not account.is_active:
        raise BadRequest("Inactive user")
    return account


async def optional_user(request: Request, session: SessionDep, token: TokenDep) -> User | None:
    """The caller as a `User` of the request's session, or None when anonymous."""
    if token is None:
        return None
    claims = read_access_token(token, secret=request.app.state.secret_key)
    user = await session.get(User, claims.user_id) if claims is not None else None
    return _checked(claims, user)


CallerT = TypeVar("CallerT")


def _required(caller: CallerT | None) -> CallerT:
    if caller is None:
        raise NotAuthenticated("Not authenticated")
    return caller


async def current_user(user: Annotated[User | None, Depends(optional_user)]) -> User:
    return _required(user)


_VIEWER = select(User.id, User.is_superuser, User.is_active, User.created_at).where(
    User.id == bindparam("user_id", type_=Integer)
)


async def optional_viewer(request: Request, db: StatementsDep, token: TokenDep) -> Viewer | None:
    """The caller as a `Viewer`, or None when anonymous; an anonymous caller costs no statement."""
    if token is None:
        return None
    claims = read_access_token(token, secret=request.app.state.secret_key)
    account = await db.first(_VIEWER, {"user_id": claims.user_id}) if claims is not None else None
    account = _checked(claims, account)
    return SignedInViewer(id=account.id, is_superuser=account.is_superuser)


async def current_viewer(viewer: Annotated[Viewer | None, Depends(optional_viewer)]) -> Viewer:
    return _required(viewer)


OptionalUser = Annotated[User | None, Depends(optional_user)]
CurrentUser = Annotated[User, Depends(current_user)]
OptionalViewer = Annotated[Viewer | None, Depends(optional_viewer)]
CurrentViewer = Annotated[Viewer, Depends(current_viewer)]
