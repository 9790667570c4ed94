"""The backup file: gzip-compressed JSON lines, written and read as a stream (no database here).

    {"format": "kaira-backup", "version": 1, "revision": "0003", "created_at": "…Z", "tables": [...]}
    {"table": "users", "row": {"id": 1, "username": "ada", …, "created_at": "2026-11-25T10:30:00Z"}}
    …
    {"counts": {"users": 1, "tags": 0, "posts": 0, "post_tags": 0}, "sequences": {"users": 1, …}}

Rows come table by table in the header's order (parents before children), each an object of its
columns; timestamps are ISO 8601 in UTC, booleans are booleans. The trailer's counts tell a complete
file from one cut at a line boundary (which gzip alone need not notice); `sequences` holds the last id
each table had handed out, so ids of deleted rows are not given out again after a restore.
"""

from __future__ import annotations

import gzip
import os
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import orjson

from kaira.config import ConfigError

FORMAT = "kaira-backup"
VERSION = 1
BATCH = 2000
"""Rows per batch, both ways: enough to amortise a round trip, little enough to keep memory flat."""
_JSON_OPTIONS = orjson.OPT_NAIVE_UTC | orjson.OPT_UTC_Z  # naive timestamps are UTC in every Kaira table


class BadBackup(ConfigError):
    """The file is not a complete Kaira backup this version can read; the message says why, in a line."""


@dataclass(frozen=True)
class Header:
    revision: str
    created_at: datetime
    tables: tuple[str, ...]


@dataclass(frozen=True)
class Trailer:
    counts: dict[str, int]
    sequences: dict[str, int]


def header_line(revision: str, created_at: datetime, tables: list[str]) -> bytes:
    header = {"format": FORMAT, "version": VERSION, "revision": revision, "created_at": created_at}
    return _line({**header, "tables": tables})


def row_line(table: str, row: dict[str, Any]) -> bytes:
    return _line({"table": table, "row": row})


def trailer_line(trailer: Trailer) -> bytes:
    return _line({"counts": trailer.counts, "sequences": trailer.sequences})


def _line(value: dict[str, Any]) -> bytes:
    return orjson.dumps(value, option=_JSON_OPTIONS) + b"\n"


class Writer:
    """Writes `path` in full or not at all: into a hidden file beside it, renamed over it once synced."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._partial = path.with_name(f".{path.name}.partial")
        self._raw = self._partial.open("wb")
        self._gzip = gzip.GzipFile(filename=path.name, mode="wb", fileobj=self._raw, compresslevel=6)

    def write(self, lines: list[bytes]) -> None:
        self._gzip.write(b"".join(lines))

    def commit(self) -> None:
        self._gzip.close()
        self._raw.flush()
        os.fsync(self._raw.fileno())
        self._raw.close()
        self._partial.replace(self.path)

    def abandon(self) -> None:
        self._gzip.close()
        self._raw.close()
        self._partial.unlink(missing_ok=True)


class Reader:
    """Reads and checks a backup as it streams: the header on opening, each row on its way, and at the
    end the trailer against what was read. Any problem is a `BadBackup` naming the file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._raw: IO[bytes] = path.open("rb")
        except OSError as error:
            raise self.fail(f"cannot be read ({error.strerror})") from None
        self.size = os.fstat(self._raw.fileno()).st_size
        self._lines = self._decompressed_lines(gzip.GzipFile(fileobj=self._raw, mode="rb"))
        self.header = self._read_header()
        self.trailer: Trailer | None = None

    def fail(self, problem: str) -> BadBackup:
        return BadBackup(f"{self.path}: {problem}")

    @property
    def position(self) -> int:
        """Compressed bytes read so far, for a progress bar."""
        return self._raw.tell()

    def close(self) -> None:
        self._raw.close()

    def _decompressed_lines(self, source: gzip.GzipFile) -> Iterator[tuple[int, Any]]:
        number = 0
        try:
            for number, line in enumerate(source, start=1):
                try:
                    yield number, orjson.loads(line)
                except orjson.JSONDecodeError as error:
                    raise self.fail(f"line {number} is not valid JSON ({error})") from None
        except gzip.BadGzipFile as error:
            if number == 0 and "Not a gzipped file" in str(error):
                raise self.fail(f"is not a gzip-compressed Kaira backup ({error})") from None
            raise self.fail(f"is corrupt: its compressed data are damaged ({error})") from None
        except EOFError:
            raise self.fail(f"is truncated: the compressed data end after line {number}") from None
        except zlib.error as error:
            raise self.fail(f"is corrupt: its compressed data are damaged ({error})") from None

    def _read_header(self) -> Header:
        _, header = next(self._lines, (0, None))
        if not isinstance(header, dict) or header.get("format") != FORMAT:
            raise self.fail(f"is not a Kaira backup (its first line does not say format {FORMAT!r})")
        version = header.get("version")
        if not isinstance(version, int) or version > VERSION:
            raise self.fail(
                f"has format version {version!r}, newer than this Kaira reads ({VERSION}): upgrade Kaira"
            )
        tables, revision = header.get("tables"), header.get("revision")
        try:
            created_at = datetime.fromisoformat(header.get("created_at"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            created_at = None
        if (
            not isinstance(revision, str)
            or created_at is None
            or not isinstance(tables, list)
            or not all(isinstance(name, str) for name in tables)
            or len(set(tables)) != len(tables)
        ):
            raise self.fail("has a damaged header (revision, created_at or tables missing or malformed)")
        return Header(revision=revision, created_at=created_at, tables=tuple(tables))

    def batches(self) -> Iterator[tuple[str, list[dict[str, Any]]]]:
        """Rows in batches of one table each, in the header's order; the trailer is checked at the end."""
        order = {name: index for index, name in enumerate(self.header.tables)}
        counts = dict.fromkeys(self.header.tables, 0)
        current, batch = -1, list[dict[str, Any]]()
        for number, line in self._lines:
            if isinstance(line, dict) and "counts" in line:
                if batch:
                    yield self.header.tables[current], batch
                self.trailer = self._check_trailer(number, line, counts)
                return
            table = line.get("table") if isinstance(line, dict) else None
            row = line.get("row") if isinstance(line, dict) else None
            if table not in order or not isinstance(row, dict):
                raise self.fail(f"line {number} is neither a row of a listed table nor the trailer")
            if order[table] != current:
                if order[table] < current:
                    raise self.fail(f"line {number}: a {table} row after the rows of a later table")
                if batch:
                    yield self.header.tables[current], batch
                current, batch = order[table], []
            batch.append(row)
            counts[table] += 1
            if len(batch) == BATCH:
                yield table, batch
                batch = []
        raise self.fail("is truncated: it ends before its trailer (the row counts)")

    def _check_trailer(self, number: int, line: dict[str, Any], counts: dict[str, int]) -> Trailer:
        expected, sequences = line.get("counts"), line.get("sequences", {})
        if not (
            isinstance(expected, dict)
            and isinstance(sequences, dict)
            and all(type(value) is int for value in sequences.values())
        ):
            raise self.fail(f"line {number}: the trailer is damaged")
        for table, count in counts.items():
            if expected.get(table) != count:
                raise self.fail(
                    f"holds {count} {table} rows, but its trailer counts {expected.get(table)}: "
                    "rows are missing or were added"
                )
        if next(self._lines, None) is not None:
            raise self.fail(f"has lines after its trailer (line {number})")
        return Trailer(counts=counts, sequences=sequences)
