"""The SQL of authentication: who holds a token, and the log-in sessions tokens descend from.

The token holder is asked on every authenticated request, so its statement is built once and is the
only one such a request costs: the session's state (not ended, not expired) and the account's
(active) are checked in the same statement that finds the caller.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Integer, Row, bindparam, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kaira.auth.models import LoginSession
from kaira.auth.security import RefreshClaims
from kaira.database.base import UTCDateTime
from kaira.database.core import CoreReader, CoreWriter
from kaira.users.models import User

PURGE_BATCH = 100
"""Sessions deleted at most per log-in or refresh: more than one such write makes, so they never
accumulate, and few enough that no write waits long for it."""

_now = bindparam("now", type_=UTCDateTime)
_live = (LoginSession.ended_at.is_(None), LoginSession.expires_at > _now)
_active_user = LoginSession.user_id.in_(select(User.id).where(User.is_active))

_TOKEN_HOLDER = (
    select(User.id, User.is_superuser)
    .join_from(LoginSession, User, LoginSession.user_id == User.id)
    .where(
        LoginSession.id == bindparam("session_id", type_=Integer),
        LoginSession.user_id == bindparam("user_id", type_=Integer),
        User.is_active,
        *_live,
    )
)


async def read_token_holder(
    db: CoreReader, *, user_id: int, session_id: int, now: datetime
) -> Row[Any] | None:
    """The caller, if their account is active and the token's session is theirs and still lives."""
    return await db.row(_TOKEN_HOLDER, {"user_id": user_id, "session_id": session_id, "now": now})


async def insert_session(session: AsyncSession, values: dict[str, Any]) -> int:
    statement = insert(LoginSession).values(**values).returning(LoginSession.id)
    session_id: int = (await session.execute(statement)).scalar_one()
    return session_id


async def rotate_refresh_secret(
    session: AsyncSession, claims: RefreshClaims, *, new_hash: str, now: datetime
) -> int | None:
    """Spend the refresh token `claims` describes, if it is its live session's current one: the
    session's user, or None. One UPDATE: of two requests racing with the same token, one wins and
    the other finds it spent."""
    statement = (
        update(LoginSession)
        .where(
            LoginSession.id == claims.session_id,
            LoginSession.generation == claims.generation,
            LoginSession.refresh_token_hash == claims.secret_hash,
            _active_user,
            *_live,
        )
        .values(refresh_token_hash=new_hash, generation=LoginSession.generation + 1, last_used_at=now)
        .returning(LoginSession.user_id)
    )
    user_id: int | None = (await session.execute(statement, {"now": now})).scalar_one_or_none()
    return user_id


def _end(now: datetime) -> dict[str, datetime]:
    """An ended session expires at once too, so the purge finds it by its expiry alone."""
    return {"ended_at": now, "expires_at": now}


async def end_replayed_session(session: AsyncSession, claims: RefreshClaims, *, now: datetime) -> None:
    """A refresh token of an earlier generation is a spent one presented again: end its session."""
    await session.execute(
        update(LoginSession)
        .where(
            LoginSession.id == claims.session_id,
            LoginSession.generation > claims.generation,
            LoginSession.ended_at.is_(None),
        )
        .values(**_end(now))
    )


_END_SESSION = (
    update(LoginSession)
    .where(LoginSession.id == bindparam("session_id", type_=Integer), LoginSession.ended_at.is_(None))
    .values(ended_at=_now, expires_at=_now)  # as `_end`: expired at once
)


async def end_session(db: CoreWriter, *, session_id: int, now: datetime) -> None:
    await db.rows(_END_SESSION, {"session_id": session_id, "now": now})


async def end_sessions_of(session: AsyncSession, *, user_id: int, keep: int, now: datetime) -> None:
    """End every live session of the user but `keep`."""
    await session.execute(
        update(LoginSession)
        .where(LoginSession.user_id == user_id, LoginSession.id != keep, LoginSession.ended_at.is_(None))
        .values(**_end(now))
    )


async def purge_sessions(session: AsyncSession, *, now: datetime) -> None:
    """Delete up to `PURGE_BATCH` sessions that have expired or ended."""
    oldest = (
        select(LoginSession.id)
        .where(LoginSession.expires_at <= now)
        .order_by(LoginSession.expires_at)
        .limit(PURGE_BATCH)
        .with_for_update(skip_locked=True)  # PostgreSQL: concurrent purges take turns, never deadlock
    )
    await session.execute(delete(LoginSession).where(LoginSession.id.in_(oldest)))
