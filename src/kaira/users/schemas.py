from __future__ import annotations

from datetime import datetime
from typing import Annotated

import email_validator
from pydantic import AfterValidator, Field
from pydantic.networks import validate_email
from pydantic_core import PydanticCustomError

from kaira.schemas import CONTROL_CHARACTERS, ReadSchema, Schema, Text
from kaira.shapes import Shape

MAX_EMAIL_LENGTH = 100
Username = Annotated[str, Text(min_length=3, max_length=50, pattern=r"^[A-Za-z0-9_.\-]+$")]
Password = Annotated[
    str,
    Text(min_length=8, max_length=128),
    Field(json_schema_extra={"format": "password"}, examples=["a long password"]),
]
FullName = Annotated[str, Text(max_length=100)]


def _one_spelling(raw: str) -> str:
    """The address as stored: valid, normalised, and in lower case, since addresses differing only in
    case are one address. Its length is checked once more, as normalising can change it."""
    _, email = validate_email(raw)
    if len(email) > MAX_EMAIL_LENGTH:
        raise PydanticCustomError("string_too_long", "The email address must be at most 100 characters")
    return email.lower()


def _any_case(word: str) -> str:
    return "".join(f"[{letter}{letter.upper()}]" for letter in word)


_RESERVED = "|".join(_any_case(name) for name in email_validator.SPECIAL_USE_DOMAIN_NAMES)
EMAIL_PATTERN = f"^(?!.*[.@](?:{_RESERVED})\\.?$)[^{CONTROL_CHARACTERS}]*$"
"""Told to clients besides `format: email`: no control character, and no special-use domain (`.test`,
`.invalid`, `localhost`…), which `validate_email` refuses: no mail can ever reach one."""

Email = Annotated[
    str,
    Text(max_length=MAX_EMAIL_LENGTH),
    AfterValidator(_one_spelling),
    Field(json_schema_extra={"format": "email", "pattern": EMAIL_PATTERN}),
]


class UserCreate(Schema):
    username: Username
    email: Email
    password: Password
    full_name: FullName | None = None


class UserUpdate(Schema):
    email: Email | None = None
    full_name: FullName | None = None
    password: Password | None = None


class UserPublic(ReadSchema):
    id: int
    username: str
    full_name: str | None
    is_active: bool
    created_at: datetime
    updated_at: datetime


class UserPrivate(UserPublic):
    """What the user themself (or a superuser) sees: the public profile and the email."""

    email: str


UserRead = UserPrivate | UserPublic


USER = Shape.of(UserPrivate)
"""A user as every endpoint answers it (`/me`, a profile, the list, sign-up, edits); the email is
removed where the reader may not see it (`kaira.users.service.as_seen_by`)."""
