"""The SQL of authentication: what the service must know of the account a token names."""

from __future__ import annotations

from sqlalchemy import Integer, RowMapping, bindparam, select

from kaira.database.core import CoreReader
from kaira.users.models import User

# Built once: every authenticated request runs it.
_TOKEN_HOLDER = select(User.id, User.is_superuser, User.is_active, User.created_at).where(
    User.id == bindparam("user_id", type_=Integer)
)


async def read_token_holder(db: CoreReader, user_id: int) -> RowMapping | None:
    row = await db.row(_TOKEN_HOLDER, {"user_id": user_id})
    return row._mapping if row is not None else None
