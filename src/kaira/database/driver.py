"""A Core statement run on a connection's DBAPI cursor, beneath SQLAlchemy's `Connection`.

A point read spent more of its CPU in SQLAlchemy's execution layer than in the driver: a `Connection`
made and closed around each statement (on PostgreSQL), its events, an execution context, the
compiled cache's key, a `Result` and its `Row`s. Measured with two `kaira serve` side by side on one
CPU, going one level down (this module) served 13–22 % more reads per second on PostgreSQL (a post, a
user, a page), and 9–26 % more on SQLite.

What stays SQLAlchemy's: the statement and its SQL (compiled once per statement by the dialect, as
`Connection` would), each type's processing of parameters and of values read (its bind and result
processors), the pool (its checkout events, recycling, the closed-connection check), and the asyncpg
DBAPI adapter (its prepared-statement cache, and its translation of asyncpg's errors into DBAPI ones).
What this module does in place of `Connection`: calling those processors, making each row a named
tuple, and turning an error into SQLAlchemy's (`IntegrityError`, `OperationalError`, ...) after a
connection that is lost has been taken out of use (`translated`). So callers and error handlers see
what they saw through `Connection`.

Used by `kaira.database.core` for every Core statement on PostgreSQL (on a connection it checks out
of the pool) and for the statements of a transaction (`rows_in`), and by
`kaira.database.engines.HeldConnection` for SQLite's reads in process.
`prepared()` answers None, and the caller goes through `Connection`, for SQL text, for a statement
SQLAlchemy must rewrite per call (an expanding `IN`, a literal rendered at execution), before the
engine's first connection, and on an engine whose statements are watched: SQL_ECHO's log, or an
execution event's listener (a tracer, the test suite's statement counts), which must see every
statement.
"""

from __future__ import annotations

import weakref
from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, cast

from sqlalchemy import Connection, Dialect, Engine, Executable, exc
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import TextClause

BindProcessor = Callable[[Any], Any] | None
ResultProcessor = Callable[[Any], Any]


@dataclass(frozen=True, slots=True)
class PreparedStatement:
    """A statement compiled for one dialect: its SQL, how to order and process its parameters, and
    which of its columns' values need processing on the way out."""

    compiled: SQLCompiler
    sql: str
    binds: tuple[tuple[str, BindProcessor], ...]
    """The parameters' names in the order of the SQL's placeholders, each with its type's processor."""
    width: int
    """How many columns the statement's rows have (0: rows are not expected)."""
    results: tuple[tuple[int, ResultProcessor], ...]
    """The position and processor of each column whose values need one (on SQLite, timestamps kept as
    text and tag lists kept as JSON; on asyncpg, none of Kaira's)."""

    def arguments(self, params: Mapping[str, Any]) -> list[Any]:
        values = self.compiled.construct_params(params)
        return [values[name] if process is None else process(values[name]) for name, process in self.binds]

    def fetch(
        self,
        engine: Engine,
        dbapi_connection: Any,
        params: Mapping[str, Any],
        *,
        when_lost: Callable[[Exception], None],
    ) -> Sequence[Any]:
        """The statement's rows, on a cursor of `dbapi_connection` (a connection of `engine`): each a
        named tuple read by label, by position or unpacked, as SQLAlchemy's `Row` is.

        A failure is raised as `Connection` would raise it (`translated`); if it lost the connection,
        `when_lost(error)` first takes the connection out of use, as only its owner can."""
        try:
            cursor = dbapi_connection.cursor()  # fails too on a connection closed under its owner
            try:
                return self._rows(cursor, params)
            finally:
                cursor.close()
        except Exception as error:
            lost, failure = translated(engine, dbapi_connection, self.sql, error)
            if lost:
                when_lost(error)
            if failure is error:
                raise
            raise failure from error

    def _rows(self, cursor: Any, params: Mapping[str, Any]) -> Sequence[Any]:
        cursor.execute(self.sql, self.arguments(params))
        description = cursor.description
        if description is None:
            return ()
        row = _row_type(tuple(column[0] for column in description))
        records = cursor.fetchall()
        if not self.results:
            return [row._make(record) for record in records]
        if len(description) != self.width:  # the SQL's columns are not the statement's: a bug here
            raise RuntimeError(f"{len(description)} columns where the statement has {self.width}")
        return [row._make(self._processed(record)) for record in records]

    def _processed(self, record: Sequence[Any]) -> list[Any]:
        values = list(record)
        for index, process in self.results:
            values[index] = process(values[index])
        return values


def rows_in(connection: Connection, statement: Executable, params: Mapping[str, Any]) -> Sequence[Any]:
    """The rows of `statement` (none for a write without RETURNING) on `connection`, inside whatever
    transaction SQLAlchemy has begun on it: on its DBAPI cursor where `prepared` allows, else through
    the `Connection` itself. For the statements of a transaction that `Connection` begins and commits
    (`kaira.database.core.CoreWriter.in_transaction`), and for SQLite's writes."""
    engine = connection.engine
    if (ready := prepared(statement, engine)) is not None:
        dbapi_connection = connection.connection.dbapi_connection
        return ready.fetch(engine, dbapi_connection, params, when_lost=connection.invalidate)
    result = connection.execute(statement, params)
    return result.all() if result.returns_rows else ()


def translated(engine: Engine, dbapi_connection: Any, sql: str, error: Exception) -> tuple[bool, Exception]:
    """Whether `error` lost the connection, and what `Connection` would have raised for it: a DBAPI
    error as SQLAlchemy's (`IntegrityError`, `OperationalError`...), without its parameters; anything
    else (TimeoutError, OSError...) as it is. A timeout loses the connection, as the engine's
    `handle_error` rule has it for `Connection` (`kaira.database.engines.closed_if_unanswering`)."""
    dialect = engine.dialect
    lost = isinstance(error, TimeoutError) or dialect.is_disconnect(cast(Any, error), dbapi_connection, None)
    dbapi_error = dialect.loaded_dbapi.Error
    if not isinstance(error, dbapi_error):
        return lost, error
    wrapped = exc.DBAPIError.instance(
        sql, None, error, dbapi_error, hide_parameters=True, connection_invalidated=lost, dialect=dialect
    )
    return lost, wrapped if isinstance(wrapped, Exception) else error


@cache
def _row_type(labels: tuple[str, ...]) -> Any:
    return namedtuple("Record", labels)


_prepared: weakref.WeakKeyDictionary[Dialect, weakref.WeakKeyDictionary[Executable, PreparedStatement | None]]
_prepared = weakref.WeakKeyDictionary()
"""Per engine's dialect, per statement object: Kaira's statements are built once (module constants or
`functools.cache`). One built per call would be compiled on every call, and forgotten with it."""


def prepared(statement: Executable, engine: Engine) -> PreparedStatement | None:
    """`statement` ready for `PreparedStatement.fetch` on `engine`, or None if it must go through
    SQLAlchemy's `Connection` (see the module's docstring).

    Until the engine's first connection, also None: the dialect learns from the server how to write
    some SQL (on PostgreSQL, whether a backslash in a string literal must be doubled), and a statement
    compiled before that would be wrong. `Connection` runs the first statement, and connects."""
    dialect = engine.dialect
    if dialect.server_version_info is None or _watched(engine):
        return None
    statements = _prepared.get(dialect)
    if statements is None:
        statements = _prepared[dialect] = weakref.WeakKeyDictionary()
    try:
        return statements[statement]
    except KeyError:
        found = statements[statement] = _prepare(statement, dialect)
        return found


def _watched(engine: Engine) -> bool:
    """Whether something sees each statement that `Connection` runs: SQL_ECHO's log, or a listener
    (a tracer's, or the test suite's statement counts) that the cursor beneath would bypass."""
    events = engine.dispatch
    return bool(
        engine.echo
        or events.before_execute
        or events.after_execute
        or events.before_cursor_execute
        or events.after_cursor_execute
    )


def _prepare(statement: Executable, dialect: Dialect) -> PreparedStatement | None:
    if isinstance(statement, TextClause):  # SQL text: its columns, names and types are the database's
        return None
    compiled = statement.compile(dialect=dialect)  # type: ignore[attr-defined]
    if not isinstance(compiled, SQLCompiler):
        return None
    if compiled.literal_execute_params or compiled.post_compile_params:
        return None
    columns = list(getattr(statement, "exported_columns", ()))
    results = tuple(
        (index, process)
        for index, column in enumerate(columns)
        if (process := column.type.dialect_impl(dialect).result_processor(dialect, None)) is not None
    )
    binds = tuple(
        (name, compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect))
        for name in compiled.positiontup or ()
    )
    return PreparedStatement(
        compiled=compiled, sql=compiled.string, binds=binds, width=len(columns), results=results
    )
