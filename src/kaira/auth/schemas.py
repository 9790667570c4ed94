"""The token endpoint's form (RFC 6749): the password grant (§4.3) and the refresh grant (§6).

`grant_type` may be left out for the password grant, as the original clients do. The fields each
grant needs are checked here, so a missing one is a 422 that names it, in FastAPI's shape. FastAPI's
`OAuth2PasswordRequestForm` would take any string, NUL included, and PostgreSQL would then fail on the
lookup: every field here is text checked as every other text is (`kaira.schemas.Text`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from pydantic.config import JsonDict

from kaira.schemas import CleanStr, Text

_SECRET: JsonDict = {"format": "password"}
_REQUIRED = {"password": ("username", "password"), "refresh_token": ("refresh_token",)}


class TokenForm(BaseModel):
    """Unknown fields are ignored, as OAuth2 clients may send more than a grant needs."""

    grant_type: Annotated[str, Text(pattern="^(password|refresh_token)$")] | None = Field(
        default=None, description="`password` (or left out) or `refresh_token`", examples=["password"]
    )
    username: CleanStr | None = Field(
        default=None, description="Password grant: the username or the email", examples=["ada"]
    )
    password: CleanStr | None = Field(default=None, json_schema_extra=_SECRET, examples=["a long password"])
    refresh_token: Annotated[str, Text(max_length=300)] | None = Field(
        default=None, description="Refresh grant: the refresh token to spend"
    )
    scope: CleanStr = Field(default="", description="Scopes, separated by spaces (none are defined)")
    client_id: CleanStr | None = Field(default=None, description="Not needed: Kaira has no client registry")
    client_secret: CleanStr | None = Field(default=None, json_schema_extra=_SECRET)

    def grant(self) -> PasswordGrant | RefreshGrant:
        """The grant asked for, with the fields it needs; a 422 naming each that is missing."""
        missing = [name for name in _REQUIRED[self.grant_type or "password"] if getattr(self, name) is None]
        if missing:
            raise RequestValidationError(
                [{"type": "missing", "loc": ("body", name), "msg": "Field required"} for name in missing]
            )
        if self.refresh_token is not None and self.grant_type == "refresh_token":
            return RefreshGrant(self.refresh_token)
        return PasswordGrant(self.username or "", self.password or "")


@dataclass(frozen=True, slots=True)
class PasswordGrant:
    username: str
    password: str


@dataclass(frozen=True, slots=True)
class RefreshGrant:
    refresh_token: str


class Token(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    expires_in: int = Field(description="Seconds the access token lives")
    refresh_token: str = Field(description="Spend it at this endpoint with grant_type=refresh_token")
