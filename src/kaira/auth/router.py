from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from pydantic import BaseModel

from kaira.auth import service
from kaira.auth.schemas import LoginForm
from kaira.auth.security import create_access_token
from kaira.database.sessions import WriteSession
from kaira.openapi import RATE_LIMITED, errors

router = APIRouter(prefix="/api/auth", tags=["auth"])


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret


@router.post("/token", response_model=Token, responses=errors(400, 401, 413, 503, *RATE_LIMITED))
async def login(form: Annotated[LoginForm, Form()], session: WriteSession, request: Request) -> Token:
    """OAuth2 password flow; `username` may be the username or the email."""
    user = await service.authenticate(session, form.username, form.password)
    settings = request.app.state.settings
    token = create_access_token(
        user.id, secret=request.app.state.secret_key, expires_minutes=settings.access_token_expire_minutes
    )
    return Token(access_token=token)
