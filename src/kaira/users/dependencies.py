from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from kaira.auth.dependencies import CurrentCaller
from kaira.database.sessions import WriteSession
from kaira.errors import Forbidden
from kaira.schemas import UserId
from kaira.users import service
from kaira.users.models import User


async def own_user(caller: CurrentCaller, user_id: UserId, session: WriteSession) -> User:
    """The account to change, if the caller may. The caller comes first: without a valid token the
    answer is 401, whether the user exists or not."""
    user = await service.get_user(session, user_id)
    if not caller.may_act_for(user.id):
        raise Forbidden("You can only change your own account")
    return user


OwnUserDep = Annotated[User, Depends(own_user)]
