from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import EmailStr, Field, StringConstraints, field_validator

from kaira.schemas import ReadSchema, Schema
from kaira.shapes import Shape

Username = Annotated[str, StringConstraints(min_length=3, max_length=50, pattern=r"^[A-Za-z0-9_.\-]+$")]
Password = Annotated[str, Field(min_length=8, max_length=128)]
FullName = Annotated[str, Field(max_length=100)]


class _EmailInput(Schema):
    @field_validator("email", mode="after", check_fields=False)
    @classmethod
    def _fold_case(cls, email: str | None) -> str | None:
        """Addresses differing only in case are one address: keep one spelling of it."""
        if email is None:
            return None
        if len(email) > 100:
            raise ValueError("must be at most 100 characters")
        return email.lower()


class UserCreate(_EmailInput):
    username: Username
    email: EmailStr
    password: Password
    full_name: FullName | None = None


class UserUpdate(_EmailInput):
    email: EmailStr | None = None
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
