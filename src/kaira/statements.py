"""Core statements outside the ORM session: one trip through the pool per unit of work.

Reading a post or a page, and writing a new post, are the service's hot paths, and on them the SQL is
the smallest part of the cost. Measured on PostgreSQL (CPU per request, in process), an ORM session
with FastAPI's generator dependency cost more than the statement itself: the session, its exit stack,
a shielded close task, a hop into SQLAlchemy's greenlet for each of connect, BEGIN, execute, COMMIT and
close, and a round trip each for BEGIN and COMMIT. Here a unit of work checks a connection out of the
same pool, runs and returns it, in one hop. Statements are still SQLAlchemy statements, compiled once
and cached by SQLAlchemy; everything else (edits, deletes, accounts) keeps the ORM session.

A single statement runs as its own transaction (AUTOCOMMIT on PostgreSQL; on SQLite, no BEGIN): it is
atomic by itself, and no BEGIN/COMMIT round trips are spent around it. Work of several statements that
must stand or fall together goes through `transaction`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from sqlalchemy import Connection, Engine, Executable, Row
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import QueuePool
from sqlalchemy.util import greenlet_spawn

from kaira.config import Settings
from kaira.db import POOL_TIMEOUT, STATEMENT_IS_TRANSACTION, make_engine

A = TypeVar("A")
T = TypeVar("T")


def single_statement_engine(engine: AsyncEngine, settings: Settings) -> AsyncEngine:
    """An engine whose statements are each their own transaction.

    PostgreSQL: a pool of its own, in AUTOCOMMIT from the start. Switching connections of the main pool
    to AUTOCOMMIT and back on every checkout cost a quarter of a one-statement read (measured). Each
    worker therefore keeps two pools of `DB_POOL_SIZE` connections, and reads never wait behind writes.
    SQLite: the same single connection, without BEGIN (its driver is in autocommit mode, see `kaira.db`).
    """
    if engine.dialect.name != "postgresql":
        return engine.execution_options(**{STATEMENT_IS_TRANSACTION: True})
    return make_engine(
        settings.db_url,
        echo=settings.sql_echo,
        pool_size=settings.db_pool_size,
        timeout=settings.db_timeout_seconds,
        autocommit=True,
    )


@dataclass(frozen=True, slots=True)
class Statements:
    """What an endpoint on a hot path is given instead of a session."""

    engine: AsyncEngine
    """Transactional, for `transaction`."""
    single: AsyncEngine
    """Each statement its own transaction (`single_statement_engine`)."""
    gate: asyncio.Semaphore
    """As many places as `single` has connections, taken in arrival order.

    When more requests want a connection than the pool holds, SQLAlchemy's asyncio pool hands a returned
    connection to whichever task asks first, and a waiter that loses the race queues again at the back:
    measured with 32 clients on 10 connections, p99 of a list page was four times its p50. Waiting here
    instead, first come first served (asyncio's semaphore is fair), the pool never has waiters."""
    wait_seconds: float
    """How long a request may wait for a place before it is a 503, as the pool's own timeout would."""

    @classmethod
    def open(cls, engine: AsyncEngine, settings: Settings) -> Statements:
        single = single_statement_engine(engine, settings)
        places = single.pool.size() if isinstance(single.pool, QueuePool) else 1
        return cls(engine=engine, single=single, gate=asyncio.Semaphore(places), wait_seconds=POOL_TIMEOUT)

    @property
    def dialect_name(self) -> str:
        return self.engine.dialect.name

    async def all(self, statement: Executable, params: Mapping[str, Any]) -> Sequence[Row[Any]]:
        """The rows of one statement (none for a write without RETURNING), run as its own transaction."""
        # `greenlet_spawn` is what SQLAlchemy's asyncio layer runs every call through; one call here
        # does the checkout, the statement and the check-in that `AsyncConnection` would do in three.
        await self._take_place()
        try:
            return await greenlet_spawn(_all_rows, self.single.sync_engine, statement, params)
        finally:
            self.gate.release()

    async def first(self, statement: Executable, params: Mapping[str, Any]) -> Row[Any] | None:
        rows = await self.all(statement, params)
        return rows[0] if rows else None

    async def _take_place(self) -> None:
        """Release it with `gate.release()`. (Not a context manager: this is paid on every statement.)"""
        if self.gate.locked():  # a timer only when there is a queue to wait in
            async with asyncio.timeout(self.wait_seconds):
                await self.gate.acquire()
        else:
            await self.gate.acquire()

    async def transaction(self, work: Callable[[Connection, A], T], argument: A) -> T:
        """`work(connection, argument)` in one transaction: committed if it returns, rolled back if not."""
        return await greenlet_spawn(_in_transaction, self.engine.sync_engine, work, argument)


def _all_rows(engine: Engine, statement: Executable, params: Mapping[str, Any]) -> Sequence[Row[Any]]:
    with engine.connect() as connection:
        result = connection.execute(statement, params)
        return result.all() if result.returns_rows else ()


def _in_transaction(engine: Engine, work: Callable[[Connection, A], T], argument: A) -> T:
    with engine.begin() as connection:
        return work(connection, argument)


async def statements(request: Request) -> Statements:  # async: FastAPI would run a `def` in a thread
    found: Statements = request.app.state.statements
    return found


StatementsDep = Annotated[Statements, Depends(statements)]
