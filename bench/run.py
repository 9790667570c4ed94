"""`make bench`: Kaira alone under load, every workload, on PostgreSQL; a table, target checks, a JSON line.

Order matters: reads are measured before writes (the rows writes add never change a read's answer), the
login storm after get-a-post alone (its baseline), and deep pages on their own server and database.
Two other suites start here too: `--metrics-cost` (`bench.metrics_cost`) and `--database sqlite`
(`bench.sqlite_vs_pg`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import typer

from bench import dataset, kaira, machine, probe, record, seed, sqlite_vs_pg, storm, tables, targets
from bench import deep as deep_pages
from bench import metrics_cost as metrics_costs
from bench.guard import guarded
from bench.measure import Result, measure
from bench.server import Server
from bench.settings import Settings, load_settings
from bench.tables import results_table
from bench.targets import Target
from bench.workloads import DATABASE_SET, GET_POST, KAIRA_SET, LOGIN, SIGN_UP, STORM_CONNECTIONS, Workload
from bench.wrk import require_cpus, require_tools

console = tables.console()


class Database(StrEnum):
    POSTGRESQL = "postgresql"
    SQLITE = "sqlite"


@dataclass
class SetRun:
    """One pass over the workloads on one server process, and the server's memory after it."""

    results: list[Result] = field(default_factory=list)
    rss_bytes: int = 0
    peak_rss_bytes: int = 0
    """The high-water mark since the server started (VmHWM)."""


def main(
    duration: int | None = typer.Option(None, help="Seconds per measured workload [env BENCH_DURATION, 10]."),
    warmup: int | None = typer.Option(None, help="Warm-up seconds before each [env BENCH_WARMUP, 2]."),
    connections: int | None = typer.Option(None, help="wrk connections [env BENCH_CONNECTIONS, 32]."),
    database: Database = typer.Option(
        Database.POSTGRESQL,
        help="sqlite: instead, Kaira on SQLite and on PostgreSQL in turns, and SQLite's ratios.",
    ),
    rounds: int | None = typer.Option(
        None, help="Rounds of turns of --database sqlite and --metrics-cost [env BENCH_ROUNDS, 2]."
    ),
    memory_check: bool = typer.Option(False, help="Run the whole set twice and report memory growth."),
    deep: bool = typer.Option(
        True, help="Measure deep pages (PostgreSQL), or long reads (SQLite), on the 100,000-post data set."
    ),
    only: list[str] | None = typer.Option(None, help="Only these workloads (repeatable), e.g. get_post."),
    save: bool = typer.Option(True, help="Append the results to bench/results.jsonl."),
    metrics_cost: bool = typer.Option(
        False, help="Instead: the reads with METRICS_ENABLED on and off, in turns, and what /metrics costs."
    ),
) -> None:
    """Benchmark Kaira on PostgreSQL with wrk (or on SQLite and PostgreSQL side by side)."""

    def body() -> None:
        settings = load_settings().with_overrides(
            duration_s=duration, warmup_s=warmup, connections=connections, rounds=rounds
        )
        require_tools()
        require_cpus(settings.server_cpu, settings.client_cpu)
        if database is Database.SQLITE:
            if metrics_cost or memory_check:
                raise typer.BadParameter("--database sqlite takes neither --metrics-cost nor --memory-check")
            chosen = _chosen(only, DATABASE_SET)
            busy = machine.check_quiet(console)
            sqlite_vs_pg.run(console, settings, chosen, busy=busy, save=save, deep=deep)
            return
        chosen = _chosen(only, KAIRA_SET)
        if metrics_cost:
            busy = machine.check_quiet(console)
            asyncio.run(_prepare(settings, deep=False))
            metrics_costs.run(console, settings, chosen, busy=busy, save=save)
            return
        bench(settings, chosen, memory_check=memory_check, deep=deep, save=save)

    guarded(console, body)


def _chosen(only: list[str] | None, among: Sequence[Workload]) -> tuple[Workload, ...]:
    if not only:
        return tuple(among)
    known = {w.key: w for w in among}
    unknown = sorted(set(only) - set(known))
    if unknown:
        raise typer.BadParameter(f"unknown workload {unknown}; choose from {sorted(known)}")
    return tuple(w for w in among if w.key in only)


def bench(
    settings: Settings, chosen: tuple[Workload, ...], *, memory_check: bool, deep: bool, save: bool
) -> None:
    busy = machine.check_quiet(console)
    console.print("Preparing the databases (create, `kaira db upgrade`, load if needed)…")
    asyncio.run(_prepare(settings, deep=deep))
    sets: list[SetRun] = []
    rate_limits = _rate_limits(chosen)
    if not rate_limits:
        console.print("  Abuse limits off for this server: its log-ins and sign-ups come from one address")
    spec = kaira.server_spec(settings, settings.database_url, rate_limits=rate_limits)
    with Server(spec, cpu=settings.server_cpu) as server:
        start_rss = server.rss_bytes()
        _warn(probe.problems(server.spec.base_url, chosen))
        token = kaira.access_token(server.spec.base_url)
        for number in range(1, 3 if memory_check else 2):
            console.print(f"Set {number}: {len(chosen)} workloads, {settings.duration_s} s each…")
            sets.append(_run_set(server, settings, chosen, token))
    deep_run = deep_pages.run(settings, console) if deep else None

    for number, one in enumerate(sets, start=1):
        console.print(
            results_table(f"Kaira, set {number} of {len(sets)} (1 worker, PostgreSQL)", one.results)
        )
    if deep_run:
        console.print(results_table("Kaira, deep pages (100,000 posts, 1 client)", deep_run.results))
        if deep_run.error:
            console.print(f"[bold red]deep pages: {deep_run.error}[/]")
        elif deep_run.consistent is False:
            console.print("[bold red]deep pages: the page by cursor and by skip hold different posts[/]")
    after = ", ".join(f"{s.rss_bytes / 2**20:.0f} MB after set {n}" for n, s in enumerate(sets, start=1))
    peak = sets[-1].peak_rss_bytes / 2**20
    console.print(f"Server RSS: {start_rss / 2**20:.0f} MB at start, {after}; at most {peak:.0f} MB (VmHWM)")
    checks = _targets(sets, deep_run)
    targets.print_targets(console, checks)
    if save:
        record.append(
            {
                "suite": "bench",
                **record.context(settings),
                "busy_before": round(busy, 3),
                "rate_limits": rate_limits,
                "start_rss_mb": round(start_rss / 2**20, 1),
                "sets": [
                    {
                        "results": [r.as_record() for r in s.results],
                        "rss_mb": round(s.rss_bytes / 2**20, 1),
                        "peak_rss_mb": round(s.peak_rss_bytes / 2**20, 1),
                    }
                    for s in sets
                ],
                "deep": deep_run.as_record() if deep_run else None,
                "targets": [t.as_record() for t in checks],
            }
        )
        console.print(f"Appended to bench/{record.RESULTS.name}")


def _rate_limits(chosen: tuple[Workload, ...]) -> bool:
    """Whether this server keeps `kaira serve`'s abuse limits on: unless a workload floods them.

    The login storm (measured with get a post), log in and sign up send thousands of log-ins and
    sign-ups, all from one address (127.0.0.1): with the limits on (60 log-ins and 20 sign-ups a
    minute per address, 10 log-ins per account) nearly all would be 429s, which measures the limiter,
    not the service. The limits have tests of their own; every other server of the bench keeps them.
    """
    return not any(workload in (GET_POST, LOGIN, SIGN_UP) for workload in chosen)


def _warn(problems: list[str]) -> None:
    for problem in problems:
        console.print(f"[bold yellow]check: {problem}[/]")


async def _prepare(settings: Settings, *, deep: bool) -> None:
    loaded = await seed.prepare_kaira(settings, settings.database_url, dataset.SMALL)
    console.print(f"  {dataset.SMALL.posts:,} posts: {'loaded' if loaded else 'already there'}")
    if deep:
        loaded = await seed.prepare_kaira(settings, settings.deep_database_url, dataset.DEEP)
        console.print(f"  {dataset.DEEP.posts:,} posts: {'loaded' if loaded else 'already there'}")


def _run_set(server: Server, settings: Settings, chosen: tuple[Workload, ...], token: str) -> SetRun:
    run = SetRun()
    for workload in chosen:
        console.print(f"  {workload.title}")
        result = measure(server, workload, dataset.SMALL, settings, token=token)
        run.results.append(result)
        if workload is GET_POST:
            console.print(f"  {workload.title} while {STORM_CONNECTIONS} clients log in")
            run.results.extend(storm.login_storm(server, settings))
    run.rss_bytes = server.rss_bytes()
    run.peak_rss_bytes = server.peak_rss_bytes()
    return run


def _targets(sets: list[SetRun], deep_run: deep_pages.DeepRun | None) -> list[Target]:
    first = {r.workload: r for r in sets[0].results}
    reads = {w.key for w in KAIRA_SET if w.read}
    checks = targets.read_tails(sets[0].results, reads)
    alone, storm = first.get("get_post"), first.get("get_post_login_storm")
    if alone and storm:
        checks.append(
            Target(
                f"get a post while {STORM_CONNECTIONS} log in: p99 / p99 alone",
                storm.measurement.p99_ms / alone.measurement.p99_ms,
                targets.STORM_LIMIT,
                at_least=False,
                detail=f"{alone.measurement.p99_ms:.2f} ms alone, {storm.measurement.p99_ms:.2f} ms in it",
            )
        )
    full, unchanged = first.get("get_one_post"), first.get("get_one_post_304")
    if full and unchanged:
        checks.append(
            Target(
                "a 304 (unchanged post) / a 200 of the same post, req/s",
                unchanged.measurement.rps / full.measurement.rps,
                1.0,
                at_least=True,
                detail=f"{unchanged.measurement.rps:,.0f} vs {full.measurement.rps:,.0f} req/s",
            )
        )
    last_rss = sets[-1].rss_bytes / 2**20
    checks.append(
        Target("server RSS after the run", last_rss, targets.RSS_LIMIT_MB, at_least=False, unit=" MB")
    )
    if len(sets) > 1:
        growth = (sets[1].rss_bytes - sets[0].rss_bytes) / sets[0].rss_bytes
        checks.append(
            Target(
                "RSS growth over a second run",
                growth,
                targets.GROWTH_LIMIT,
                at_least=False,
                unit="%",
                detail=f"{sets[0].rss_bytes / 2**20:.0f} → {sets[1].rss_bytes / 2**20:.0f} MB",
            )
        )
    if deep_run:
        page_1, by_cursor = deep_run.mean_ms("deep_page_1"), deep_run.mean_ms("deep_cursor")
        by_skip = deep_run.mean_ms("deep_skip")
        if page_1 and by_cursor and by_skip:
            checks.append(
                Target(
                    f"page {deep_pages.PAGE:,} by cursor / page 1 (mean latency)",
                    by_cursor / page_1,
                    targets.CURSOR_LIMIT,
                    at_least=False,
                    detail=f"by skip: {by_skip / page_1:.1f}× page 1",
                )
            )
    return checks


if __name__ == "__main__":
    typer.run(main)
