"""Password hashing and access tokens: pure functions without I/O, easy to test and to run in threads."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
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
    session_id: int


def create_access_token(
    user_id: int, session_id: int, *, secret: str, expires_minutes: int, now: datetime | None = None
) -> str:
    """A signed token naming its user and the log-in session it belongs to (`sid`).

    The signature and the expiry are checked here; whether the session still lives is asked of the
    database on every request (`kaira.auth.repository.read_token_holder`)."""
    issued = now or datetime.now(UTC)
    claims = {
        "sub": str(user_id),
        "sid": session_id,
        "iat": issued.timestamp(),
        "exp": issued + timedelta(minutes=expires_minutes),
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def read_access_token(token: str, *, secret: str, now: datetime | None = None) -> TokenClaims | None:
    """What a valid token says, or None for a forged, expired or malformed one."""
    verified = _verified_claims(token, secret)
    if verified is None:
        return None
    claims, expires_at = verified
    if expires_at <= (now or datetime.now(UTC)):
        return None
    return claims


@lru_cache(maxsize=4096)
def _verified_claims(token: str, secret: str) -> tuple[TokenClaims, datetime] | None:
    """The claims of a token whose signature is right, decoded once per token.

    Clients send the same token with every request, and checking it (HMAC, base64, JSON) cost more
    than a tenth of an authenticated request's CPU, measured. A token's bytes either carry a valid
    signature for this secret or not, forever, so only that is remembered; expiry is checked on every
    use by the caller, and whether its session has ended by the database, on every request. A flood
    of made-up tokens only evicts entries: it can never validate one.
    """
    try:
        claims = jwt.decode(
            token, secret, algorithms=[ALGORITHM], options={"require": ["exp", "iat", "sub", "sid"]}
        )
        user_id = int(claims["sub"])
        session_id = claims["sid"]
        expires_at = datetime.fromtimestamp(claims["exp"], UTC)
    except (jwt.InvalidTokenError, ValueError, TypeError, OverflowError, OSError):
        return None
    if not (_is_id(user_id) and type(session_id) is int and _is_id(session_id)):
        return None  # no such id can exist, and the database would refuse to look it up
    return TokenClaims(user_id=user_id, session_id=session_id), expires_at


def _is_id(value: int) -> bool:
    return 0 < value <= MAX_ID


# Refresh tokens: `<session id>.<generation>.<secret>.<mac>`, of which the database keeps the secret's hash.


def new_refresh_secret() -> str:
    return secrets.token_urlsafe(32)


def refresh_token(session_id: int, generation: int, refresh_secret: str, *, key: str) -> str:
    """The token a client holds: the random secret, and the session and generation it belongs to
    under a MAC, so that only a token this service issued can be recognised as a spent one coming
    back, and nobody can end another's session by making one up."""
    body = f"{session_id}.{generation}.{refresh_secret}"
    return f"{body}.{_mac(body, key)}"


@dataclass(frozen=True, slots=True)
class RefreshClaims:
    session_id: int
    generation: int
    secret_hash: str


def read_refresh_token(token: str, *, key: str) -> RefreshClaims | None:
    """The session and generation of a token this service issued, or None."""
    body, _, mac = token.rpartition(".")
    if not (token.isascii() and hmac.compare_digest(mac.encode(), _mac(body, key).encode())):
        return None
    session_id, generation, refresh_secret = body.split(".", 2)  # made by `refresh_token`: well-formed
    return RefreshClaims(int(session_id), int(generation), refresh_secret_hash(refresh_secret))


def refresh_secret_hash(refresh_secret: str) -> str:
    """SHA-256: the secret is 256 random bits, so a slow hash would protect nothing more."""
    return hashlib.sha256(refresh_secret.encode()).hexdigest()


def _mac(body: str, key: str) -> str:
    digest = hmac.new(key.encode(), b"kaira-refresh-token." + body.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")
