"""Password hashing and access tokens: pure functions without I/O, easy to test and to run in threads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

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


def read_access_token(token: str, *, secret: str, now: datetime | None = None) -> TokenClaims | None:
    """What a valid token says, or None for a forged, expired or malformed one."""
    verified = _verified_claims(token, secret)
    if verified is None:
        return None
    user_id, issued_at, expires_at = verified
    if expires_at <= (now or datetime.now(UTC)):
        return None
    return TokenClaims(user_id=user_id, issued_at=issued_at)


@lru_cache(maxsize=4096)
def _verified_claims(token: str, secret: str) -> tuple[int, datetime, datetime] | None:
    """The claims of a token whose signature is right, decoded once per token.

    Clients send the same token with every request, and checking it (HMAC, base64, JSON) cost more
    than a tenth of an authenticated request's CPU, measured. A token's bytes either carry a valid
    signature for this secret or not, forever, so only that is remembered; expiry is checked on every
    use by the caller. A flood of made-up tokens only evicts entries: it can never validate one.
    """
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], options={"require": ["exp", "iat", "sub"]})
        user_id = int(claims["sub"])
        issued_at = datetime.fromtimestamp(claims["iat"], UTC)
        expires_at = datetime.fromtimestamp(claims["exp"], UTC)
    except (jwt.InvalidTokenError, ValueError, TypeError, OverflowError, OSError):
        return None
    if not 0 < user_id <= MAX_ID:  # no such id can exist, and the database would refuse to look it up
        return None
    return user_id, issued_at, expires_at
