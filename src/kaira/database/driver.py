"""A Core statement run on a pooled connection's DBAPI cursor, beneath SQLAlchemy's `Connection`.

On PostgreSQL a point read spent more of its CPU in SQLAlchemy's execution layer than in asyncpg: a
`Connection` made and closed around each statement, its events, an execution context, the compiled
cache's key, a `Result` and its `Row`s. Measured with two `kaira serve` side by side on one CPU, going
one level down (this module) served 21–30 % more reads of a post per second.

What stays SQLAlchemy's: the statement and its SQL (compiled once per statement by the dialect, as
`Connection` would), the pool (its checkout events, recycling, the closed-connection check), and the
asyncpg DBAPI adapter (its prepared-statement cache, and its translation of asyncpg's errors into
DBAPI ones). What this module does in place of `Connection`: the parameters' bind processing, and an
error turned into SQLAlchemy's (`IntegrityError`, `OperationalError`, ...) after a connection that is
lost or timed out has left the pool, as the engine's `handle_error` rule has it
(`kaira.database.engines`). So callers and error handlers see what they saw through `Connection`.

`prepared()` answers None, and the caller runs the statement through `Connection`, for a statement
SQLAlchemy must rewrite per call (an expanding `IN`, a literal rendered at execution), one with a
column whose values need processing on the way out (none that Kaira selects on asyncpg), and on an
engine whose statements are watched: SQL_ECHO's log, or an execution event's listener (a tracer, the
test suite's statement counts), which must see every statement.
"""

from __future__ import annotations

import weakref
from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, cast

from sqlalchemy import Dialect, Engine, Executable, exc
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.types import TypeEngine

BindProcessor = Callable[[Any], Any] | None


@dataclass(frozen=True, slots=True)
class PreparedStatement:
    """A statement compiled for one dialect: its SQL, and how to order and process its parameters."""

    compiled: SQLCompiler
    sql: str
    binds: tuple[tuple[str, BindProcessor], ...]
    """The parameters' names in the order of the SQL's `$1, $2, ...`, each with its type's processor."""

    def arguments(self, params: Mapping[str, Any]) -> list[Any]:
        values = self.compiled.construct_params(params)
        return [values[name] if process is None else process(values[name]) for name, process in self.binds]

    def run(self, engine: Engine, params: Mapping[str, Any]) -> Sequence[Any]:
        """The statement's rows, on a connection checked out of `engine`'s pool and returned to it; each
        a named tuple read by label, by position or unpacked, as SQLAlchemy's `Row` is. Called in
        SQLAlchemy's greenlet (`greenlet_spawn`), where the DBAPI adapter can await asyncpg."""
        arguments = self.arguments(params)
        connection = engine.raw_connection()
        try:
            cursor = connection.cursor()
            try:
                cursor.execute(self.sql, arguments)
                if cursor.description is None:
                    return ()
                row = _row_type(tuple(column[0] for column in cursor.description))
                return [row._make(record) for record in cursor.fetchall()]
            except Exception as error:
                failure = _after_failure(engine, connection, cursor, self.sql, error)
                if failure is error:
                    raise
                raise failure from error
            finally:
                cursor.close()
        finally:
            connection.close()


def _after_failure(engine: Engine, connection: Any, cursor: Any, sql: str, error: Exception) -> Exception:
    """What `Connection` would raise for `error`, after taking a lost connection out of the pool: one
    whose query timed out is closed at once (`kaira.database.engines`), without a polite goodbye."""
    timed_out = isinstance(error, TimeoutError)
    lost = timed_out or engine.dialect.is_disconnect(cast(Any, error), connection.dbapi_connection, cursor)
    if lost:
        if timed_out:
            connection.driver_connection.terminate()
        connection.invalidate(error)
    dbapi_error = engine.dialect.loaded_dbapi.Error
    if not isinstance(error, dbapi_error):
        return error  # TimeoutError, OSError...: raised as they are, as `Connection` raises them
    dialect = engine.dialect
    wrapped = exc.DBAPIError.instance(
        sql, None, error, dbapi_error, hide_parameters=True, connection_invalidated=lost, dialect=dialect
    )
    return wrapped if isinstance(wrapped, Exception) else error


@cache
def _row_type(labels: tuple[str, ...]) -> Any:
    return namedtuple("Record", labels)


_prepared: weakref.WeakKeyDictionary[Dialect, weakref.WeakKeyDictionary[Executable, PreparedStatement | None]]
_prepared = weakref.WeakKeyDictionary()
"""Per engine's dialect, per statement object. Kaira's statements are built once (module constants or
`functools.cache`); one built per call would be forgotten with it."""


def prepared(statement: Executable, engine: Engine) -> PreparedStatement | None:
    """`statement` ready for `PreparedStatement.run` on `engine`, or None if it must go through
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
    compiled = statement.compile(dialect=dialect)  # type: ignore[attr-defined]
    if not isinstance(compiled, SQLCompiler):
        return None
    if compiled.literal_execute_params or compiled.post_compile_params:
        return None
    columns = getattr(statement, "exported_columns", ())
    if any(_result_processor(column.type, dialect) is not None for column in columns):
        return None
    binds = tuple(
        (name, compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect))
        for name in compiled.positiontup or ()
    )
    return PreparedStatement(compiled=compiled, sql=compiled.string, binds=binds)


def _result_processor(type_: TypeEngine[Any], dialect: Dialect) -> object:
    return type_.dialect_impl(dialect).result_processor(dialect, None)
