"""Engines tuned per backend: timeouts that keep the 3-second promise, SQLite's recipe, two pools.

Each worker keeps two engines on PostgreSQL: `transactional` for ORM sessions and multi-statement
work, and `autocommit`, whose connections run each statement as its own transaction from the start
(switching a connection to AUTOCOMMIT and back on every checkout cost a quarter of a one-statement
read, measured). On SQLite both are the one writing connection of the process; statements that stand
alone simply get no BEGIN. SQLite's Core statements have engines of their own (`InProcessSQLite`).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import queue
import sqlite3
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from sqlalchemy import Connection, Engine, Executable, Row, create_engine, event, text
from sqlalchemy.engine import URL, ExceptionContext
from sqlalchemy.exc import DisconnectionError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from kaira import metrics
from kaira.config import Settings
from kaira.database.driver import PreparedStatement, prepared

T = TypeVar("T")

logger = logging.getLogger(__name__)

POOL_TIMEOUT = 30.0
"""Seconds a request may wait for a pooled connection before it fails (503)."""

WITHOUT_BEGIN = "kaira_without_begin"
"""An execution option for SQLite connections whose statements each stand alone: emit no BEGIN, so
each runs in its own implicit transaction, as statements do in AUTOCOMMIT on PostgreSQL."""


WRITE_TRANSACTION = "kaira_write_transaction"
"""An execution option for SQLite engines whose transactions write: BEGIN IMMEDIATE, which takes the
write lock at the start and so waits for another writer (busy timeout) at the start. A deferred
transaction that reads first and then writes, after another connection committed, can only be
refused at once ("database is locked"), never wait: its snapshot is out of date."""


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


def closed_if_unanswering(error: BaseException, driver_connection: Any) -> bool:
    """A connection whose query timed out is closed at once, not politely (true when it was).

    SQLAlchemy would first try a graceful close with a fixed 2 s timeout, which a server that has
    stopped answering never honours: the 503 would come after 4.5 s instead of the promised 3.
    Only that connection goes; the rest of the pool may still be fine.
    """
    if not isinstance(error, TimeoutError):
        return False
    driver_connection.terminate()
    return True


def _drop_unanswering_connection(context: ExceptionContext) -> None:
    """`closed_if_unanswering` for a statement run through `Connection`: a disconnect of its own."""
    if context.connection is None:
        return
    if closed_if_unanswering(context.original_exception, context.connection.connection.driver_connection):
        context.is_disconnect = True
        context.invalidate_pool_on_disconnect = False


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
        connect_args={"timeout": _busy_timeout(timeout)},
        pool_timeout=POOL_TIMEOUT,
        **pool_args,
    )
    _sqlite_recipe(engine.sync_engine, foreign_keys=foreign_keys, wal=not in_memory)
    return engine


def _busy_timeout(timeout: float) -> float:
    """How long a statement waits for SQLite's write lock before 'database is locked'."""
    return max(timeout, 5.0)


def _sqlite_recipe(engine: Engine, *, foreign_keys: bool, wal: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # let SQLAlchemy emit BEGIN itself (savepoints work)
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
        if wal:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
        # SQLite's own lower() folds ASCII only; searches must ignore case in every script.
        dbapi_connection.create_function("lower", 1, _unicode_lower, deterministic=True)

    # Migrations take the write lock up front, so instances starting together queue instead of colliding.
    always_immediate = not foreign_keys

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        options = connection.get_execution_options()
        if options.get(WITHOUT_BEGIN):
            return
        immediate = always_immediate or options.get(WRITE_TRANSACTION)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


LOOP_READ_BUDGET_SECONDS = 0.002
"""CPU SQLite may spend running a read in the event loop's thread before the read is stopped and run
again in a thread of its own (`InProcessSQLite.read`). A page of posts takes 0.1 to 0.8 ms of SQL on
the bench data, a search for a word that no post holds 80 ms on 100,000 posts; while a read runs in
the loop, every other request waits for it."""

LONG_READ_THREADS = 2
"""Long reads at once, each on a connection of its own: SQLite runs them side by side (WAL readers never
wait for each other, and pysqlite lets go of the GIL while SQLite works), so a second long search does
not queue behind the first where the machine has a CPU to spare. Two: this service's machines have two
CPUs, and the event loop needs one."""

BUDGET_CHECK_EVERY = 1000
"""SQLite virtual-machine instructions between two looks at the clock: tens of µs of SQL, each look
well under one µs (`time.thread_time`). A page of 20 posts runs about 1,100."""


class ReadOverBudget(Exception):
    """A read in the loop's thread was stopped at `LOOP_READ_BUDGET_SECONDS`; nothing was returned."""


class HeldConnection:
    """One connection of an engine, opened at its first use and kept for the process's life.

    For SQLite's reads: checking the pool's one connection out and in again for every statement cost
    20 to 45 µs a read, measured in process (a page's SQL alone takes about 60). The engine is in
    AUTOCOMMIT, so no transaction is held between reads and each sees the last commit. Opened lazily,
    as a pool would: a database that cannot be opened yet is a 503 per request, not a failed start.

    With a `budget` (seconds of this thread's CPU), a statement that runs past it is stopped by
    SQLite's progress handler and `ReadOverBudget` is raised: for reads in the event loop's thread.
    """

    def __init__(self, engine: Engine, *, budget: float | None = None) -> None:
        self.engine = engine
        self.budget = budget
        self._connection: Connection | None = None
        self._started: float | None = None
        self._stopped = False

    def rows(self, statement: Executable, params: Mapping[str, Any]) -> Sequence[Row[Any]]:
        connection = self._connection or self._open()
        self._started, self._stopped = None, False
        if (ready := prepared(statement, self.engine)) is not None:  # `kaira.database.driver`
            return self._on_cursor(connection, ready, params)
        try:
            return connection.execute(statement, params).all()
        except BaseException:
            # Ends SQLAlchemy's record of the (autobegun) transaction; a connection found broken is
            # let go, so that the next read connects anew instead of failing for good.
            connection.rollback()
            if connection.invalidated:
                connection.close()
                self._connection = None
            if self._stopped:
                raise ReadOverBudget from None
            raise

    def _on_cursor(
        self, connection: Connection, ready: PreparedStatement, params: Mapping[str, Any]
    ) -> Sequence[Row[Any]]:
        """The statement on the held connection's DBAPI cursor; a failure as on `Connection` above."""
        try:
            rows = ready.fetch(
                self.engine, connection.connection.dbapi_connection, params, when_lost=self._let_go
            )
        except Exception:
            if self._stopped:
                raise ReadOverBudget from None
            raise
        return cast(Sequence[Row[Any]], rows)

    def _let_go(self, error: Exception) -> None:
        """A connection found broken: the next read connects anew."""
        if self._connection is not None:
            self._connection.invalidate(error)
            self._connection.close()
            self._connection = None

    def _open(self) -> Connection:
        connection = self._connection = self.engine.connect()
        if self.budget is not None:
            dbapi_connection = cast(sqlite3.Connection, connection.connection.dbapi_connection)
            dbapi_connection.set_progress_handler(self._over_budget, BUDGET_CHECK_EVERY)
        return connection

    def _over_budget(self) -> bool:
        """SQLite's progress handler: true stops the statement (`sqlite3.OperationalError`).

        The clock starts at the first call, once SQLite is running the statement: before it,
        SQLAlchemy may have compiled the statement (milliseconds, once per statement and process),
        which is no reason to move the read. A short read never gets here, and pays nothing."""
        assert self.budget is not None
        now = time.thread_time()
        if self._started is None:
            self._started = now
            return False
        self._stopped = now - self._started > self.budget
        return self._stopped

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


CHECKPOINT_EVERY = 200
"""Transactions committed in the event loop's thread between two checkpoints in the writer's thread.

SQLite's own automatic checkpoint (after 1,000 pages of WAL) runs in the commit that crosses the
line, and copying those pages into the database ends with an fsync: 26 ms measured on this service's
machines, every few hundred small posts, while every other request waited. The loop's writer leaves
them to the writer's thread, where the wait holds no other request. 200 small posts are about the
1,000 pages SQLite would wait for; 200 posts of 100,000 characters leave at most ~20 MB in the WAL."""


@dataclass(frozen=True, slots=True)
class Writer:
    """A writing connection, as the two ways a write uses it."""

    transactions: Engine
    """BEGIN IMMEDIATE, statements, COMMIT (`WRITE_TRANSACTION`)."""
    statements: Engine
    """The same connection for a statement that stands alone: no BEGIN (`WITHOUT_BEGIN`)."""

    @classmethod
    def open(cls, url: URL, *, echo: bool, busy_timeout: float, checkpoints: bool) -> Writer:
        engine = _sync_sqlite(url, echo=echo, busy_timeout=busy_timeout)
        _sqlite_recipe(engine, foreign_keys=True, wal=True)
        if not checkpoints:
            event.listen(engine, "connect", _without_checkpoints)
        return cls(
            engine.execution_options(**{WRITE_TRANSACTION: True}),
            engine.execution_options(**{WITHOUT_BEGIN: True}),
        )

    def checkpoint(self) -> None:
        """Copy the WAL's committed pages into the database, as far as readers let it (PASSIVE)."""
        try:
            with self.statements.connect() as connection:
                connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
        except Exception:  # the next one tries again; the WAL only grows meanwhile
            logger.warning("SQLite checkpoint failed", exc_info=True)

    def dispose(self) -> None:
        self.transactions.dispose()


def _without_checkpoints(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.execute("PRAGMA wal_autocheckpoint=0")


def _lock_taken(error: OperationalError) -> bool:
    """SQLite's "database is locked": another connection holds the write lock (SQLITE_BUSY and its
    extended codes). The statement that met it changed nothing."""
    code = getattr(error.orig, "sqlite_errorcode", None)
    return code is not None and code & 0xFF == sqlite3.SQLITE_BUSY


@dataclass(frozen=True, slots=True)
class InProcessSQLite:
    """SQLite's Core statements without aiosqlite, for a database in a file.

    A statement in SQLite takes microseconds in process. Handed to aiosqlite's thread, each of cursor,
    execute, fetch, BEGIN and COMMIT is a hop between threads, and on one busy CPU each hop waits for
    the other thread to be scheduled: the hops cost several times the SQL. So:

    - `read` runs a read right in the event loop's thread (`reader`). In WAL mode a read never waits
      for the writer (it sees the last commit), so it holds the loop only for the query itself, and
      only up to `LOOP_READ_BUDGET_SECONDS`: a read that takes longer is stopped and run again in one
      of `LONG_READ_THREADS` threads (`long_readers`), so that one long search does not hold every
      other request.
      `query_only` makes a write sent there fail instead of waiting for the write lock.
    - `write` runs a write, a whole transaction at a time, in the event loop's thread too (`writer`)
      when SQLite's write lock is free; that writer never waits for it (busy timeout 0). When another
      connection holds the lock (another process, or an ORM session of this one, which needs the loop
      to finish), the write is run again in a thread of its own (`waiting_writer`), which waits for
      the lock as long as the busy timeout allows while the loop goes on. Measured with 32 clients
      creating posts on one CPU: 27 % more posts a second than with every write in the thread,
      whose hop there and back cost more than the transaction.

    The ORM sessions keep the async engine: their work is spread over awaits in request code.
    """

    reader: HeldConnection
    long_readers: queue.SimpleQueue[HeldConnection]
    """The same engine's other connections, one for each thread of `long_reads`: a thread takes one
    for a read and puts it back, so two threads never share one."""
    long_reads: ThreadPoolExecutor
    writer: Writer
    """In the loop's thread: never waits for the write lock, never checkpoints (`CHECKPOINT_EVERY`)."""
    waiting_writer: Writer
    """In `writer_thread`: waits for the write lock; also runs the checkpoints."""
    writer_thread: ThreadPoolExecutor
    commits: Iterator[int]
    """Counts the writes done in the loop's thread, for `CHECKPOINT_EVERY`."""

    @classmethod
    def open(cls, url: URL, *, echo: bool, timeout: float) -> InProcessSQLite | None:
        """None for an in-memory database, where a second connection would see a database of its own."""
        if url.database in (None, "", ":memory:"):
            return None
        reading = _sync_sqlite(
            url, echo=echo, busy_timeout=1.0, connections=1 + LONG_READ_THREADS, isolation_level="AUTOCOMMIT"
        )
        event.listen(reading, "connect", _read_only)
        long_readers: queue.SimpleQueue[HeldConnection] = queue.SimpleQueue()
        for _ in range(LONG_READ_THREADS):
            long_readers.put(HeldConnection(reading))
        return cls(
            HeldConnection(reading, budget=LOOP_READ_BUDGET_SECONDS),
            long_readers,
            ThreadPoolExecutor(max_workers=LONG_READ_THREADS, thread_name_prefix="kaira-sqlite-long-reads"),
            Writer.open(url, echo=echo, busy_timeout=0.0, checkpoints=False),
            Writer.open(url, echo=echo, busy_timeout=_busy_timeout(timeout), checkpoints=True),
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="kaira-sqlite-writer"),
            itertools.count(1),
        )

    async def read(self, statement: Executable, params: Mapping[str, Any]) -> Sequence[Row[Any]]:
        """The rows of one read: in the loop's thread, or in `long_reads` past the budget."""
        try:
            return self.reader.rows(statement, params)
        except ReadOverBudget:
            metrics.record_long_read()
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self.long_reads, self._read_long, statement, params)

    def _read_long(self, statement: Executable, params: Mapping[str, Any]) -> Sequence[Row[Any]]:
        """In a thread of `long_reads`, on a connection no other thread is using."""
        held = self.long_readers.get_nowait()  # never empty: one connection per thread
        try:
            return held.rows(statement, params)
        finally:
            self.long_readers.put(held)

    async def write(self, work: Callable[..., T], *arguments: Any) -> T:
        """`work(writer, *arguments)`: in the loop's thread if the write lock is free, else in the
        writer's thread once it is. `work` must be one transaction or one statement (a write that
        met a taken lock changed nothing, so it can simply run again)."""
        try:
            done = work(self.writer, *arguments)
        except OperationalError as error:
            if not _lock_taken(error):
                raise
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self.writer_thread, work, self.waiting_writer, *arguments)
        if next(self.commits) % CHECKPOINT_EVERY == 0:
            self.writer_thread.submit(self.waiting_writer.checkpoint)
        return done

    def dispose(self) -> None:
        self.writer_thread.shutdown(wait=True)  # a transaction under way finishes first
        self.long_reads.shutdown(wait=True)
        self.reader.close()
        while not self.long_readers.empty():
            self.long_readers.get_nowait().close()
        self.reader.engine.dispose()
        self.writer.dispose()
        self.waiting_writer.dispose()


def _sync_sqlite(
    url: URL, *, echo: bool, busy_timeout: float, connections: int = 1, isolation_level: str | None = None
) -> Engine:
    return create_engine(
        url.set(drivername="sqlite+pysqlite"),
        echo=echo,
        hide_parameters=True,  # see `_sqlite_engine`
        pool_size=connections,  # one thread uses each: the loop's or the long reads' for reads, the writer's
        max_overflow=0,
        # Made in one thread (tests start apps in threads of their own) and used in another.
        connect_args={"check_same_thread": False, "timeout": busy_timeout},
        **({"isolation_level": isolation_level} if isolation_level else {}),
    )


def _read_only(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA query_only=ON")
    cursor.close()
    dbapi_connection.create_function("lower", 1, _unicode_lower, deterministic=True)


def _unicode_lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


@dataclass(frozen=True, slots=True)
class Engines:
    """A worker's two ways to the database (see the module's docstring)."""

    transactional: AsyncEngine
    autocommit: AsyncEngine
    in_process: InProcessSQLite | None = None
    """SQLite in a file: the Core statements' engines (`InProcessSQLite`)."""

    @classmethod
    def open(cls, settings: Settings) -> Engines:
        transactional = make_engine(
            settings.db_url,
            echo=settings.sql_echo,
            pool_size=settings.db_pool_size,
            timeout=settings.db_timeout_seconds,
        )
        if transactional.dialect.name != "postgresql":
            return cls(
                transactional,
                transactional.execution_options(**{WITHOUT_BEGIN: True}),
                InProcessSQLite.open(
                    settings.db_url, echo=settings.sql_echo, timeout=settings.db_timeout_seconds
                ),
            )
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
        if self.in_process is not None:
            self.in_process.dispose()
        if self.separate_pools:
            await self.autocommit.dispose()
        await self.transactional.dispose()


async def ping(engine: AsyncEngine, *, seconds: float) -> None:
    """One round trip to the database, or an exception within `seconds`."""
    async with asyncio.timeout(seconds), engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
