"""Engines tuned per backend: timeouts that keep the 3-second promise, SQLite's recipe, two pools.

Each worker keeps two engines on PostgreSQL: `transactional` for ORM sessions and multi-statement
work, and `autocommit`, whose connections run each statement as its own transaction from the start
(switching a connection to AUTOCOMMIT and back on every checkout cost a quarter of a one-statement
read, measured). On SQLite both are the one connection of the process; statements that stand alone
simply get no BEGIN.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import URL, ExceptionContext
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from kaira.config import Settings

POOL_TIMEOUT = 30.0
"""Seconds a request may wait for a pooled connection before it fails (503)."""

WITHOUT_BEGIN = "kaira_without_begin"
"""An execution option for SQLite connections whose statements each stand alone: emit no BEGIN, so
each runs in its own implicit transaction, as statements do in AUTOCOMMIT on PostgreSQL."""


def make_engine(
    url: URL,
    *,
    echo: bool = False,
    pool_size: int = 10,
    timeout: float = 2.5,
    for_migrations: bool = False,
    autocommit: bool = False,
) -> AsyncEngine:
    """An async engine tuned per backend; failures to connect or answer surface within `timeout` seconds.

    `for_migrations` turns SQLite's foreign keys off: Alembic's batch mode rebuilds a table by dropping
    it, and with foreign keys on, dropping `users` would cascade into `posts`. `autocommit`
    (PostgreSQL) gives a pool whose connections run each statement as its own transaction.
    """
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url, echo=echo, timeout=timeout, foreign_keys=not for_migrations)
    engine = create_async_engine(
        url,
        echo=echo,
        hide_parameters=True,  # see `_sqlite_engine`
        isolation_level="AUTOCOMMIT" if autocommit else None,
        pool_size=pool_size,
        # No overflow: connections opened past the pool size are closed again as soon as they are
        # returned, so under load the service would spend its time connecting (TLS probe included).
        max_overflow=0,
        pool_timeout=POOL_TIMEOUT,
        pool_recycle=1800,
        connect_args={
            "timeout": timeout,
            "command_timeout": None if for_migrations else timeout,
            "server_settings": {"application_name": "kaira"},
        },
    )
    event.listen(engine.sync_engine, "handle_error", _drop_unanswering_connection)
    event.listen(engine.sync_engine, "checkout", _refuse_closed_connection)
    return engine


def _refuse_closed_connection(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """A pooled connection the server has closed (it restarted) is replaced before it is used.

    When PostgreSQL stops, every connection gets an end of stream, which asyncpg notices without a
    round trip; the pool, told by `DisconnectionError`, connects anew instead of handing it out. Without
    this, after a restart every pool's first request failed with a 503 (and /health said unhealthy
    once per pool), since nothing had tried those connections during the outage. A pre-ping would do
    the same with a round trip on every checkout, a measurable share of a read.
    """
    if dbapi_connection.driver_connection.is_closed():
        raise DisconnectionError("the server closed this connection")


def _drop_unanswering_connection(context: ExceptionContext) -> None:
    """A connection whose query timed out is closed at once, not politely.

    SQLAlchemy would first try a graceful close with a fixed 2 s timeout, which a server that has
    stopped answering never honours: the 503 would come after 4.5 s instead of the promised 3.
    Only that connection goes; the rest of the pool may still be fine.
    """
    if not isinstance(context.original_exception, TimeoutError) or context.connection is None:
        return
    context.is_disconnect = True
    context.invalidate_pool_on_disconnect = False
    context.connection.connection.driver_connection.terminate()  # type: ignore[union-attr]


def _sqlite_engine(url: URL, *, echo: bool, timeout: float, foreign_keys: bool) -> AsyncEngine:
    """SQLite with foreign keys on, WAL, and SQLAlchemy's recipe that makes SAVEPOINTs work.

    One connection per process: SQLite has a single writer, and queueing in the pool is cheaper and
    safer than 'database is locked' errors under concurrent requests.
    """
    in_memory = url.database in (None, "", ":memory:")
    pool_args: dict[str, Any] = {"poolclass": NullPool} if in_memory else {"pool_size": 1, "max_overflow": 0}
    engine = create_async_engine(
        url,
        echo=echo,
        # A failed statement's message, logged with its traceback, would otherwise list the values it
        # was given: a password hash among them. SQL_ECHO shows the statements without them too.
        hide_parameters=True,
        connect_args={"timeout": max(timeout, 5.0)},
        pool_timeout=POOL_TIMEOUT,
        **pool_args,
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # let SQLAlchemy emit BEGIN itself (savepoints work)
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
        if not in_memory:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
        # SQLite's own lower() folds ASCII only; searches must ignore case in every script.
        dbapi_connection.create_function("lower", 1, _unicode_lower, deterministic=True)

    # Migrations take the write lock up front, so instances starting together queue instead of colliding.
    begin = "BEGIN" if foreign_keys else "BEGIN IMMEDIATE"

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        if not connection.get_execution_options().get(WITHOUT_BEGIN):
            connection.exec_driver_sql(begin)

    return engine


def _unicode_lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


@dataclass(frozen=True, slots=True)
class Engines:
    """A worker's two ways to the database (see the module's docstring)."""

    transactional: AsyncEngine
    autocommit: AsyncEngine

    @classmethod
    def open(cls, settings: Settings) -> Engines:
        transactional = make_engine(
            settings.db_url,
            echo=settings.sql_echo,
            pool_size=settings.db_pool_size,
            timeout=settings.db_timeout_seconds,
        )
        if transactional.dialect.name != "postgresql":
            return cls(transactional, transactional.execution_options(**{WITHOUT_BEGIN: True}))
        autocommit = make_engine(
            settings.db_url,
            echo=settings.sql_echo,
            pool_size=settings.db_pool_size,
            timeout=settings.db_timeout_seconds,
            autocommit=True,
        )
        return cls(transactional, autocommit)

    @property
    def separate_pools(self) -> bool:
        return self.autocommit.pool is not self.transactional.pool

    async def dispose(self) -> None:
        if self.separate_pools:
            await self.autocommit.dispose()
        await self.transactional.dispose()


async def ping(engine: AsyncEngine, *, seconds: float) -> None:
    """One round trip to the database, or an exception within `seconds`."""
    async with asyncio.timeout(seconds), engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
