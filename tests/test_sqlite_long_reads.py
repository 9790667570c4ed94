"""SQLite's reads run in the event loop's thread, and a read that runs past its budget moves to a
thread of its own (`kaira.database.engines.InProcessSQLite.read`): one long search must not hold
every other request until it ends."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from prometheus_client import REGISTRY
from sqlalchemy import event, text
from sqlalchemy.engine import make_url

from kaira.database.engines import InProcessSQLite

COUNTING = text(
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < :n) SELECT count(*) FROM c"
)
"""A read whose cost is whatever `n` says: a million rows take a tenth of a second or more, ten take
microseconds."""


def test_a_short_read_is_answered_while_a_long_one_is_still_running(tmp_path: Path) -> None:
    async def both() -> tuple[list[tuple[int]], bool, list[tuple[int]]]:
        with _in_process(tmp_path) as sqlite:
            long = asyncio.create_task(_count_to(sqlite, 1_000_000))
            await asyncio.sleep(0)  # the long read starts, in the loop's thread
            short = await _count_to(sqlite, 10)
            long_was_running = not long.done()
            return short, long_was_running, await long

    short, long_was_running, long = asyncio.run(both())

    assert short == [(10,)]
    assert long_was_running, "the short read waited for the long one"
    assert long == [(1_000_000,)]


def test_a_long_read_is_stopped_in_the_loop_and_run_again_in_its_own_thread_and_short_ones_stay(
    tmp_path: Path,
) -> None:
    """Where each statement ran, by thread: the loop's connection, whose statement was stopped,
    keeps serving the short reads that come after."""
    ran: list[tuple[int, str]] = []

    def record(_conn: Any, _cursor: Any, _statement: str, parameters: Any, *_args: Any) -> None:
        # Either thread of the long reads: which one the pool picks is its own affair.
        thread = threading.current_thread().name.rstrip("0123456789").removesuffix("_")
        ran.append((parameters[0], thread))

    async def reads() -> list[list[tuple[int]]]:
        with _in_process(tmp_path) as sqlite:
            event.listen(sqlite.reader.engine, "before_cursor_execute", record)
            return [await _count_to(sqlite, n) for n in (300_000, 3, 300_000, 7)]

    moved_before = _long_reads_counted()
    answers = asyncio.run(reads())
    moved = _long_reads_counted() - moved_before

    assert answers == [[(300_000,)], [(3,)], [(300_000,)], [(7,)]]
    loop, long_reads = "MainThread", "kaira-sqlite-long-reads"
    assert ran == [
        (300_000, loop),
        (300_000, long_reads),
        (3, loop),
        (300_000, loop),
        (300_000, long_reads),
        (7, loop),
    ]
    assert moved == 2, "/metrics counts each read moved off the loop"


def test_a_second_long_read_does_not_wait_for_the_first(tmp_path: Path) -> None:
    """Two long reads at once run side by side, each on a connection of its own: the shorter one
    ends first, where in one thread it would have waited for the first to finish."""

    async def both() -> list[int]:
        with _in_process(tmp_path) as sqlite:
            ended: list[int] = []

            async def count(n: int) -> None:
                assert await _count_to(sqlite, n) == [(n,)]
                ended.append(n)

            first = asyncio.create_task(count(3_000_000))
            await asyncio.sleep(0)  # the first is moved to a thread of its own before the second starts
            await asyncio.gather(first, count(300_000))
            return ended

    assert asyncio.run(both()) == [300_000, 3_000_000]


@contextmanager
def _in_process(tmp_path: Path) -> Iterator[InProcessSQLite]:
    sqlite = InProcessSQLite.open(make_url(f"sqlite:///{tmp_path / 'kaira.db'}"), echo=False, timeout=2.5)
    assert sqlite is not None
    try:
        yield sqlite
    finally:
        sqlite.dispose()


async def _count_to(sqlite: InProcessSQLite, n: int) -> list[tuple[int]]:
    return [tuple(row) for row in await sqlite.read(COUNTING, {"n": n})]


def _long_reads_counted() -> float:
    return REGISTRY.get_sample_value("kaira_db_long_reads_total") or 0.0
