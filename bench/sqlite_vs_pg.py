"""`make bench BENCH_ARGS="--database sqlite"`: Kaira on SQLite and on PostgreSQL, side by side in one run.

The same `kaira serve` (its defaults, abuse limits included) on two databases that hold the same rows:
the SQLite file is a copy of the PostgreSQL bench database made by `kaira db backup` and `kaira db
restore` (`seed.prepare_sqlite`). The two servers take turns as `make bench-peers`'s do (`bench.turns`):
PostgreSQL, SQLite, PostgreSQL, … every read in every round first, then creating a post, whose rows
then change no read's answer. The issue's targets: every read on SQLite at least 1.2× the same read on
PostgreSQL, creating a post at least 0.8×, and 32 writers on SQLite without an error, a non-2xx answer
or a locked database. Then, on the deep data set's SQLite copy, long reads beside short ones
(`bench.long_reads`; `--no-deep` skips them).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence

from rich.console import Console

from bench import kaira, long_reads, record, seed, targets
from bench.measure import Result, Summary
from bench.pg import redact
from bench.settings import Settings
from bench.tables import peers_table, rate, results_table
from bench.targets import Target
from bench.turns import Contender, Turns, ratios
from bench.workloads import Workload

SUITE = "sqlite"
TURN_ORDER = ("postgresql", "sqlite")
SHOWN = ("sqlite", "postgresql")
"""The table's order: SQLite first, as the ratios are SQLite's requests/s over PostgreSQL's."""
READ_LIMIT = 1.2
WRITE_LIMIT = 0.8
LOCK_ALARMS = ("database is locked", "Database unavailable")
"""What a locked database leaves in Kaira's log: SQLite's own words (in a traceback, at start-up), or
the line of the 503 answered for it, which names only the error's type (`Database unavailable:
OperationalError`)."""


def contenders(settings: Settings) -> dict[str, Contender]:
    """Kaira twice, as a user starts it, each server with a log of its own in bench/results/."""
    sqlite_url = seed.sqlite_url(settings.sqlite_path)
    return {
        "postgresql": Contender(
            "postgresql",
            kaira.server_spec(settings, settings.database_url, name="kaira-postgresql"),
            authenticated=True,
        ),
        "sqlite": Contender(
            "sqlite",
            kaira.server_spec(settings, sqlite_url, name="kaira-sqlite"),
            authenticated=True,
            log_alarms=LOCK_ALARMS,
        ),
    }


def run(
    console: Console,
    settings: Settings,
    chosen: Sequence[Workload],
    *,
    busy: float,
    save: bool,
    deep: bool = True,
) -> None:
    console.print("Preparing the databases (PostgreSQL loaded, its SQLite copy made, where needed)…")
    asyncio.run(_prepare(settings, console, deep=deep))
    turns = Turns(settings, contenders(settings), console)
    reads = [w for w in chosen if w.read]
    writes = [w for w in chosen if not w.read]
    if reads:
        turns.take(TURN_ORDER, reads)
    if writes:
        turns.take(TURN_ORDER, writes)  # after every read: the rows they add change no read's answer
    long = long_reads.run(settings, console) if deep else []

    summaries = turns.summaries(chosen)
    by_sqlite = ratios(summaries, "sqlite")
    rounds = f"medians of {settings.rounds} rounds, {settings.duration_s} s each"
    title = f"Kaira on SQLite vs PostgreSQL: {rounds}"
    console.print(peers_table(title, SHOWN, summaries, by_sqlite, base="sqlite"))
    if long:
        console.print(results_table("Kaira on SQLite, long reads beside short ones (100,000 posts)", long))
    checks = _targets(chosen, summaries, turns, long)
    targets.print_targets(console, checks)
    if save:
        record.append(
            {
                "suite": SUITE,
                **record.context(settings),
                "busy_before": round(busy, 3),
                "rounds": settings.rounds,
                "base": "sqlite",
                "servers": list(SHOWN),
                "runs": turns.runs,
                "summary": {k: {s: v.as_record() for s, v in by.items()} for k, by in summaries.items()},
                "ratios": {k: {p: round(v, 3) for p, v in by.items()} for k, by in by_sqlite.items()},
                "log_alarms": turns.alarms,
                "long_reads": [r.as_record() for r in long],
                "targets": [t.as_record() for t in checks],
            }
        )
        console.print(f"Appended to bench/{record.RESULTS.name}")


async def _prepare(settings: Settings, console: Console, *, deep: bool) -> None:
    for copy in seed.sqlite_copies(settings, deep=deep):
        loaded = await seed.prepare_kaira(settings, copy.source, copy.spec)
        console.print(f"  {redact(copy.source)}: {'loaded' if loaded else 'already there'}")
        copied = await seed.prepare_sqlite(settings, copy)
        console.print(f"  {copy.path}: {'copied from it' if copied else 'already a copy of it'}")


def _targets(
    chosen: Sequence[Workload],
    summaries: Mapping[str, Mapping[str, Summary]],
    turns: Turns,
    long: list[Result],
) -> list[Target]:
    checks = []
    for workload in chosen:
        by = summaries.get(workload.key, {})
        if "sqlite" in by and "postgresql" in by:
            lite, pg = by["sqlite"], by["postgresql"]
            p50, p99 = f"{lite.p50_ms:.2f} vs {pg.p50_ms:.2f}", f"{lite.p99_ms:.2f} vs {pg.p99_ms:.2f}"
            checks.append(
                targets.ratio(
                    f"{lite.title}: sqlite/postgresql",
                    lite.rps,
                    pg.rps,
                    READ_LIMIT if workload.read else WRITE_LIMIT,
                    detail=f"{rate(lite.rps)} vs {rate(pg.rps)} req/s, p50 {p50} ms, p99 {p99} ms",
                )
            )
            checks.append(targets.tail(f"sqlite {lite.title}", lite.p50_ms, lite.p99_ms))
    on_sqlite = turns.results.get("sqlite", {})
    for workload in chosen:
        results = on_sqlite.get(workload.key, []) if not workload.read else []
        if results:
            non_2xx = sum(r.measurement.non_2xx for r in results)
            sockets = sum(r.measurement.socket_errors for r in results)
            requests = sum(r.measurement.requests for r in results)
            clients = results[0].connections
            # Requests still waiting (on a lock, say) when wrk stops count as nothing at all: no answer
            # is no pass.
            checks.append(
                targets.none_of(
                    f"{workload.title} on SQLite, {clients} clients: errors and non-2xx answers",
                    non_2xx + sockets if requests else float("inf"),
                    detail=f"{non_2xx} non-2xx, {sockets} socket errors or timeouts "
                    f"in {requests:,} requests, {len(results)} rounds"
                    + ("" if requests else ": no request was answered"),
                )
            )
    if "sqlite" in turns.alarms and turns.taken["sqlite"]:
        lines = turns.alarms["sqlite"]
        counted = ", ".join(f"{count} × {text!r}" for text, count in lines.items())
        checks.append(
            targets.none_of(
                "SQLite server's log: lines saying 'database is locked' or 'Database unavailable'",
                sum(lines.values()),
                detail=f"{counted}, over its {turns.taken['sqlite']} turns (warm-ups included)",
            )
        )
    if (waited := long_reads.target(long)) is not None:
        checks.append(waited)
    return checks
