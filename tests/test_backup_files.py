"""Damaged, cut and foreign files: restore changes nothing and says in one line what is wrong."""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest
from sqlalchemy.engine import URL

from kaira import migrate
from tests.helpers_backup import rows_of
from tests.helpers_pg import fresh_database
from tests.test_cli import clean_environment, kaira  # noqa: F401 - clean_environment: an autouse fixture

Lines = list[bytes]


def _lines(path: Path) -> Lines:
    return gzip.decompress(path.read_bytes()).splitlines(keepends=True)


def _edit(line: int, change: Callable[[dict[str, object]], object]) -> Callable[[Lines], Lines]:
    def edit(lines: Lines) -> Lines:
        value = orjson.loads(lines[line])
        changed = change(value)
        return [
            *lines[:line],
            orjson.dumps(value if changed is None else changed) + b"\n",
            *lines[line + 1 :],
        ]

    return edit


def _row_of(table: str, lines: Lines) -> int:
    return next(i for i, line in enumerate(lines) if line.startswith(b'{"table":"' + table.encode()))


# Each case: a change to the decompressed lines (or to the compressed bytes), and what restore must say.
LINE_CASES: dict[str, tuple[Callable[[Lines], Lines], str]] = {
    "trailer cut off": (
        lambda lines: lines[:-1],
        "is truncated: it ends before its trailer (the row counts)",
    ),
    "a row missing": (lambda lines: [*lines[:-2], lines[-1]], "post_tags rows, but its trailer counts"),
    "a row too many": (
        lambda lines: [*lines[:2], b'{"table":"tags","row":{"id":999,"name":"extra"}}\n', *lines[2:]],
        "tags rows, but its trailer counts",
    ),
    "bad JSON": (
        lambda lines: [*lines[:2], b'{"table": "users", "row": {\n', *lines[3:]],
        "line 3 is not valid JSON",
    ),
    "lines after the trailer": (lambda lines: [*lines, lines[1]], "has lines after its trailer"),
    "foreign": (_edit(0, lambda header: header.update(format="pg_dump")), "is not a Kaira backup"),
    "empty": (lambda lines: [], "is not a Kaira backup"),
    "newer format": (_edit(0, lambda header: header.update(version=2)), "has format version 2, newer than"),
    "unknown revision": (
        _edit(0, lambda header: header.update(revision="9999")),
        "revision '9999', which this",
    ),
    "damaged header": (_edit(0, lambda header: header.update(tables="users")), "has a damaged header"),
    "tables of another schema": (
        _edit(0, lambda header: header.update(tables=["users", "comments"])),
        "lists tables ['comments', 'users'], but revision",
    ),
    "an unlisted table": (_edit(2, lambda row: row.update(table="comments")), "line 3 is neither a row of"),
    "rows out of order": (
        lambda lines: [lines[0], *lines[-2:-4:-1], *lines[1:-3], lines[-1]],
        "after the rows of",
    ),
    "a damaged trailer": (_edit(-1, lambda trailer: trailer.update(sequences=[1])), "the trailer is damaged"),
    "a wrong value": (
        lambda lines: _edit(_row_of("users", lines), lambda row: row["row"].update(is_active="yes"))(lines),
        "a users row does not fit: 'yes' is not a boolean",
    ),
    "a wrong timestamp": (
        lambda lines: _edit(_row_of("posts", lines), lambda row: row["row"].update(created_at="today"))(
            lines
        ),
        "a posts row does not fit: 'today' is not an ISO 8601 timestamp",
    ),
    "a column too many": (
        lambda lines: _edit(_row_of("posts", lines), lambda row: row["row"].update(likes=3))(lines),
        "a posts row has columns ['likes'] missing []",
    ),
    "a post without its author": (
        lambda lines: _edit(_row_of("posts", lines), lambda row: row["row"].update(author_id=999))(lines),
        "its rows break the schema's rules (",
    ),
    "a duplicate id": (
        lambda lines: _edit(
            _row_of("tags", lines) + 1, lambda row: row["row"].update(id=row["row"]["id"] - 1)
        )(lines),
        "its rows break the schema's rules (",
    ),
}
BYTE_CASES: dict[str, tuple[Callable[[bytes], bytes], str]] = {
    "cut in the middle": (
        lambda data: data[: len(data) // 2],
        "is truncated: the compressed data end after line",
    ),
    "not gzip": (lambda data: gzip.decompress(data), "is not a gzip-compressed Kaira backup"),
    "damaged bytes": (
        lambda data: data[:30] + bytes(b ^ 0xFF for b in data[30:60]) + data[60:],
        "is corrupt: its",
    ),
}


@pytest.fixture
def good_file(current_url: URL, tmp_path: Path) -> Path:
    """A backup of a little demo data; and the database it came from, seeded differently afterwards."""
    assert kaira("seed", "--users", "3", "--posts", "8", url=current_url).exit_code == 0
    path = tmp_path / "good.jsonl.gz"
    assert kaira("db", "backup", str(path), url=current_url).exit_code == 0
    return path


def _restore_fails_and_changes_nothing(url: URL, path: Path, expected: str, tmp_path: Path) -> None:
    before = tmp_path / "before.jsonl.gz"
    assert kaira("db", "backup", str(before), url=url).exit_code == 0

    result = kaira("db", "restore", "--force", str(path), url=url)

    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {path}: ")
    assert expected in result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    after = tmp_path / "after.jsonl.gz"
    assert kaira("db", "backup", str(after), url=url).exit_code == 0
    assert rows_of(after) == rows_of(before)
    assert asyncio.run(migrate.current_revision(url)) == migrate.head_revision()


@pytest.mark.parametrize("case", LINE_CASES)
def test_a_damaged_file_changes_nothing(good_file: Path, current_url: URL, tmp_path: Path, case: str) -> None:
    change, expected = LINE_CASES[case]
    bad = tmp_path / "bad.jsonl.gz"
    bad.write_bytes(gzip.compress(b"".join(change(_lines(good_file)))))
    assert kaira("seed", "--users", "1", "--posts", "2", url=current_url).exit_code == 0  # now it differs

    _restore_fails_and_changes_nothing(current_url, bad, expected, tmp_path)


@pytest.mark.parametrize("case", BYTE_CASES)
def test_damaged_compression_changes_nothing(
    good_file: Path, current_url: URL, tmp_path: Path, case: str
) -> None:
    change, expected = BYTE_CASES[case]
    bad = tmp_path / "bad.jsonl.gz"
    bad.write_bytes(change(good_file.read_bytes()))

    _restore_fails_and_changes_nothing(current_url, bad, expected, tmp_path)


def test_a_missing_file_is_one_line(current_url: URL, tmp_path: Path) -> None:
    _restore_fails_and_changes_nothing(
        current_url, tmp_path / "nowhere.jsonl.gz", "cannot be read (", tmp_path
    )


def test_a_file_cut_short_leaves_an_empty_database_empty(
    good_file: Path, db_url: URL, tmp_path: Path
) -> None:
    """The migrations run inside the restore's transaction: they are undone with it."""
    bad = tmp_path / "cut.jsonl.gz"
    bad.write_bytes(gzip.compress(b"".join(_lines(good_file)[:-1])))

    with fresh_database(db_url, tmp_path) as empty:
        result = kaira("db", "restore", str(bad), url=empty)
        revision = asyncio.run(migrate.current_revision(empty))

    assert result.exit_code == 1
    assert "is truncated: it ends before its trailer" in result.stderr
    assert revision is None
