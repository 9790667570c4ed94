"""All of the backup's SQL: the tables as the database has them, their rows, ids and indexes, on
PostgreSQL and SQLite alike.

Backups, restores and seeds work on the tables reflected from the database at its revision, not on
today's models: a file from an older revision must be loaded into the tables that revision made.
"""

from __future__ import annotations

import warnings
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Integer, MetaData, Table, func, insert, select, text

from kaira.models import DERIVED_TABLES

ALEMBIC_TABLE = "alembic_version"


def reflect_tables(connection: Connection, only: Collection[str] | None = None) -> list[Table]:
    """The database's tables of rows (or those of `only` that exist), parents before children: neither
    Alembic's record nor the tables derived from the others."""
    metadata = MetaData()
    with warnings.catch_warnings():  # SQLite cannot reflect the expression index on lower(email)
        warnings.filterwarnings("ignore", message=".*expression-based index.*")
        existing = set(connection.dialect.get_table_names(connection)) - DERIVED_TABLES - {ALEMBIC_TABLE}
        names = [name for name in existing if only is None or name in only]
        metadata.reflect(connection, only=names)
    return [table for table in metadata.sorted_tables if table.name in names]


def stream_rows(connection: Connection, table: Table, batch: int) -> Iterator[list[dict[str, Any]]]:
    """The table's rows in primary-key order, `batch` at a time from a server-side cursor."""
    query = select(table).order_by(*table.primary_key.columns)
    result = connection.execution_options(yield_per=batch).execute(query)
    keys = [str(key) for key in result.keys()]  # noqa: SIM118 - plain str: orjson refuses subclasses as keys
    for rows in result.partitions():
        yield [dict(zip(keys, row, strict=True)) for row in rows]


def insert_batch(connection: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """One executemany: the driver sends the rows in as few round trips as it can."""
    connection.execute(insert(table), rows)


def drop_tables(connection: Connection, tables: Sequence[Table]) -> None:
    """The tables (children first), those derived from them and Alembic's record of the revision: the
    database is base again."""
    for table in reversed(tables):
        table.drop(connection)
    for name in (*sorted(DERIVED_TABLES), ALEMBIC_TABLE):
        connection.execute(text(f"DROP TABLE IF EXISTS {name}"))


def broken_reference(connection: Connection) -> tuple[str, str] | None:
    """SQLite loads with foreign keys off (as migrations run): a (table, missing parent) it finds."""
    if connection.dialect.name != "sqlite":
        return None  # PostgreSQL checked each row as it came
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").first()
    return None if broken is None else (broken[0], broken[2])


def count_rows(connection: Connection, tables: Collection[Table]) -> dict[str, int]:
    return {
        str(table.name): connection.scalar(select(func.count()).select_from(table)) or 0 for table in tables
    }


def _serial_column(table: Table) -> str | None:
    """The integer primary key that the database numbers itself, if the table has one."""
    columns = list(table.primary_key.columns)
    if len(columns) == 1 and isinstance(columns[0].type, Integer) and columns[0].autoincrement:
        return columns[0].name
    return None


def last_ids(connection: Connection, tables: Collection[Table]) -> dict[str, int]:
    """The last id each table's sequence handed out (PostgreSQL's sequences, SQLite's AUTOINCREMENT
    counters): higher than any row's when the newest rows were deleted."""
    found = {}
    for table in tables:
        column = _serial_column(table)
        if column is None:
            continue
        if connection.dialect.name == "postgresql":
            sequence = func.pg_get_serial_sequence(_quoted(connection, table), column)
            value = connection.scalar(select(func.pg_sequence_last_value(sequence)))
        else:
            value = _sqlite_sequence(connection, table.name)
        found[str(table.name)] = value or 0  # plain str: orjson takes no str subclass as a key
    return found


def _sqlite_sequence(connection: Connection, name: str) -> int | None:
    if not connection.dialect.has_table(connection, "sqlite_sequence"):
        return None
    seq: int | None = connection.scalar(
        text("SELECT seq FROM sqlite_sequence WHERE name = :name"), {"name": name}
    )
    return seq


def continue_ids(connection: Connection, tables: Collection[Table], floors: dict[str, int]) -> None:
    """Make each table's next id follow both its rows and the last id handed out before (`floors`)."""
    for table in tables:
        column = _serial_column(table)
        if column is None:
            continue
        floor = floors.get(table.name, 0)
        if connection.dialect.name == "postgresql":
            sequence = func.pg_get_serial_sequence(_quoted(connection, table), column)
            top = func.greatest(func.coalesce(func.max(table.c[column]), 0), floor)
            # is_called: `top` counts as handed out (so last_ids reads it back); 1 uncalled when empty
            connection.execute(
                select(func.setval(sequence, func.greatest(top, 1), top > 0)).select_from(table)
            )
        elif _is_autoincrement(connection, table.name):
            top_row = connection.scalar(select(func.coalesce(func.max(table.c[column]), 0))) or 0
            connection.execute(text("DELETE FROM sqlite_sequence WHERE name = :name"), {"name": table.name})
            connection.execute(
                text("INSERT INTO sqlite_sequence (name, seq) VALUES (:name, :seq)"),
                {"name": table.name, "seq": max(top_row, floor)},
            )


def _is_autoincrement(connection: Connection, name: str) -> bool:
    """SQLite numbers ids past the highest ever handed out only for tables declared AUTOINCREMENT."""
    sql = connection.scalar(
        text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :n"), {"n": name}
    )
    return "AUTOINCREMENT" in (sql or "").upper()


def _quoted(connection: Connection, table: Table) -> str:
    return connection.dialect.identifier_preparer.format_table(table)


def analyze(connection: Connection, tables: Collection[Table]) -> None:
    """Fresh planner statistics after a bulk load (PostgreSQL would otherwise plan for empty tables)."""
    if connection.dialect.name == "postgresql" and tables:
        connection.exec_driver_sql("ANALYZE " + ", ".join(_quoted(connection, table) for table in tables))


def top_ids(connection: Connection, tables: Collection[Table]) -> dict[str, int]:
    """The highest id in each table (0 when empty): where new rows with ids of their own may start."""
    return {str(table.name): connection.scalar(select(func.max(table.c.id))) or 0 for table in tables}


def id_by(connection: Connection, table: Table, column: str) -> dict[Any, int]:
    """Each row's id by the value of a unique column (say, tags by name)."""
    return dict(connection.execute(select(table.c[column], table.c.id)).tuples().all())


_INDEXES = {
    "postgresql": text(
        "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
        "WHERE x.indrelid = CAST(:table AS regclass) AND NOT x.indisprimary "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)"
    ),
    "sqlite": text(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = :table AND sql IS NOT NULL"
    ),
}


@contextmanager
def indexes_deferred(connection: Connection, tables: Collection[Table]) -> Iterator[None]:
    """Secondary indexes dropped while rows load, and made again after, in the same transaction: building
    an index once costs far less than updating it row by row (PostgreSQL's trigram indexes on post
    content most of all). A unique index made again checks every row, so nothing escapes its rule."""
    query = _INDEXES[connection.dialect.name]
    quote = connection.dialect.identifier_preparer.quote
    postgresql = connection.dialect.name == "postgresql"
    definitions = [
        (name, sql)
        for table in tables
        for name, sql in connection.execute(
            query, {"table": _quoted(connection, table) if postgresql else str(table.name)}
        )
    ]
    for name, _ in definitions:
        connection.exec_driver_sql(f"DROP INDEX {quote(name)}")
    yield
    for _, sql in definitions:
        connection.exec_driver_sql(sql)
