"""All of the users' SQL: profiles and pages read by Core statements, accounts changed in the ORM session.

Profiles are a hot read: their statements are built once (building one costs more than running it)
and select exactly the columns of the user shape (`kaira.users.schemas.USER`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from functools import cache
from typing import Any, Literal

from sqlalchemy import Integer, Row, Select, bindparam, delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from kaira.database.core import CoreReader
from kaira.users.models import User
from kaira.users.schemas import USER

_PROFILE_COLUMNS = USER.columns(User)
_PROFILE = select(*_PROFILE_COLUMNS).where(User.id == bindparam("user_id", type_=Integer))
_EXISTS = select(User.id).where(User.id == bindparam("user_id", type_=Integer))


@cache
def _page(after_cursor: bool) -> Select[Any]:
    query = select(*_PROFILE_COLUMNS)
    if after_cursor:
        query = query.where(User.id > bindparam("after_id", type_=Integer))
    return (
        query.order_by(User.id)
        .offset(bindparam("skip", type_=Integer))
        .limit(bindparam("limit", type_=Integer))
    )


async def read_profile(db: CoreReader, user_id: int) -> Row[Any] | None:
    return await db.row(_PROFILE, {"user_id": user_id})


async def user_exists(db: CoreReader, user_id: int) -> bool:
    return await db.row(_EXISTS, {"user_id": user_id}) is not None


async def read_profile_in(session: AsyncSession, user_id: int) -> Row[Any]:
    """The profile as this session's transaction sees it, changes included."""
    return (await session.execute(_PROFILE, {"user_id": user_id})).one()


async def read_page(db: CoreReader, *, skip: int, limit: int, after_id: int | None) -> Sequence[Row[Any]]:
    """Oldest account first."""
    params = {"skip": skip, "limit": limit, "after_id": after_id}
    return await db.rows(_page(after_id is not None), params)


async def get(session: AsyncSession, user_id: int) -> User | None:
    return await session.get(User, user_id)


async def find_by_login(session: AsyncSession, login: str) -> User | None:
    """The user whose username, or email in any case, is `login`."""
    condition = func.lower(User.email) == login.lower() if "@" in login else User.username == login
    user: User | None = await session.scalar(select(User).where(condition))
    return user


async def taken_field(
    session: AsyncSession, *, username: str | None, email: str | None
) -> Literal["email", "username"] | None:
    """Which unique field another account already holds, the email first."""
    same_email = func.lower(User.email) == (email or "").lower()
    if email is not None and await session.scalar(select(User.id).where(same_email)) is not None:
        return "email"
    same_username = User.username == username
    if username is not None and await session.scalar(select(User.id).where(same_username)) is not None:
        return "username"
    return None


async def insert_user(session: AsyncSession, values: dict[str, Any]) -> Row[Any]:
    """The new account's profile, in one statement."""
    statement = insert(User).values(**values).returning(*_PROFILE_COLUMNS)
    return (await session.execute(statement)).one()


async def delete_user(session: AsyncSession, user_id: int) -> bool:
    """One DELETE; the database's ON DELETE CASCADE takes the posts and their tag links with it.
    False when there was no such user."""
    result = await session.execute(delete(User).where(User.id == user_id).returning(User.id))
    return result.first() is not None


@asynccontextmanager
async def savepoint(session: AsyncSession) -> AsyncIterator[None]:
    """Changes made inside are flushed inside a SAVEPOINT: a broken unique rule raises IntegrityError
    and leaves the request's transaction usable."""
    async with session.begin_nested():
        yield
