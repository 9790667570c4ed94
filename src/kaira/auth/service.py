"""Checking a password without telling an unknown user from a wrong password."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from kaira.auth.hashing import verify_password_in_pool
from kaira.auth.security import DUMMY_HASH
from kaira.errors import BadRequest, NotAuthenticated
from kaira.users import repository as users
from kaira.users.models import User


async def authenticate(session: AsyncSession, login: str, password: str) -> User:
    user = await users.find_by_login(session, login)
    password_hash = user.password_hash if user is not None else DUMMY_HASH
    # Give the connection back before the slow hash: logins must not hold the pool while hashing.
    await session.commit()
    matches = await verify_password_in_pool(password, password_hash)
    if user is None or not matches:
        raise NotAuthenticated("Incorrect username or password")
    if not user.is_active:
        raise BadRequest("Inactive user")
    return user
