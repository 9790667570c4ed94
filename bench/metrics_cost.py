"""`make bench BENCH_ARGS="--metrics-cost --only get_post"`: what `/metrics` costs a read.

The same server twice, with METRICS_ENABLED=true and false, taking turns (`bench.turns`: on, off, on,
off … for BENCH_ROUNDS rounds), so that drift in the machine's load falls on both alike; the cost is
1 − (req/s with metrics) / (req/s without), between the medians of the rounds. Target: under 3 %.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console

from bench import kaira, record, targets
from bench.settings import Settings
from bench.tables import rate, results_table
from bench.turns import Contender, Turns
from bench.workloads import Workload

COST_LIMIT = 0.03
TURNS = {"metrics on": True, "metrics off": False}


def run(console: Console, settings: Settings, chosen: Sequence[Workload], *, busy: float, save: bool) -> None:
    reads = [workload for workload in chosen if workload.read]
    contenders = {
        name: Contender(
            name, kaira.server_spec(settings, settings.database_url, metrics=enabled), authenticated=True
        )
        for name, enabled in TURNS.items()
    }
    turns = Turns(settings, contenders, console)
    turns.take(list(TURNS), reads)
    summaries = turns.summaries(reads)
    checks = []
    for workload in reads:
        for name in TURNS:
            console.print(results_table(f"{workload.title}, {name}", turns.results[name][workload.key]))
        on, off = summaries[workload.key]["metrics on"], summaries[workload.key]["metrics off"]
        checks.append(
            targets.Target(
                f"{workload.title}: req/s lost to metrics",
                1 - on.rps / off.rps,
                COST_LIMIT,
                at_least=False,
                unit="%",
                detail=f"{1 - on.rps / off.rps:.1%}: {rate(on.rps)} req/s with, {rate(off.rps)} without "
                f"(medians of {settings.rounds} rounds)",
            )
        )
    targets.print_targets(console, checks)
    if save:
        record.append(
            {
                "suite": "metrics_cost",
                **record.context(settings),
                "busy_before": round(busy, 3),
                "rounds": settings.rounds,
                "summary": {k: {n: s.as_record() for n, s in by.items()} for k, by in summaries.items()},
                "targets": [t.as_record() for t in checks],
            }
        )
        console.print(f"Appended to bench/{record.RESULTS.name}")
