from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from kaira.auth.dependencies import CurrentUser
from kaira.db import SessionDep
from kaira.errors import Forbidden
from kaira.schemas import UserId
from kaira.users import service
from kaira.users.models import User


async def valid_user(user_id: UserId, session: SessionDep) -> User:
    return await service.get_user(session, user_id)


UserDep = Annotated[User, Depends(valid_user)]


async def own_user(caller: CurrentUser, user: UserDep) -> User:
    """The caller comes first: without a valid token the answer is 401, whether the user exists or not."""
    if not service.is_self_or_superuser(caller, user.id):
        raise Forbidden("You can only change your own account")
    return user


OwnUserDep = Annotated[User, Depends(own_user)]
