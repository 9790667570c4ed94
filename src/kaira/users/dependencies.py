from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from kaira.auth.dependencies import CurrentCaller
from kaira.errors import Forbidden
from kaira.schemas import UserId


async def own_user_id(caller: CurrentCaller, user_id: UserId) -> int:
    """The id of an account the caller may change: 401 without a valid token, 403 for someone else's,
    whether it exists or not.

    Nothing is read here: whether the account exists (404) is the service's first statement, after a
    new password is hashed. Loading the account here would open the request's transaction before the
    hash, holding a pooled connection (and on SQLite the write lock) for the hash's whole time.
    """
    if not caller.may_act_for(user_id):
        raise Forbidden("You can only change your own account")
    return user_id


OwnUserId = Annotated[int, Depends(own_user_id)]
