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

from kaira.database.engines import WRITE_TRANSACTION


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that change data; on SQLite each transaction takes the write lock at its start
    (`WRITE_TRANSACTION`), since a read in it followed by a write could otherwise be refused at once."""
    writing = engine.execution_options(**{WRITE_TRANSACTION: True})
    return async_sessionmaker(writing, expire_on_commit=False, autoflush=False)


async def open_write_session(request: Request) -> AsyncIterator[AsyncSession]:
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    async with sessionmaker() as session:
        yield session
        if session.in_transaction():
            await session.commit()


WriteSession = Annotated[AsyncSession, Depends(open_write_session, scope="function")]
