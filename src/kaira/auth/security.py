"""Password hashing and access tokens: pure functions, no I/O, so they are easy to test and to run in threads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
from pwdlib import PasswordHash
from pwdlib.exceptions import UnknownHashError

ALGORITHM = "HS256"
_hasher = PasswordHash.recommended()  # Argon2id with the library's current recommended cost

# Verified against when the user does not exist, so unknown users cost the same time as wrong passwords.
DUMMY_HASH = _hasher.hash("kaira-dummy-password-for-timing")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str) -> bool:
    try:
        return _hasher.verify(password, password_hash)
    except UnknownHashError:  # e.g. the plain text the original tutorial stored: it never matches
        return False


def create_access_token(
    user_id: int, *, secret: str, expires_minutes: int, now: datetime | None = None
) -> str:
    issued = now or datetime.now(UTC)
    claims = {"sub": str(user_id), "iat": issued, "exp": issued + timedelta(minutes=expires_minutes)}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def user_id_from_token(token: str, *, secret: str) -> int | None:
    """The user a valid token names, or None for a forged, expired or malformed one."""
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], options={"require": ["exp", "sub"]})
        user_id = int(claims["sub"])
    except (jwt.InvalidTokenError, ValueError, TypeError):
        return None
    return user_id if user_id > 0 else None
