"""Reads that only answer: one trip through the pool per statement, no ORM session, no transaction.

Getting a post or a page is the service's hot path, and the query is the smallest part of its cost.
Measured on PostgreSQL (CPU per request, in process), an ORM session with FastAPI's generator
dependency cost more than the statement itself: the session, its exit stack, a shielded close task
and three hops into SQLAlchemy's greenlet (connect, execute, close) for one SELECT. Here a read checks
a connection out of the same pool, runs one Core statement and returns the connection, all in one hop.
Statements are still SQLAlchemy statements, compiled once and cached by SQLAlchemy.

These connections run each statement as its own transaction: a single SELECT is its own snapshot,
and no BEGIN/COMMIT round trips are spent around it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import Engine, Executable, Row
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.util import greenlet_spawn

from kaira.db import STATEMENT_IS_TRANSACTION


def make_read_engine(engine: AsyncEngine) -> AsyncEngine:
    """The same pool, with each statement its own transaction: AUTOCOMMIT on PostgreSQL; on SQLite,
    no BEGIN (the driver is already in autocommit mode there, see `kaira.db`)."""
    if engine.dialect.name == "postgresql":
        return engine.execution_options(isolation_level="AUTOCOMMIT")
    return engine.execution_options(**{STATEMENT_IS_TRANSACTION: True})


@dataclass(frozen=True, slots=True)
class Reads:
    """What a read-only endpoint is given instead of a session."""

    engine: AsyncEngine

    @property
    def dialect_name(self) -> str:
        return self.engine.dialect.name

    async def all(self, statement: Executable, params: Mapping[str, Any]) -> Sequence[Row[Any]]:
        # `greenlet_spawn` is what SQLAlchemy's asyncio layer runs every call through; one call here
        # does the checkout, the statement and the check-in that `AsyncConnection` would do in three.
        return await greenlet_spawn(_all_rows, self.engine.sync_engine, statement, params)

    async def first(self, statement: Executable, params: Mapping[str, Any]) -> Row[Any] | None:
        rows = await self.all(statement, params)
        return rows[0] if rows else None


def _all_rows(engine: Engine, statement: Executable, params: Mapping[str, Any]) -> Sequence[Row[Any]]:
    with engine.connect() as connection:
        return connection.execute(statement, params).all()


async def reads(request: Request) -> Reads:  # async: FastAPI would run a plain `def` in a thread
    reads_: Reads = request.app.state.reads
    return reads_


ReadsDep = Annotated[Reads, Depends(reads)]
