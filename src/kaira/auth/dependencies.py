"""Who is calling: the one way an endpoint learns it, `OptionalCaller` or `CurrentCaller`.

The caller is looked up by one Core statement outside any session (`kaira.database.core`); an
anonymous request costs none. A token that is sent must be valid and name an active account, on
every endpoint, reads included: 401 otherwise, or 400 for an inactive account.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from kaira.access_log import USER_ID
from kaira.auth import repository
from kaira.auth.caller import Caller
from kaira.auth.security import read_access_token
from kaira.database.core import ReadDB
from kaira.errors import BadRequest, NotAuthenticated

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/auth/token", auto_error=False)
TokenDep = Annotated[str | None, Depends(oauth2_scheme)]


async def optional_caller(request: Request, db: ReadDB, token: TokenDep) -> Caller | None:
    if token is None:
        return None
    claims = read_access_token(token, secret=request.app.state.secret_key)
    holder = await repository.read_token_holder(db, claims.user_id) if claims is not None else None
    # An id can be given again once its account is deleted (SQLite reuses the highest one): a token
    # issued before the account existed was issued for someone else.
    if claims is None or holder is None or claims.issued_at < holder["created_at"]:
        raise NotAuthenticated("Could not validate credentials")
    if not holder["is_active"]:
        raise BadRequest("Inactive user")
    setattr(request.state, USER_ID, holder["id"])  # for the request's log line (`kaira.access_log`)
    return Caller(id=holder["id"], is_superuser=holder["is_superuser"])


OptionalCaller = Annotated[Caller | None, Depends(optional_caller)]


async def current_caller(caller: OptionalCaller) -> Caller:
    if caller is None:
        raise NotAuthenticated("Not authenticated")
    return caller


CurrentCaller = Annotated[Caller, Depends(current_caller)]
