from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, status

from kaira.auth import service
from kaira.auth.dependencies import ClientDep, CurrentCaller, LimitsDep, TokenPolicyDep
from kaira.auth.schemas import RefreshGrant, Token, TokenForm
from kaira.database.core import WriteDB
from kaira.database.sessions import WriteSession
from kaira.openapi import RATE_LIMITED, errors

router = APIRouter(prefix="/api/auth", tags=["auth"])


@router.post(
    "/token",
    response_model=Token,
    responses=errors(400, 401, 413, 503, *RATE_LIMITED),
)
async def issue_tokens(
    form: Annotated[TokenForm, Form()],
    session: WriteSession,
    policy: TokenPolicyDep,
    limits: LimitsDep,
    client: ClientDep,
) -> Token:
    """OAuth2 password grant (`username` may be the username or the email), which starts a session,
    or refresh grant, which spends the refresh token for a new pair."""
    grant = form.grant()
    if isinstance(grant, RefreshGrant):
        pair = await service.refresh(session, grant.refresh_token, policy=policy)
    else:
        user = await service.authenticate(
            session, grant.username, grant.password, limits=limits, address=client.address
        )
        pair = await service.log_in(session, user, policy=policy, client=client)
    return Token(access_token=pair.access_token, expires_in=pair.expires_in, refresh_token=pair.refresh_token)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, responses=errors(401, 503))
async def log_out(caller: CurrentCaller, db: WriteDB) -> None:
    """Ends the caller's session: its access token and its refresh token stop working at once."""
    await service.log_out(db, caller)
