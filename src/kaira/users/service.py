"""User accounts. Functions take the request's session and never commit: the caller owns the transaction."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import Integer, bindparam, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kaira.auth.hashing import hash_password_later
from kaira.auth.viewer import Viewer
from kaira.db import utcnow
from kaira.errors import Conflict, NotFound
from kaira.pagination import Page, decode_cursor, encode_cursor
from kaira.statements import Statements
from kaira.users.models import User
from kaira.users.schemas import UserCreate, UserPrivate, UserPublic, UserRead, UserUpdate

CURSOR_KIND = "users"


async def get_user(session: AsyncSession, user_id: int) -> User:
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound("User not found")
    return user


# Built once: building a statement costs more than running it, and reading a profile is a hot path.
_PROFILE = select(
    User.id, User.username, User.email, User.full_name, User.is_active, User.created_at, User.updated_at
).where(User.id == bindparam("user_id", type_=Integer))


async def read_profile(db: Statements, user_id: int, *, viewer: Viewer | None) -> dict[str, Any]:
    """A user as `viewer` may see them (`UserPrivate` or `UserPublic`): the email only for themself
    and superusers."""
    row = await db.first(_PROFILE, {"user_id": user_id})
    if row is None:
        raise NotFound("User not found")
    user_id, username, email, full_name, is_active, created_at, updated_at = row
    profile = {
        "id": user_id,
        "username": username,
        "full_name": full_name,
        "is_active": is_active,
        "created_at": created_at,
        "updated_at": updated_at,
    }
    if is_self_or_superuser(viewer, user_id):
        profile["email"] = email
    return profile


async def find_by_login(session: AsyncSession, login: str) -> User | None:
    """The user whose username, or email in any case, is `login`."""
    condition = func.lower(User.email) == login.lower() if "@" in login else User.username == login
    user: User | None = await session.scalar(select(User).where(condition))
    return user


async def duplicate_message(session: AsyncSession, *, username: str | None, email: str | None) -> str | None:
    """Which unique field is already taken, in words, or None if neither is."""
    if email is not None:
        taken = await session.scalar(select(User.id).where(func.lower(User.email) == email.lower()))
        if taken is not None:
            return "Email already registered"
    if username is not None:
        taken = await session.scalar(select(User.id).where(User.username == username))
        if taken is not None:
            return "Username already taken"
    return None


async def create_user(session: AsyncSession, data: UserCreate, *, is_superuser: bool = False) -> User:
    # Hashed before the first query: the slow hash must not hold a pooled connection while it runs,
    # or a burst of sign-ups would leave readers waiting for connections.
    password_hash = await hash_password_later(data.password)
    if message := await duplicate_message(session, username=data.username, email=data.email):
        raise Conflict(message)
    user = User(
        username=data.username,
        email=data.email,
        full_name=data.full_name,
        password_hash=password_hash,
        is_superuser=is_superuser,
    )
    async with _unique_guard(session, username=data.username, email=data.email):  # settles races
        session.add(user)
    return user


async def list_users(session: AsyncSession, page: Page) -> Sequence[User]:
    query = select(User).order_by(User.id).offset(page.skip).limit(page.limit + 1)
    if page.cursor is not None:
        (after_id,) = decode_cursor(page.cursor, CURSOR_KIND, [int])
        query = query.where(User.id > after_id)
    return (await session.scalars(query)).all()


def next_cursor(user: User) -> str:
    return encode_cursor(CURSOR_KIND, user.id)


async def update_user(session: AsyncSession, user: User, data: UserUpdate) -> User:
    changes = data.model_dump(exclude_unset=True)
    new_email = changes.get("email")
    if (
        new_email is not None
        and new_email != user.email
        and (message := await duplicate_message(session, username=None, email=new_email))
    ):
        raise Conflict(message)
    new_hash = await hash_password_later(changes["password"]) if changes.get("password") else None
    async with _unique_guard(session, username=None, email=new_email):
        if new_email is not None:
            user.email = new_email
        if "full_name" in changes:
            user.full_name = changes["full_name"]
        if new_hash is not None:
            user.password_hash = new_hash
        user.updated_at = utcnow()
    return user


async def delete_user(session: AsyncSession, user: User) -> None:
    """One DELETE; the database's ON DELETE CASCADE takes the posts and their tag links with it."""
    await session.execute(delete(User).where(User.id == user.id))


@asynccontextmanager
async def _unique_guard(
    session: AsyncSession, *, username: str | None, email: str | None
) -> AsyncIterator[None]:
    """Write inside a SAVEPOINT so a lost race becomes a 400 and the request's transaction stays usable.

    Changes must be made inside the block: they are flushed when it ends, within the savepoint.
    """
    try:
        async with session.begin_nested():
            yield
    except IntegrityError:
        message = await duplicate_message(session, username=username, email=email)
        raise Conflict(message or "Username or email already registered") from None


def is_self_or_superuser(viewer: Viewer | None, user_id: int) -> bool:
    return viewer is not None and (viewer.id == user_id or viewer.is_superuser)


def as_seen_by(viewer: Viewer | None, user_id: int, user: User | Mapping[str, Any]) -> UserRead:
    """The email is private: only the user themself and superusers see it."""
    schema = UserPrivate if is_self_or_superuser(viewer, user_id) else UserPublic
    return schema.model_validate(user)
