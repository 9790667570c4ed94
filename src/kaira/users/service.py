"""User accounts: who sees what of them, and the rules of signing up and changing an account.

Functions that change data take the request's `AsyncSession` and never commit: the caller owns the
transaction. Every answer is read by the user shape (`USER`) from a row of the one profile statement.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kaira.auth import service as sessions
from kaira.auth.caller import Caller
from kaira.auth.hashing import hash_password_in_pool
from kaira.database.base import utcnow
from kaira.database.core import CoreReader
from kaira.errors import Conflict, Forbidden, NotFound
from kaira.pagination import Page, PageOf, decode_cursor, encode_cursor
from kaira.users import repository
from kaira.users.models import User
from kaira.users.schemas import USER, UserCreate, UserUpdate

CURSOR_KIND = "users"
_TAKEN = {"email": "Email already registered", "username": "Username already taken"}


def as_seen_by(caller: Caller | None, user: dict[str, Any]) -> dict[str, Any]:
    """The email is private: only the user themself and superusers see it."""
    if caller is None or not caller.may_act_for(user["id"]):
        del user["email"]
    return user


async def read_user(db: CoreReader, user_id: int, *, caller: Caller | None) -> dict[str, Any]:
    profile = await repository.read_profile(db, user_id)
    if profile is None:
        raise NotFound("User not found")
    return as_seen_by(caller, USER.read(profile))


async def list_users(db: CoreReader, page: Page, *, caller: Caller | None) -> PageOf:
    after_id = None
    if page.cursor is not None:
        (after_id,) = decode_cursor(page.cursor, CURSOR_KIND, [int])
    profiles = await repository.read_page(db, skip=page.skip, limit=page.limit + 1, after_id=after_id)
    return PageOf.split(
        [as_seen_by(caller, user) for user in USER.read_all(profiles)],
        page.limit,
        cursor_of=lambda user: encode_cursor(CURSOR_KIND, user["id"]),
    )


async def check_may_change(db: CoreReader, user_id: int, *, caller: Caller) -> None:
    """404 for no such account, 403 for someone else's: in that order, as for posts.

    A read outside any transaction: loading the account through the request's session here would open
    its transaction before a new password's hash, holding a pooled connection (and on SQLite the write
    lock) for the hash's whole time. An account deleted meanwhile is still a 404, from the change's
    own statement (`update_user`, `delete_user`)."""
    if not await repository.user_exists(db, user_id):
        raise NotFound("User not found")
    if not caller.may_act_for(user_id):
        raise Forbidden("You can only change your own account")


async def get_user(session: AsyncSession, user_id: int) -> User:
    user = await repository.get(session, user_id)
    if user is None:
        raise NotFound("User not found")
    return user


async def _refuse_taken(session: AsyncSession, *, username: str | None, email: str | None) -> None:
    if field := await repository.taken_field(session, username=username, email=email):
        raise Conflict(_TAKEN[field])


async def _lost_race(session: AsyncSession, *, username: str | None, email: str | None) -> Conflict:
    """A unique index refused the write after the checks passed: another request was faster."""
    field = await repository.taken_field(session, username=username, email=email)
    return Conflict(_TAKEN[field] if field else "Username or email already registered")


async def create_user(
    session: AsyncSession, data: UserCreate, *, is_superuser: bool = False
) -> dict[str, Any]:
    """The new account as its owner sees it."""
    # Hashed before the first query: the slow hash must not hold a pooled connection while it runs,
    # or a burst of sign-ups would leave readers waiting for connections.
    password_hash = await hash_password_in_pool(data.password)
    await _refuse_taken(session, username=data.username, email=data.email)
    now = utcnow()
    values = {
        "username": data.username,
        "email": data.email,
        "full_name": data.full_name,
        "password_hash": password_hash,
        "is_superuser": is_superuser,
        "created_at": now,
        "updated_at": now,
    }
    try:
        async with repository.savepoint(session):
            profile = await repository.insert_user(session, values)
    except IntegrityError:
        raise await _lost_race(session, username=data.username, email=data.email) from None
    return USER.read(profile)


async def update_user(
    session: AsyncSession, user_id: int, data: UserUpdate, *, caller: Caller
) -> dict[str, Any]:
    """The changed account, with its email: only its owner or a superuser gets here."""
    changes = data.model_dump(exclude_unset=True)
    # Hashed before the first statement, as at sign-up: the transaction (a pooled connection, and on
    # SQLite the write lock every other write waits for) starts only once the slow hash is done.
    new_hash = await hash_password_in_pool(changes["password"]) if changes.get("password") else None
    user = await get_user(session, user_id)
    new_email = changes.get("email")
    if new_email is not None and new_email != user.email:
        await _refuse_taken(session, username=None, email=new_email)
    try:
        async with repository.savepoint(session):
            if new_email is not None:
                user.email = new_email
            if "full_name" in changes:
                user.full_name = changes["full_name"]
            if new_hash is not None:
                user.password_hash = new_hash
            user.updated_at = utcnow()
    except IntegrityError:
        raise await _lost_race(session, username=None, email=new_email) from None
    if new_hash is not None:  # whoever knew the old password may hold a session: it ends
        await sessions.end_other_sessions(session, user.id, keep=caller.session_id)
    return USER.read(await repository.read_profile_in(session, user.id))


async def delete_user(session: AsyncSession, user_id: int) -> None:
    """Its sessions go with it (the database's cascade), and so every token of it."""
    if not await repository.delete_user(session, user_id):
        raise NotFound("User not found")
