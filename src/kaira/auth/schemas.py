"""The log-in form: OAuth2's password request (RFC 6749 §4.3.2), its text checked as every other text is.

FastAPI's `OAuth2PasswordRequestForm` takes any string, NUL included, and PostgreSQL then fails on the
lookup; this form has the same fields, under the same names, for the same clients.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field
from pydantic.config import JsonDict

from kaira.schemas import CleanStr, Text

_SECRET: JsonDict = {"format": "password"}


class LoginForm(BaseModel):
    """Unknown fields are ignored, as OAuth2 clients may send more than the password grant needs."""

    grant_type: Annotated[str, Text(pattern="^password$")] | None = Field(
        default=None, description="`password` (or left out): the OAuth2 password grant", examples=["password"]
    )
    username: CleanStr = Field(description="The username or the email", examples=["ada"])
    password: CleanStr = Field(json_schema_extra=_SECRET, examples=["a long password"])
    scope: CleanStr = Field(default="", description="Scopes, separated by spaces (none are defined)")
    client_id: CleanStr | None = Field(default=None, description="Not needed: Kaira has no client registry")
    client_secret: CleanStr | None = Field(default=None, json_schema_extra=_SECRET)
