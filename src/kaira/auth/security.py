"""Password hashing and access tokens: pure functions without I/O, easy to test and to run in threads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from pwdlib import PasswordHash
from pwdlib.exceptions import UnknownHashError

from kaira.schemas import MAX_ID

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


@dataclass(frozen=True, slots=True)
class TokenClaims:
    user_id: int
    issued_at: datetime


def create_access_token(
    user_id: int, *, secret: str, expires_minutes: int, now: datetime | None = None
) -> str:
    issued = now or datetime.now(UTC)
    # `iat` keeps its microseconds, so a token can be told from one issued before its account existed.
    claims = {
        "sub": str(user_id),
        "iat": issued.timestamp(),
        "exp": issued + timedelta(minutes=expires_minutes),
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def read_access_token(token: str, *, secret: str) -> TokenClaims | None:
    """What a valid token says, or None for a forged, expired or malformed one."""
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], options={"require": ["exp", "iat", "sub"]})
        user_id = int(claims["sub"])
        issued_at = datetime.fromtimestamp(claims["iat"], UTC)
    except (jwt.InvalidTokenError, ValueError, TypeError, OverflowError, OSError):
        return None
    if not 0 < user_id <= MAX_ID:  # no such id can exist, and the database would refuse to look it up
        return None
    return TokenClaims(user_id=user_id, issued_at=issued_at)
