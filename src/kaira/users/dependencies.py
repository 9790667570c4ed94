from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from kaira.auth.dependencies import CurrentCaller
from kaira.database.core import ReadDB
from kaira.errors import Forbidden, NotFound
from kaira.schemas import UserId
from kaira.users import repository


async def own_user_id(caller: CurrentCaller, user_id: UserId, db: ReadDB) -> int:
    """The id of an account the caller may change: 401 without a valid token, 404 for no such
    account, 403 for someone else's (in that order, as for posts).

    The account is looked for by a read outside any transaction: loading it through the request's
    session would open its transaction before a new password's hash, holding a pooled connection (and
    on SQLite the write lock) for the hash's whole time. An account deleted meanwhile is still a 404,
    from the service's own statement.
    """
    if not await repository.user_exists(db, user_id):
        raise NotFound("User not found")
    if not caller.may_act_for(user_id):
        raise Forbidden("You can only change your own account")
    return user_id


OwnUserId = Annotated[int, Depends(own_user_id)]
