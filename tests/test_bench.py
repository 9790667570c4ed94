"""The benchmark's own judgement (`bench/`), without a server or a load: what it counts and what passes.

A benchmark that passes a target it did not measure is worse than none, so the checks that decide PASS
or MISS, which server gets the abuse limits off, and when the SQLite copy counts as a copy are tested
here on made-up results and files.
"""

from __future__ import annotations

import io
import os
import re
import sqlite3
import subprocess
import sys
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import dataset, long_reads, markdown, run, seed, sqlite_vs_pg
from bench.measure import Result, Summary
from bench.settings import ROOT, load_settings
from bench.turns import Turns, lines_holding, ratios
from bench.workloads import CREATE_POST, GET_POST, GET_USER, KAIRA_SET, LIST_POSTS, LOGIN, SIGN_UP, Workload
from bench.wrk import Measurement
from rich.console import Console


def _result(
    workload: Workload,
    rps: float,
    *,
    non_2xx: int = 0,
    socket_errors: int = 0,
    p50_ms: float = 10.0,
    p99_ms: float = 15.0,
    key: str | None = None,
) -> Result:
    measurement = Measurement(
        requests=int(rps * 2), duration_s=2.0, p50_ms=p50_ms, p90_ms=(p50_ms + p99_ms) / 2, p99_ms=p99_ms,
        mean_ms=p50_ms, max_ms=p99_ms * 2, non_2xx=non_2xx, socket_errors=socket_errors,
    )  # fmt: skip
    return Result(key or workload.key, workload.title, measurement, rss_bytes=0, connections=32)


def _checks(
    results: dict[str, dict[str, list[Result]]],
    alarms: dict[str, int] | None = None,
    long: list[Result] | None = None,
) -> dict[str, bool]:
    """PASS or MISS of each target of `--database sqlite`, given what its turns measured and logged."""
    settings = load_settings()
    turns = Turns(settings, sqlite_vs_pg.contenders(settings), Console(file=io.StringIO()))
    for server, by_workload in results.items():
        turns.taken[server] += 1
        for key, found in by_workload.items():
            turns.results[server][key].extend(found)
    if alarms is not None:
        turns.alarms["sqlite"] = alarms
    chosen = (GET_POST, CREATE_POST)
    return {
        check.name: check.passed
        for check in sqlite_vs_pg._targets(chosen, turns.summaries(chosen), turns, long or [])
    }


def test_the_abuse_limits_are_off_only_where_a_workload_floods_them() -> None:
    assert run._rate_limits((GET_USER, LIST_POSTS, CREATE_POST))
    for flooding in (GET_POST, LOGIN, SIGN_UP):  # get a post brings the login storm with it
        assert not run._rate_limits((GET_USER, flooding))
    assert not run._rate_limits(KAIRA_SET)


def test_reads_need_1_2x_and_creating_0_8x_of_postgresql() -> None:
    results = {
        "postgresql": {
            "get_post": [_result(GET_POST, 1000)],
            "create_post": [_result(CREATE_POST, 1000)],
        },
        "sqlite": {"get_post": [_result(GET_POST, 1150)], "create_post": [_result(CREATE_POST, 810)]},
    }

    checks = _checks(results)

    assert checks == {
        "get a post: sqlite/postgresql": False,
        "sqlite get a post: p99/p50": True,
        "create a post: sqlite/postgresql": True,
        "sqlite create a post: p99/p50": True,
        "create a post on SQLite, 32 clients: errors and non-2xx answers": True,
        "SQLite server's log: lines saying 'database is locked' or 'Database unavailable'": True,
    }


def test_a_write_run_fails_on_any_error_and_on_no_answer_at_all() -> None:
    for failed in (_result(CREATE_POST, 800, non_2xx=1), _result(CREATE_POST, 800, socket_errors=1)):
        results = {
            "postgresql": {"create_post": [_result(CREATE_POST, 900)]},
            "sqlite": {"create_post": [failed]},
        }
        assert not _checks(results)["create a post on SQLite, 32 clients: errors and non-2xx answers"]

    # Every request still waiting on a lock when wrk stopped: nothing answered, nothing counted.
    unanswered = {
        "postgresql": {"create_post": [_result(CREATE_POST, 900)]},
        "sqlite": {"create_post": [_result(CREATE_POST, 0)]},
    }
    assert not _checks(unanswered)["create a post on SQLite, 32 clients: errors and non-2xx answers"]


def test_a_locked_database_in_the_log_is_a_miss(tmp_path: Path) -> None:
    log = tmp_path / "kaira-sqlite.log"
    log.write_text(
        "2026-12-01 11:07:29,200 INFO kaira.access [1] POST /api/posts/ 201 12.0 ms user 1\n"
        "2026-12-01 11:07:29,271 ERROR kaira [2] Database unavailable: OperationalError\n"
        "2026-12-01 11:07:29,272 INFO kaira.access [2] POST /api/posts/ 503 5001.0 ms user 1\n",
        encoding="utf-8",
    )

    counted = lines_holding(log, sqlite_vs_pg.LOCK_ALARMS)
    results = {
        "postgresql": {"get_post": [_result(GET_POST, 900)]},
        "sqlite": {"get_post": [_result(GET_POST, 1200)]},
    }

    assert counted == {"database is locked": 0, "Database unavailable": 1}
    assert not _checks(results, counted)[
        "SQLite server's log: lines saying 'database is locked' or 'Database unavailable'"
    ]


def test_ratios_are_the_base_servers_requests_over_each_others() -> None:
    summaries = {
        "get_post": {
            "sqlite": Summary.of([_result(GET_POST, 1200)]),
            "postgresql": Summary.of([_result(GET_POST, 1000)]),
        },
        "list_posts": {"postgresql": Summary.of([_result(LIST_POSTS, 500)])},
    }

    assert ratios(summaries, "sqlite") == {"get_post": {"postgresql": 1.2}}


def _sqlite_copy(path: Path, spec: dataset.DatasetSpec, now: datetime) -> None:
    """The tables and rows `kaira db restore` would leave, reduced to the columns the check reads."""
    with closing(sqlite3.connect(path)) as conn:
        conn.executescript(
            "CREATE TABLE users (id INTEGER PRIMARY KEY, created_at TEXT);"
            "CREATE TABLE posts (id INTEGER PRIMARY KEY, title TEXT);"
            "CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT);"
            "CREATE TABLE post_tags (post_id INTEGER, tag_id INTEGER);"
        )
        users = dataset.users(spec, "hash", now)
        conn.executemany(
            "INSERT INTO users VALUES (?, ?)", [(u.id, f"{u.created_at:%Y-%m-%d %H:%M:%S.%f}") for u in users]
        )
        conn.executemany(
            "INSERT INTO posts VALUES (?, ?)", [(p.id, p.title) for p in dataset.posts(spec, now)]
        )
        conn.executemany("INSERT INTO tags VALUES (?, ?)", enumerate(dataset.TAG_NAMES, start=1))
        conn.executemany("INSERT INTO post_tags VALUES (?, ?)", dataset.post_tags(spec))
        conn.commit()


def _long_reads(*, health_p99_ms: float, search_p50_ms: float, searches: float = 1.6) -> list[Result]:
    return [
        _result(long_reads.HEALTH, 900, p50_ms=0.9, p99_ms=2.4, key="health_alone"),
        _result(long_reads.HEALTH, 500, p50_ms=1.1, p99_ms=health_p99_ms, key="health_beside_searches"),
        _result(long_reads.SEARCH_MISSING, searches, p50_ms=search_p50_ms, p99_ms=search_p50_ms * 1.2),
    ]


def test_a_health_check_that_waits_for_a_long_search_is_a_miss() -> None:
    results = {
        "postgresql": {"get_post": [_result(GET_POST, 900)]},
        "sqlite": {"get_post": [_result(GET_POST, 1200)]},
    }
    name = "SQLite, /health beside long searches: its p99 / a search's p50"

    # As before long reads left the loop: the check waited for most of a search.
    assert not _checks(results, long=_long_reads(health_p99_ms=70.0, search_p50_ms=75.0))[name]
    assert _checks(results, long=_long_reads(health_p99_ms=7.2, search_p50_ms=620.0))[name]
    assert name not in _checks(results)  # --no-deep: not measured, so not judged
    # No search answered in the whole run: nothing to compare the wait with, so no verdict at all.
    assert long_reads.target(_long_reads(health_p99_ms=1.0, search_p50_ms=0.0, searches=0)) is None


def test_the_sqlite_copy_is_remade_after_its_writes_or_a_newer_postgresql_load(tmp_path: Path) -> None:
    spec, path = dataset.SMALL, tmp_path / "kaira_bench.db"
    loaded = datetime(2026, 12, 1, 11, 3, 15, tzinfo=UTC)
    _sqlite_copy(path, spec, loaded)
    stamp = next(dataset.users(spec, "hash", loaded)).created_at  # what PostgreSQL's first user says

    assert seed._sqlite_is_copy(path, spec, stamp)
    assert not seed._sqlite_is_copy(path, spec, stamp.replace(second=16))  # PostgreSQL reloaded since
    assert not seed._sqlite_is_copy(tmp_path / "missing.db", spec, stamp)
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("INSERT INTO posts VALUES (1001, 'Bench post')")  # a run created a post
        conn.commit()
    assert not seed._sqlite_is_copy(path, spec, stamp)


def test_the_markdown_of_the_sqlite_suite_names_its_base_and_unanswered_runs() -> None:
    record: dict[str, Any] = {
        "suite": "sqlite", "time": "2026-12-01T11:06:19+00:00", "commit": "6f59eea", "dirty": False,
        "duration_s": 10, "rounds": 2, "busy_before": 0.02, "base": "sqlite",
        "servers": ["sqlite", "postgresql"],
        "summary": {
            "create_post": {
                "postgresql": {"rps": 900.0, "p50_ms": 30.0, "p99_ms": 40.0, "errors": 0},
                "sqlite": {"rps": 0.0, "p50_ms": 0.0, "p99_ms": 0.0, "errors": 0},
            }
        },
        "ratios": {"create_post": {"postgresql": 0.0}},
        "targets": [],
    }  # fmt: skip

    lines = list(markdown.SECTIONS["sqlite"](record))
    record["long_reads"] = [r.as_record() for r in _long_reads(health_p99_ms=7.2, search_p50_ms=620.0)]
    with_long_reads = list(markdown.SECTIONS["sqlite"](record))

    assert lines[0].startswith('`make bench BENCH_ARGS="--database sqlite"` at')
    assert "| sqlite ÷ this |" in lines[4]
    assert lines[6].startswith("| create a post (2 tags) | sqlite |")
    assert "| no answer |" in lines[6]
    assert lines[7].endswith("| 0 | 0.00× |")
    assert "Long reads" not in "\n".join(lines)
    heading = with_long_reads.index("Long reads on SQLite, 100,000 posts (`bench.long_reads`):")
    assert with_long_reads[:heading] == lines  # after the turns' table (and no targets in this record)
    beside = with_long_reads[heading + 5]
    assert beside.startswith("| /health while 2 clients search | 32 | 500 | 1.10 | 7.20 |")


def _inproc(database: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    """`python -m bench.inproc` as the docs run it: a fresh interpreter, from the repository."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}", "LOG_LEVEL": "INFO"}
    command = [sys.executable, "-m", "bench.inproc", *arguments, "--requests=20", "--warmup=2"]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_the_in_process_loop_reports_a_cost_and_refuses_to_time_the_wrong_answers(tmp_path: Path) -> None:
    """A loop of 503s (no tables in this database) would time an error page, not the endpoint."""
    database = tmp_path / "empty.db"

    health = _inproc(database, "/health")
    post = _inproc(database, "/api/posts/1")

    assert health.returncode == 0, health.stderr
    assert re.fullmatch(
        r"GET /health: [\d,]+ µs wall, [\d,]+ µs CPU per request \(20 requests, 8 at once\)\n", health.stdout
    )
    assert post.returncode == 1
    assert "GET /api/posts/1 answered 503, not 200" in post.stderr
