"""Core statements outside the ORM session: one trip through the pool per statement.

Reading a post or a page, and writing a new post, are the service's hot paths, and on them the SQL is
the smallest part of the cost. Measured on PostgreSQL (CPU per request, in process), an ORM session
with FastAPI's generator dependency cost more than the statement itself: the session, its exit stack,
a shielded close task, a hop into SQLAlchemy's greenlet for each of connect, BEGIN, execute, COMMIT and
close, and a round trip each for BEGIN and COMMIT. Here a statement checks a connection out of the
AUTOCOMMIT pool, runs and returns it, in one hop. Statements are still SQLAlchemy statements, compiled
once by SQLAlchemy's dialect and run on the DBAPI cursor beneath `Connection` (`kaira.database.driver`).

`ReadDB` and `WriteDB` say in a signature what an endpoint does: a `CoreReader` has no way to open a
transaction, and on SQLite it reads in process (`InProcessSQLite`), where nothing can write. Every
statement stands alone (atomic by itself); work of several statements that must stand or fall
together goes through `CoreWriter.in_transaction`. Both share one `ConnectionQueue` for the pool.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Annotated, Any, TypeVar, cast

from fastapi import Depends, Request
from sqlalchemy import Connection, Engine, Executable, Row
from sqlalchemy.pool import QueuePool
from sqlalchemy.util import greenlet_spawn

from kaira.database.driver import PreparedStatement, prepared, rows_in
from kaira.database.engines import POOL_TIMEOUT, Engines, Writer, closed_if_unanswering

A = TypeVar("A")
T = TypeVar("T")


class ConnectionQueue:
    """One ticket per connection of the AUTOCOMMIT pool, handed out first come, first served.

    When more requests want a connection than the pool holds, SQLAlchemy's asyncio pool hands a
    returned connection to whichever task asks first, and a waiter that loses the race queues again
    at the back: measured with 32 clients on 10 connections, p99 of a list page was four times its
    p50. Waiting here instead (asyncio's semaphore is fair), the pool itself never has waiters.
    """

    def __init__(self, engines: Engines) -> None:
        pool = engines.autocommit.pool
        self.tickets = asyncio.Semaphore(pool.size() if isinstance(pool, QueuePool) else 1)
        self.timeout = POOL_TIMEOUT
        """How long a request may wait before it is a 503, as the pool's own timeout would."""

    async def enter(self) -> None:
        """Pair with `leave()`. (Not a context manager: this is paid on every statement.)"""
        if self.tickets.locked():  # a timer only when there is a queue to wait in
            async with asyncio.timeout(self.timeout):
                await self.tickets.acquire()
        else:
            await self.tickets.acquire()

    def leave(self) -> None:
        self.tickets.release()

    @property
    def waiting(self) -> int:
        # An asyncio Semaphore keeps its waiters in `_waiters` (None until one waits).
        return len(getattr(self.tickets, "_waiters", None) or ())


class CoreReader:
    """Single statements, each its own transaction: on PostgreSQL through the AUTOCOMMIT pool, waiting
    in the fair queue; on SQLite in this thread, or past a budget in another (`InProcessSQLite.read`)."""

    def __init__(self, engines: Engines, queue: ConnectionQueue) -> None:
        self.engines = engines
        self.dialect_name = engines.transactional.dialect.name
        self.queue = queue

    async def rows(self, statement: Executable, params: Mapping[str, Any]) -> Sequence[Row[Any]]:
        """The rows of one statement."""
        if (sqlite := self.engines.in_process) is not None:
            return await sqlite.read(statement, params)
        return await self._through_pool(statement, params)

    async def row(self, statement: Executable, params: Mapping[str, Any]) -> Row[Any] | None:
        rows = await self.rows(statement, params)
        return rows[0] if rows else None

    async def _through_pool(self, statement: Executable, params: Mapping[str, Any]) -> Sequence[Row[Any]]:
        # `greenlet_spawn` is what SQLAlchemy's asyncio layer runs every call through; one call here
        # does the checkout, the statement and the check-in that `AsyncConnection` would do in three.
        engine = self.engines.autocommit.sync_engine
        if (ready := prepared(statement, engine)) is not None:  # on the DBAPI cursor: `kaira.database.driver`
            return await self._in_turn(greenlet_spawn, _on_cursor, engine, ready, params)
        return await self._in_turn(greenlet_spawn, _rows, engine, statement, params)

    async def _in_turn(self, run: Callable[..., Awaitable[T]], *arguments: Any) -> T:
        """`await run(*arguments)` once the queue gives this request a connection."""
        await self.queue.enter()
        try:
            return await run(*arguments)
        finally:
            self.queue.leave()


class CoreWriter(CoreReader):
    """A runner whose statements may write, and that may run several statements in one transaction.
    On SQLite they run in the loop's thread, or in the writer's thread when the write lock is taken,
    so that waiting for it never stops the loop (`InProcessSQLite`). Reads inside a request that
    writes take this way too."""

    async def rows(self, statement: Executable, params: Mapping[str, Any]) -> Sequence[Row[Any]]:
        """The rows of one statement (none for a write without RETURNING)."""
        if (sqlite := self.engines.in_process) is not None:
            return await self._in_turn(sqlite.write, _write_rows, statement, params)
        return await self._through_pool(statement, params)

    async def in_transaction(self, work: Callable[[Connection, A], T], argument: A) -> T:
        """`work(connection, argument)` in one transaction: committed if it returns, rolled back if not."""
        if (sqlite := self.engines.in_process) is not None:
            return await self._in_turn(sqlite.write, _write_transaction, work, argument)
        engine = self.engines.transactional.sync_engine
        if self.engines.separate_pools:  # PostgreSQL: a pool of its own, not the queue's
            return await greenlet_spawn(_in_transaction, engine, work, argument)
        return await self._in_turn(greenlet_spawn, _in_transaction, engine, work, argument)


def _rows(engine: Engine, statement: Executable, params: Mapping[str, Any]) -> Sequence[Row[Any]]:
    with engine.connect() as connection:
        return cast(Sequence[Row[Any]], rows_in(connection, statement, params))


def _write_rows(writer: Writer, statement: Executable, params: Mapping[str, Any]) -> Sequence[Row[Any]]:
    return _rows(writer.statements, statement, params)


def _write_transaction(writer: Writer, work: Callable[[Connection, A], T], argument: A) -> T:
    return _in_transaction(writer.transactions, work, argument)


def _on_cursor(engine: Engine, ready: PreparedStatement, params: Mapping[str, Any]) -> Sequence[Row[Any]]:
    """`ready` on a connection checked out of `engine`'s pool and returned to it, in SQLAlchemy's
    greenlet, where the asyncpg adapter can await. A lost connection leaves the pool."""
    connection = engine.raw_connection()

    def take_out(error: Exception) -> None:
        closed_if_unanswering(error, connection.driver_connection)
        connection.invalidate(error)

    try:
        rows = ready.fetch(engine, connection.dbapi_connection, params, when_lost=take_out)
    finally:
        connection.close()
    return cast(Sequence[Row[Any]], rows)


def _in_transaction(engine: Engine, work: Callable[[Connection, A], T], argument: A) -> T:
    with engine.begin() as connection:
        return work(connection, argument)


def reader_of(request: Request) -> CoreReader:
    """What `ReadDB` gives an endpoint, for a dependency that needs a reader only now and then."""
    runner: CoreReader = request.app.state.reader
    return runner


async def core_reader(request: Request) -> CoreReader:  # async: FastAPI would run a `def` in a thread
    return reader_of(request)


async def core_writer(request: Request) -> CoreWriter:
    runner: CoreWriter = request.app.state.core
    return runner


ReadDB = Annotated[CoreReader, Depends(core_reader)]
WriteDB = Annotated[CoreWriter, Depends(core_writer)]
