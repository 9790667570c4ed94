"""Who is calling: the one way an endpoint learns it, `OptionalCaller` or `CurrentCaller`.

The caller is looked up by one Core statement outside any session (`kaira.database.core`), which
also checks that the token's log-in session has not ended or expired and that the account is
active; an anonymous request costs none. A token that is sent must pass, on every endpoint, reads
included: 401 otherwise.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from kaira.access_log import USER_ID
from kaira.auth import repository
from kaira.auth.caller import Caller
from kaira.auth.limits import AbuseLimits, Limit
from kaira.auth.security import read_access_token
from kaira.auth.service import Client, TokenPolicy
from kaira.database.base import utcnow
from kaira.database.core import reader_of
from kaira.errors import NotAuthenticated

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/auth/token", auto_error=False)
TokenDep = Annotated[str | None, Depends(oauth2_scheme)]


async def optional_caller(request: Request, token: TokenDep) -> Caller | None:
    """The reader is taken from the app (`reader_of`), not declared as `ReadDB`: FastAPI solves each
    declared sub-dependency on every request, cached or not, and most reads are anonymous."""
    if token is None:
        return None
    db = reader_of(request)
    now = utcnow()
    claims = read_access_token(token, secret=request.app.state.secret_key, now=now)
    if claims is not None:
        holder = await repository.read_token_holder(
            db, user_id=claims.user_id, session_id=claims.session_id, now=now
        )
        if holder is not None:
            setattr(request.state, USER_ID, claims.user_id)  # for the request's log line (`kaira.access_log`)
            return Caller(id=claims.user_id, is_superuser=holder.is_superuser, session_id=claims.session_id)
    raise NotAuthenticated("Could not validate credentials")


OptionalCaller = Annotated[Caller | None, Depends(optional_caller)]


async def current_caller(caller: OptionalCaller) -> Caller:
    if caller is None:
        raise NotAuthenticated("Not authenticated")
    return caller


CurrentCaller = Annotated[Caller, Depends(current_caller)]


async def abuse_limits(request: Request) -> AbuseLimits:
    limits: AbuseLimits = request.app.state.limits
    return limits


LimitsDep = Annotated[AbuseLimits, Depends(abuse_limits)]


async def token_policy(request: Request) -> TokenPolicy:
    policy: TokenPolicy = request.app.state.token_policy
    return policy


TokenPolicyDep = Annotated[TokenPolicy, Depends(token_policy)]


async def client_of(request: Request, limits: LimitsDep) -> Client:
    return Client(
        address=limits.proxies.client_address(request), user_agent=request.headers.get("user-agent")
    )


ClientDep = Annotated[Client, Depends(client_of)]


async def count_signup(limits: LimitsDep, client: ClientDep) -> None:
    """Sign-ups are limited per client address; counted before the body is hashed."""
    await limits.count(Limit.SIGNUP_PER_ADDRESS, client.address)


SignupCounted = Depends(count_signup)
