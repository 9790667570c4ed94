"""`kaira db backup`: every table into one file, from one consistent snapshot, while the service serves.

PostgreSQL: a REPEATABLE READ, READ ONLY transaction sees the database as it was at its first
statement, and blocks no writer. SQLite (WAL): one read transaction does the same. Rows are streamed
(a server-side cursor, a batch at a time), so memory stays flat however large the tables.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, Table
from sqlalchemy.engine import URL

from kaira.backup.format import BATCH, Trailer, Writer, header_line, row_line, trailer_line
from kaira.backup.progress import progress_bar
from kaira.backup.repository import count_rows, last_ids, reflect_tables, stream_rows
from kaira.config import ConfigError
from kaira.database.engines import make_engine

STATEMENT_TIMEOUT = 600.0
"""Seconds one statement of a backup may take (counting a large table; the default is for requests)."""


class NothingToBackUp(ConfigError):
    """The database has no Kaira schema."""


async def backup(url: URL, path: Path) -> str:
    """Write the database at `url` to `path` (whole, or not at all); a one-line summary."""
    engine = make_engine(url, timeout=STATEMENT_TIMEOUT)
    try:
        async with engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                await connection.execution_options(
                    isolation_level="REPEATABLE READ", postgresql_readonly=True
                )
            async with connection.begin():
                return await connection.run_sync(_dump, path)
    finally:
        await engine.dispose()


def _dump(connection: Connection, path: Path) -> str:
    revision = MigrationContext.configure(connection).get_current_revision()
    if revision is None:
        raise NothingToBackUp("The database has no Kaira schema: nothing to back up")
    tables = reflect_tables(connection)
    counts = count_rows(connection, tables)  # in the snapshot: exactly the rows that will be written
    try:
        writer = Writer(path)
    except OSError as error:
        raise ConfigError(f"{path}: cannot be written ({error.strerror})") from None
    written = dict.fromkeys(counts, 0)
    try:
        writer.write([header_line(revision, datetime.now(UTC), [table.name for table in tables])])
        with progress_bar(f"Backing up to {path.name}", total=sum(counts.values()), counted=True) as bar:
            for table in tables:
                for lines in _row_lines(connection, table):
                    writer.write(lines)
                    written[table.name] += len(lines)
                    bar.advance(len(lines))
        writer.write([trailer_line(Trailer(counts=written, sequences=last_ids(connection, tables)))])
        writer.commit()
    except BaseException:
        writer.abandon()
        raise
    total = sum(written.values())
    return f"Backed up {total} rows of {len(tables)} tables at revision {revision} to {path}"


def _row_lines(connection: Connection, table: Table) -> Iterator[list[bytes]]:
    for rows in stream_rows(connection, table, BATCH):
        yield [row_line(table.name, row) for row in rows]
