"""Logging in, refreshing, logging out: the rules of sessions and of the tokens that descend from them.

A password is checked without telling an unknown user from a wrong password, and only after the
attempt was counted against the abuse limits, so that a right guess cannot lift a limit early.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from kaira.auth import repository
from kaira.auth.caller import Caller
from kaira.auth.hashing import verify_password_in_pool
from kaira.auth.limits import AbuseLimits, Limit
from kaira.auth.models import CLIENT_ADDRESS_LENGTH, USER_AGENT_LENGTH
from kaira.auth.security import (
    DUMMY_HASH,
    create_access_token,
    new_refresh_secret,
    read_refresh_token,
    refresh_secret_hash,
    refresh_token,
)
from kaira.config import Settings
from kaira.database.base import utcnow
from kaira.database.core import CoreWriter
from kaira.errors import BadRequest, NotAuthenticated
from kaira.users import repository as users
from kaira.users.models import User


@dataclass(frozen=True, slots=True)
class TokenPolicy:
    key: str
    access_minutes: int
    refresh_days: int

    @classmethod
    def of(cls, settings: Settings, key: str) -> TokenPolicy:
        return cls(key, settings.access_token_expire_minutes, settings.refresh_token_expire_days)


@dataclass(frozen=True, slots=True)
class Client:
    """Where a log-in came from, kept with its session."""

    address: str
    user_agent: str | None


@dataclass(frozen=True, slots=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    """Seconds the access token lives."""


async def authenticate(
    session: AsyncSession, login: str, password: str, *, limits: AbuseLimits, address: str
) -> User:
    await limits.count(Limit.LOGIN_PER_ADDRESS, address)
    user = await users.find_by_login(session, login)
    # Give the connection back before the slow hash: logins must not hold the pool while hashing.
    await session.commit()
    # One count per account, whichever of its names (in whatever case) the attempt used.
    await limits.count(Limit.LOGIN_PER_ACCOUNT, f"id:{user.id}" if user else f"login:{login.lower()}")
    password_hash = user.password_hash if user is not None else DUMMY_HASH
    matches = await verify_password_in_pool(password, password_hash)
    if user is None or not matches:
        raise NotAuthenticated("Incorrect username or password")
    if not user.is_active:
        raise BadRequest("Inactive user")
    return user


async def log_in(session: AsyncSession, user: User, *, policy: TokenPolicy, client: Client) -> TokenPair:
    """A new session for `user`, and its first pair of tokens."""
    now = utcnow()
    refresh_secret = new_refresh_secret()
    session_id = await repository.insert_session(
        session,
        {
            "user_id": user.id,
            "created_at": now,
            "last_used_at": now,
            "expires_at": now + timedelta(days=policy.refresh_days),
            "client_address": client.address[:CLIENT_ADDRESS_LENGTH] or None,
            "user_agent": client.user_agent[:USER_AGENT_LENGTH] if client.user_agent else None,
            "refresh_token_hash": refresh_secret_hash(refresh_secret),
            "generation": 0,
        },
    )
    await repository.purge_sessions(session, now=now)
    return _pair(policy, user.id, session_id, 0, refresh_secret, now)


async def refresh(session: AsyncSession, token: str, *, policy: TokenPolicy) -> TokenPair:
    """Spend a refresh token for a new pair (RFC 6749 §6, rotated each time).

    A genuine token of an earlier generation is one already spent: whoever sends it, its owner or a
    thief, the other holds the newer one, and which is which cannot be told. So the whole session
    ends (RFC 9700 §4.14), and that is committed although the answer is an error.
    """
    now = utcnow()
    claims = read_refresh_token(token, key=policy.key)
    if claims is None:
        raise NotAuthenticated("Invalid refresh token")
    refresh_secret = new_refresh_secret()
    new_hash = refresh_secret_hash(refresh_secret)
    user_id = await repository.rotate_refresh_secret(session, claims, new_hash=new_hash, now=now)
    if user_id is None:
        await repository.end_replayed_session(session, claims, now=now)
        await session.commit()
        raise NotAuthenticated("Invalid refresh token")
    await repository.purge_sessions(session, now=now)
    return _pair(policy, user_id, claims.session_id, claims.generation + 1, refresh_secret, now)


def _pair(
    policy: TokenPolicy, user_id: int, session_id: int, generation: int, refresh_secret: str, now: datetime
) -> TokenPair:
    access = create_access_token(
        user_id, session_id, secret=policy.key, expires_minutes=policy.access_minutes, now=now
    )
    return TokenPair(
        access_token=access,
        refresh_token=refresh_token(session_id, generation, refresh_secret, key=policy.key),
        expires_in=policy.access_minutes * 60,
    )


async def log_out(db: CoreWriter, caller: Caller) -> None:
    await repository.end_session(db, session_id=caller.session_id, now=utcnow())


async def end_other_sessions(session: AsyncSession, user_id: int, *, keep: int) -> None:
    """After a new password: every session of the user ends but the one that set it."""
    await repository.end_sessions_of(session, user_id=user_id, keep=keep, now=utcnow())
