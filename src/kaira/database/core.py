"""Core statements outside the ORM session: one trip through the pool per statement.

Reading a post or a page, and writing a new post, are the service's hot paths, and on them the SQL is
the smallest part of the cost. Measured on PostgreSQL (CPU per request, in process), an ORM session
with FastAPI's generator dependency cost more than the statement itself: the session, its exit stack,
a shielded close task, a hop into SQLAlchemy's greenlet for each of connect, BEGIN, execute, COMMIT and
close, and a round trip each for BEGIN and COMMIT. Here a statement checks a connection out of the
AUTOCOMMIT pool, runs and returns it, in one hop. Statements are still SQLAlchemy statements, compiled
once and cached by SQLAlchemy.

`ReadDB` and `WriteDB` are the same runner seen two ways, so that a signature says what an endpoint
does: a `CoreReader` has no way to open a transaction. Every statement stands alone (atomic by
itself); work of several statements that must stand or fall together goes through
`CoreWriter.in_transaction`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from sqlalchemy import Connection, Engine, Executable, Row
from sqlalchemy.pool import QueuePool
from sqlalchemy.util import greenlet_spawn

from kaira.database.engines import POOL_TIMEOUT, Engines

A = TypeVar("A")
T = TypeVar("T")


class CoreReader:
    """Single statements on the AUTOCOMMIT pool, each its own transaction, waiting in a fair queue."""

    def __init__(self, engines: Engines) -> None:
        self.engines = engines
        self.dialect_name = engines.transactional.dialect.name
        pool = engines.autocommit.pool
        self.connections = pool.size() if isinstance(pool, QueuePool) else 1
        self.queue = asyncio.Semaphore(self.connections)
        """One ticket per connection of the pool, handed out first come, first served.

        When more requests want a connection than the pool holds, SQLAlchemy's asyncio pool hands a
        returned connection to whichever task asks first, and a waiter that loses the race queues again
        at the back: measured with 32 clients on 10 connections, p99 of a list page was four times its
        p50. Waiting here instead (asyncio's semaphore is fair), the pool itself never has waiters."""
        self.queue_timeout = POOL_TIMEOUT
        """How long a request may wait in the queue before it is a 503, as the pool's timeout would."""

    async def rows(self, statement: Executable, params: Mapping[str, Any]) -> Sequence[Row[Any]]:
        """The rows of one statement (none for a write without RETURNING)."""
        # `greenlet_spawn` is what SQLAlchemy's asyncio layer runs every call through; one call here
        # does the checkout, the statement and the check-in that `AsyncConnection` would do in three.
        await self._wait_for_connection()
        try:
            return await greenlet_spawn(_rows, self.engines.autocommit.sync_engine, statement, params)
        finally:
            self.queue.release()

    async def row(self, statement: Executable, params: Mapping[str, Any]) -> Row[Any] | None:
        rows = await self.rows(statement, params)
        return rows[0] if rows else None

    async def _wait_for_connection(self) -> None:
        """Pair with `queue.release()`. (Not a context manager: this is paid on every statement.)"""
        if self.queue.locked():  # a timer only when there is a queue to wait in
            async with asyncio.timeout(self.queue_timeout):
                await self.queue.acquire()
        else:
            await self.queue.acquire()


class CoreWriter(CoreReader):
    """A reader that may also run several statements in one transaction."""

    async def in_transaction(self, work: Callable[[Connection, A], T], argument: A) -> T:
        """`work(connection, argument)` in one transaction: committed if it returns, rolled back if not."""
        return await greenlet_spawn(_in_transaction, self.engines.transactional.sync_engine, work, argument)


def _rows(engine: Engine, statement: Executable, params: Mapping[str, Any]) -> Sequence[Row[Any]]:
    with engine.connect() as connection:
        result = connection.execute(statement, params)
        return result.all() if result.returns_rows else ()


def _in_transaction(engine: Engine, work: Callable[[Connection, A], T], argument: A) -> T:
    with engine.begin() as connection:
        return work(connection, argument)


async def core_reader(request: Request) -> CoreReader:  # async: FastAPI would run a `def` in a thread
    runner: CoreWriter = request.app.state.core
    return runner


async def core_writer(request: Request) -> CoreWriter:
    runner: CoreWriter = request.app.state.core
    return runner


ReadDB = Annotated[CoreReader, Depends(core_reader)]
WriteDB = Annotated[CoreWriter, Depends(core_writer)]
