"""The ORM session of a request that changes data: one transaction, committed before the response.

The dependency commits *before* the response is sent (FastAPI's `scope="function"`), so a commit that
fails can never be reported to the client as success. Requests that only read never get a session:
they run single statements through `kaira.database.core`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


async def open_write_session(request: Request) -> AsyncIterator[AsyncSession]:
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    async with sessionmaker() as session:
        yield session
        if session.in_transaction():
            await session.commit()


WriteSession = Annotated[AsyncSession, Depends(open_write_session, scope="function")]
