"""Long reads beside short ones on SQLite: does a search through 100,000 posts hold every other request?

On SQLite a read runs in the event loop's thread until it has taken `LOOP_READ_BUDGET_SECONDS`, then in
one of the long reads' threads (`kaira.database.engines.InProcessSQLite`). A search for a word that no
post holds reads every post: hundreds of milliseconds on the deep data set. Were it run in the loop, a
`/health` sent meanwhile would wait for the whole search, as a load balancer's check would.

Kaira on the SQLite copy of the deep data set (`seed.prepare_sqlite`): `/health` from one client alone,
then again while two clients search for a word that no post holds. The target: the health check's p99
beside the searches stays under a quarter of one search's p50, so a short request never waits for a
long one. PostgreSQL is not measured here: its reads wait on the network, never in the loop.
"""

from __future__ import annotations

from rich.console import Console

from bench import dataset, kaira, seed
from bench.measure import Named, Result, measure, measure_beside
from bench.server import Server
from bench.settings import Settings
from bench.targets import Target
from bench.workloads import Workload, load

HEALTH = Workload("health", "/health", "static.lua", "/health")
MISSING_WORD = "kairaqzxwv"
"""No post of the seeded vocabulary (`bench.dataset`) holds it: the search reads every post."""
SEARCH_MISSING = Workload(
    "search_missing", "search for a word no post holds", "static.lua", f"/api/posts/?q={MISSING_WORD}"
)
SEARCHERS = 2
WAIT_LIMIT = 0.25
"""/health's p99 beside the searches ≤ a quarter of a search's p50."""


def run(settings: Settings, console: Console) -> list[Result]:
    """/health alone, then /health and its searches meanwhile (three results)."""
    spec = kaira.server_spec(settings, seed.sqlite_url(settings.deep_sqlite_path), name="kaira-sqlite-deep")
    with Server(spec, cpu=settings.server_cpu) as server:
        console.print("Long reads on SQLite (100,000 posts): /health alone")
        alone = measure(server, HEALTH, dataset.DEEP, settings, connections=1, key="health_alone")
        console.print(f"  /health while {SEARCHERS} clients search for a word no post holds")
        return [alone, *_beside_searches(server, settings)]


def _beside_searches(server: Server, settings: Settings) -> list[Result]:
    searches = load(SEARCH_MISSING, dataset.DEEP, connections=SEARCHERS, duration_s=settings.duration_s)
    checks = load(HEALTH, dataset.DEEP, connections=1, duration_s=settings.duration_s)
    return measure_beside(
        server,
        settings,
        Named("health_beside_searches", "/health, searches running", checks),
        Named(SEARCH_MISSING.key, f"  {SEARCH_MISSING.title}", searches),
    )


def target(results: list[Result]) -> Target | None:
    found = {result.workload: result.measurement for result in results}
    keys = ("health_alone", "health_beside_searches", "search_missing")
    alone, beside, search = (found.get(key) for key in keys)
    if alone is None or beside is None or search is None or not search.requests:
        return None
    return Target(
        "SQLite, /health beside long searches: its p99 / a search's p50",
        beside.p99_ms / search.p50_ms,
        WAIT_LIMIT,
        at_least=False,
        detail=f"p99 {beside.p99_ms:.2f} ms beside them ({alone.p99_ms:.2f} ms alone), "
        f"a search's p50 {search.p50_ms:.1f} ms",
    )
