"""Engine, metadata and the per-request session that owns the transaction.

The session dependency commits *before* the response is sent (FastAPI's `scope="function"`), so a commit
that fails can never be reported to the client as success.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import DateTime, MetaData, event
from sqlalchemy.engine import URL, Dialect, ExceptionContext
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.pool import NullPool
from sqlalchemy.types import TypeDecorator

from kaira.config import Settings

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware UTC in Python, whatever the database keeps.

    PostgreSQL stores `timestamptz`; SQLite has no time zones, so values are stored as naive UTC and
    given their zone back on the way out.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; use timezone-aware UTC")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def result_processor(self, dialect: Dialect, coltype: object) -> Any:
        # asyncpg decodes `timestamptz` from the binary protocol as UTC, timezone-aware: nothing to do,
        # and skipping the call per value is measurable on a page of posts (four per row).
        if dialect.driver == "asyncpg":
            return None
        return super().result_processor(dialect, coltype)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


POOL_TIMEOUT = 30.0
"""Seconds a request may wait for a pooled connection before it fails (503)."""


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
    it, and with foreign keys on, dropping `users` would cascade into `posts`. `autocommit` (PostgreSQL)
    gives a pool whose connections run each statement as its own transaction (`kaira.statements`).
    """
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url, echo=echo, timeout=timeout, foreign_keys=not for_migrations)
    engine = create_async_engine(
        url,
        echo=echo,
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
    return engine


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
        url, echo=echo, connect_args={"timeout": max(timeout, 5.0)}, pool_timeout=POOL_TIMEOUT, **pool_args
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
        if not connection.get_execution_options().get(STATEMENT_IS_TRANSACTION):
            connection.exec_driver_sql(begin)

    return engine


STATEMENT_IS_TRANSACTION = "kaira_statement_is_transaction"
"""An execution option for SQLite connections that only read: emit no BEGIN, so that each statement
runs in its own implicit transaction, as reads do in AUTOCOMMIT on PostgreSQL."""


def _unicode_lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


def configure_database(settings: Settings) -> tuple[AsyncEngine, async_sessionmaker[AsyncSession]]:
    engine = make_engine(
        settings.db_url,
        echo=settings.sql_echo,
        pool_size=settings.db_pool_size,
        timeout=settings.db_timeout_seconds,
    )
    return engine, make_sessionmaker(engine)


READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def open_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One transaction per request, committed before the response leaves.

    Requests that only read get a session whose statements are each their own transaction
    (`kaira.statements`): no BEGIN and COMMIT round trips."""
    state = request.app.state
    sessionmaker: async_sessionmaker[AsyncSession] = (
        state.read_sessionmaker if request.method in READ_ONLY_METHODS else state.sessionmaker
    )
    async with sessionmaker() as session:
        yield session
        if session.in_transaction():
            await session.commit()


SessionDep = Annotated[AsyncSession, Depends(open_session, scope="function")]
