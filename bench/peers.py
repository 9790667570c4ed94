"""`make bench-peers`: Kaira, the tutorial (seedref), the raw-asyncpg ceiling and the FastAPI floor (the
ceiling's SQL behind plain FastAPI, `bench/floor/app.py`), side by side in one run.

The servers take turns (Kaira, seedref, ceiling, floor, Kaira, …), one at a time on the server CPU, so that
a slow minute hurts all alike, and each ratio is taken between medians over the rounds (`bench.turns`).
"""

from __future__ import annotations

import asyncio
from functools import partial
from pathlib import Path

import typer

from bench import dataset, kaira, machine, peers_venv, record, seed, tables, targets
from bench.guard import guarded
from bench.measure import Summary
from bench.pg import ensure_database
from bench.server import ServerSpec
from bench.settings import ROOT, Settings, load_settings
from bench.tables import peers_table, rate
from bench.targets import Target
from bench.turns import Contender, Turns, ratios
from bench.workloads import CREATE_POST, GET_POST, GET_USER, LIST_POSTS, PEER_READS
from bench.wrk import require_cpus, require_tools

console = tables.console()

SEEDREF_PORT = 8001
CEILING_PORT = 8002
FLOOR_PORT = 8003
READ_SERVERS = ("kaira", "seedref", "ceiling", "floor")
WRITE_SERVERS = ("kaira", "seedref")
"""The ceiling and the floor only read."""


def main(
    duration: int | None = typer.Option(None, help="Seconds per measured workload [env BENCH_DURATION, 10]."),
    warmup: int | None = typer.Option(None, help="Warm-up seconds before each [env BENCH_WARMUP, 2]."),
    connections: int | None = typer.Option(None, help="wrk connections [env BENCH_CONNECTIONS, 32]."),
    rounds: int | None = typer.Option(None, help="Rounds of A/B/C turns [env BENCH_ROUNDS, 2]."),
    save: bool = typer.Option(True, help="Append the results to bench/results.jsonl."),
) -> None:
    """Measure Kaira against the tutorial and the ceiling, alternating, and check the issue's ratios."""

    def body() -> None:
        settings = load_settings().with_overrides(
            duration_s=duration, warmup_s=warmup, connections=connections, rounds=rounds
        )
        require_tools()
        require_cpus(settings.server_cpu, settings.client_cpu)
        peers_venv.requirements(settings.peers_dir)  # a wrong KAIRA_PEERS_DIR fails now, not later
        compare(settings, save=save)

    guarded(console, body)


def contenders(settings: Settings, peers_bin: Path) -> dict[str, Contender]:
    """The four servers, each as its README runs it; the peers from their own venv's uvicorn."""
    peers = settings.peers_dir
    uvicorn = [str(peers_bin / "uvicorn")]
    quiet = ["--host", "127.0.0.1", "--no-access-log", "--log-level", "warning"]
    no_pyc = {"PYTHONDONTWRITEBYTECODE": "1"}  # the peers' folder is shared, and may be read-only
    return {
        "kaira": Contender("kaira", kaira.server_spec(settings, settings.database_url), authenticated=True),
        "seedref": Contender(
            "seedref",
            ServerSpec(
                name="seedref",
                argv=[*uvicorn, "main:app", "--port", str(SEEDREF_PORT), *quiet],
                cwd=peers / "seedref",
                port=SEEDREF_PORT,
                env={"DATABASE_URL": settings.seedref_database_url, "SEEDREF_ECHO": "0", **no_pyc},
            ),
            authenticated=False,
            # Its tables exist once it has started (create_all): load them then, unless already loaded.
            started=partial(_load_seedref, settings),
        ),
        "ceiling": Contender(
            "ceiling",
            ServerSpec(
                name="ceiling",
                argv=[*uvicorn, "app:app", "--port", str(CEILING_PORT), *quiet],
                cwd=peers / "ceiling",
                port=CEILING_PORT,
                env={"DATABASE_URL": settings.database_url, "CEILING_MODE": "kaira", **no_pyc},
            ),
            authenticated=False,
        ),
        "floor": Contender(
            "floor",
            ServerSpec(
                name="floor",
                argv=[*uvicorn, "app:app", "--port", str(FLOOR_PORT), *quiet],
                cwd=ROOT / "bench" / "floor",
                port=FLOOR_PORT,
                env={
                    "DATABASE_URL": settings.database_url,
                    "CEILING_DIR": str((peers / "ceiling").resolve()),
                    **no_pyc,
                },
            ),
            authenticated=False,
        ),
    }


def compare(settings: Settings, *, save: bool) -> None:
    busy = machine.check_quiet(console)
    console.print("Preparing the peers' virtualenv (.venv-peers)…")
    bin_dir = peers_venv.ensure(settings.peers_dir)
    console.print("Preparing the databases…")
    asyncio.run(_prepare(settings))
    turns = Turns(settings, contenders(settings, bin_dir), console)
    turns.take(READ_SERVERS, PEER_READS)
    turns.take(WRITE_SERVERS, (CREATE_POST,))  # after every read: the rows they add change no read's answer

    summaries = turns.summaries((*PEER_READS, CREATE_POST))
    by_kaira = ratios(summaries, "kaira")
    title = f"Kaira vs peers: medians of {settings.rounds} rounds, {settings.duration_s} s each"
    console.print(peers_table(title, READ_SERVERS, summaries, by_kaira))
    checks = _targets(summaries)
    targets.print_targets(console, checks)
    if save:
        record.append(
            {
                "suite": "peers",
                **record.context(settings),
                "busy_before": round(busy, 3),
                "rounds": settings.rounds,
                "runs": turns.runs,
                "summary": {k: {s: v.as_record() for s, v in by.items()} for k, by in summaries.items()},
                "ratios": {k: {p: round(v, 3) for p, v in by.items()} for k, by in by_kaira.items()},
                "targets": [t.as_record() for t in checks],
            }
        )
        console.print(f"Appended to bench/{record.RESULTS.name}")


async def _prepare(settings: Settings) -> None:
    """Kaira's database (which the ceiling reads too) loaded; the tutorial's created, loaded on its start."""
    await seed.prepare_kaira(settings, settings.database_url, dataset.SMALL)
    await ensure_database(settings.seedref_database_url)


def _load_seedref(settings: Settings) -> None:
    asyncio.run(seed.load(settings.seedref_database_url, dataset.SMALL, seed.SEEDREF))


def _targets(summaries: dict[str, dict[str, Summary]]) -> list[Target]:
    checks: list[Target] = []

    def ratio(key: str, peer: str, limit: float) -> None:
        by = summaries.get(key, {})
        if "kaira" in by and peer in by:
            kaira_, other = by["kaira"], by[peer]
            detail = f"{rate(kaira_.rps)} vs {rate(other.rps)} req/s"
            checks.append(
                targets.ratio(f"{kaira_.title}: kaira/{peer}", kaira_.rps, other.rps, limit, detail=detail)
            )

    ratio(GET_POST.key, "ceiling", 0.5)
    ratio(GET_USER.key, "ceiling", 0.5)
    ratio(LIST_POSTS.key, "ceiling", 0.6)
    ratio(LIST_POSTS.key, "seedref", 10.0)
    ratio(CREATE_POST.key, "seedref", 3.0)
    for workload in (*PEER_READS, CREATE_POST):
        mine = summaries.get(workload.key, {}).get("kaira")
        if mine:
            checks.append(targets.tail(f"kaira {workload.title}", mine.p50_ms, mine.p99_ms))
    return checks


if __name__ == "__main__":
    typer.run(main)
