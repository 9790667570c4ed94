from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from kaira.auth.dependencies import CurrentCaller
from kaira.database.core import ReadDB
from kaira.schemas import UserId
from kaira.users import service


async def own_user_id(caller: CurrentCaller, user_id: UserId, db: ReadDB) -> int:
    """The id of an account the caller may change; the caller comes first (401 without a token)."""
    await service.check_may_change(db, user_id, caller=caller)
    return user_id


OwnUserId = Annotated[int, Depends(own_user_id)]
