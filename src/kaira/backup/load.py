"""Bulk loading, and restoring a backup with it: the one way rows are loaded in bulk (`kaira seed` too).

A restore is one transaction on one connection, under the migration lock: empty the database, migrate
it to the file's revision, load every row into the tables as that revision made them, continue the id
sequences, upgrade to the newest revision, and commit. Anything wrong on the way (a damaged file found
at its last line included) rolls all of it back: the database is as it was.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Boolean, Connection, DateTime, Integer, String, Table
from sqlalchemy.engine import URL
from sqlalchemy.exc import DataError, IntegrityError

from kaira import migrate
from kaira.backup.format import BATCH, Reader
from kaira.backup.progress import progress_bar
from kaira.backup.repository import (
    analyze,
    broken_reference,
    continue_ids,
    count_rows,
    drop_tables,
    indexes_deferred,
    insert_batch,
    reflect_tables,
)
from kaira.config import ConfigError
from kaira.models import Base

Row = dict[str, Any]
BROKEN_RULES = "its rows break the schema's rules"


class UnfitRow(ValueError):
    """A row whose columns or values do not fit its table."""


class NotEmpty(ConfigError):
    """Restoring would replace rows that are there, and --force was not given."""


def _checked(kinds: tuple[type, ...], what: str) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if value is not None and type(value) not in kinds:
            raise UnfitRow(f"{value!r} is not {what}")
        return value

    return check


def _timestamp(aware: bool) -> Callable[[Any], Any]:
    """ISO 8601 text (or a datetime) to UTC, naive where the column keeps no time zone (SQLite)."""

    def convert(value: Any) -> Any:
        if value is None:
            return None
        try:
            moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
        except (TypeError, ValueError):
            raise UnfitRow(f"{value!r} is not an ISO 8601 timestamp") from None
        if moment.tzinfo is None:
            raise UnfitRow(f"{value!r} has no time zone")
        moment = moment.astimezone(UTC)
        return moment if aware else moment.replace(tzinfo=None)

    return convert


def _converter(column_type: Any) -> Callable[[Any], Any]:
    if isinstance(column_type, DateTime):
        return _timestamp(bool(column_type.timezone))
    if isinstance(column_type, Boolean):
        return _checked((bool,), "a boolean")
    if isinstance(column_type, Integer):
        return _checked((int,), "an integer")
    if isinstance(column_type, String):
        return _checked((str,), "text")
    return lambda value: value  # a type without a JSON form of its own: the driver judges


def insert_rows(connection: Connection, table: Table, rows: Iterable[Row]) -> None:
    """Insert portable rows (values as in a backup file, or datetimes) in batches, one executemany each.

    Every row must have exactly the table's columns, each value of its column's JSON type: a damaged
    file must not put text into an integer column of SQLite, which would take it."""
    converters = {column.name: _converter(column.type) for column in table.columns}
    columns = converters.keys()
    source = iter(rows)
    while batch := list(islice(source, BATCH)):
        typed = []
        for row in batch:
            if row.keys() != columns:
                missing, extra = sorted(columns - row.keys()), sorted(row.keys() - columns)
                raise UnfitRow(f"a {table.name} row has columns {extra} missing {missing}")
            try:
                typed.append({name: convert(row[name]) for name, convert in converters.items()})
            except UnfitRow as error:
                raise UnfitRow(f"a {table.name} row does not fit: {error}") from None
        insert_batch(connection, table, typed)


def known_revisions() -> set[str]:
    return {
        script.revision for script in ScriptDirectory.from_config(migrate.alembic_config()).walk_revisions()
    }


async def restore(url: URL, path: Path, *, force: bool) -> str:
    """Replace the database's contents with the backup at `path`; a one-line summary."""
    reader = Reader(path)
    try:
        if reader.header.revision not in known_revisions():
            raise reader.fail(
                f"comes from schema revision {reader.header.revision!r}, which this Kaira does not know "
                "(a newer Kaira made it?): upgrade Kaira, then restore"
            )
        with progress_bar(f"Restoring {path.name}", total=reader.size) as bar:
            loaded = _Restore(reader, force, lambda: bar.reach(reader.position))
            await migrate.in_migration_transaction(url, loaded.run)
    finally:
        reader.close()
    rows, made = sum(loaded.counts.values()), f"{reader.header.created_at:%Y-%m-%d %H:%M:%S} UTC"
    return f"Restored {rows} rows of {len(loaded.counts)} tables from {path} (made {made})"


class _Restore:
    def __init__(self, reader: Reader, force: bool, report: Callable[[], None]) -> None:
        self.reader, self.force, self.report = reader, force, report
        self.counts: dict[str, int] = {}

    def run(self, config: Config) -> None:
        connection: Connection = config.attributes["connection"]
        self._empty(connection)
        command.upgrade(config, self.reader.header.revision)
        tables = {table.name: table for table in reflect_tables(connection)}
        if set(tables) != set(self.reader.header.tables):
            raise self.reader.fail(
                f"lists tables {sorted(self.reader.header.tables)}, but revision "
                f"{self.reader.header.revision} has {sorted(tables)}"
            )
        try:
            with indexes_deferred(connection, tables.values()):
                for name, batch in self.reader.batches():
                    insert_rows(connection, tables[name], batch)
                    self.report()
            assert self.reader.trailer is not None  # batches() ends only once the trailer checked out
            continue_ids(connection, tables.values(), self.reader.trailer.sequences)
            if broken := broken_reference(connection):
                raise self.reader.fail(
                    f"{BROKEN_RULES} (a {broken[0]} row refers to a missing {broken[1]} row)"
                )
            command.upgrade(config, "head")
        except UnfitRow as error:
            raise self.reader.fail(str(error)) from None
        except (IntegrityError, DataError) as error:
            # asyncpg's errors come as "<class 'asyncpg…Error'>: message": keep the message
            reason = re.sub(r"^<class '[^']+'>: ", "", str(error.orig).strip().splitlines()[0])
            raise self.reader.fail(f"{BROKEN_RULES} ({reason})") from None
        analyze(connection, reflect_tables(connection, only=tables))
        self.counts = self.reader.trailer.counts

    def _empty(self, connection: Connection) -> None:
        """Drop Kaira's tables, which must hold no rows unless --force; the migrations make them anew."""
        ours = {*Base.metadata.tables, *self.reader.header.tables}
        tables = reflect_tables(connection, only=ours)
        rows = {name: count for name, count in count_rows(connection, tables).items() if count}
        if rows and not self.force:
            held = ", ".join(f"{count} {name}" for name, count in rows.items())
            raise NotEmpty(
                f"The database is not empty ({held}): restore replaces everything only with --force"
            )
        drop_tables(connection, tables)
