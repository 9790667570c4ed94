"""Prometheus metrics: requests, their durations, the database pools, long reads, rate-limit rejections.

With one process the metrics live in its memory. `kaira serve --workers N` (N > 1) points every worker
at one private directory (`PROMETHEUS_MULTIPROC_DIR`, see `kaira.serving`), where prometheus-client
keeps each process's values in a file of its own; `/metrics`, whichever worker answers it, adds up
every file, so a counter says how many requests the whole service answered.

Routes are labelled by their template (`/api/posts/{post_id}`), never by the raw path: one series per
route, whatever ids clients send.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from typing import Any

import prometheus_client
from fastapi import APIRouter, FastAPI, Request, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from sqlalchemy.pool import QueuePool

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
"""prometheus-client's own variable, read once, when it is imported: set it before any worker starts."""
SAMPLE_SECONDS = 1.0
"""How often each worker writes its pools' gauges when several workers share the files."""
UNMATCHED = "unmatched"
"""The route label of a request no route matched (a 404 for an unknown path)."""
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

# Without this, every label set gets a `_created` series too: twice the output for nothing.
prometheus_client.disable_created_metrics()  # type: ignore[no-untyped-call]

REQUESTS = Counter("kaira_http_requests_total", "HTTP requests answered", ["method", "route", "status"])
DURATION = Histogram(
    "kaira_http_request_duration_seconds",
    "Time from a request's arrival to the end of its answer",
    ["method", "route"],
)
IN_USE = Gauge(
    "kaira_db_pool_connections_in_use",
    "Database connections checked out of a pool",
    ["pool"],
    multiprocess_mode="livesum",
)
WAITING = Gauge(
    "kaira_db_pool_requests_waiting",
    "Requests waiting, in arrival order, for a connection of the AUTOCOMMIT pool (kaira.database.core)",
    ["pool"],
    multiprocess_mode="livesum",
)
RATE_LIMIT_REJECTIONS = Counter(
    "kaira_rate_limit_rejections_total", "Requests refused with 429 by an abuse limit", ["limit"]
)
LONG_READS = Counter(
    "kaira_db_long_reads_total",
    "SQLite reads stopped in the event loop's thread past their budget and run again in another thread",
)
for _limit in ("login_per_account", "login_per_address", "signup_per_address"):
    RATE_LIMIT_REJECTIONS.labels(_limit)  # present, at 0, before the first rejection

_children: dict[tuple[str, str, int], tuple[Any, Any]] = {}


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    """Count one answered request. Called for every request: the labelled series are looked up once."""
    key = (method if method in _METHODS else "other", route, status)
    children = _children.get(key)
    if children is None:
        children = _children[key] = (REQUESTS.labels(*key), DURATION.labels(key[0], route))
    children[0].inc()
    children[1].observe(seconds)


def record_rate_limit_rejection(limit: str) -> None:
    """For the abuse limits: one more request refused by `limit` (e.g. `login_per_account`)."""
    RATE_LIMIT_REJECTIONS.labels(limit).inc()


def record_long_read() -> None:
    """For SQLite's reads: one more read moved off the event loop (`kaira.database.engines`)."""
    LONG_READS.inc()


def is_multiprocess() -> bool:
    return bool(os.environ.get(MULTIPROCESS_DIR))


def sample_pools(app: FastAPI) -> None:
    """Write this process's pool gauges: connections checked out, requests queued for one."""
    engines = app.state.engines
    pools = {"transactional": engines.transactional.pool}
    if engines.separate_pools:  # PostgreSQL; on SQLite one connection serves both
        pools["autocommit"] = engines.autocommit.pool
    for name, pool in pools.items():
        IN_USE.labels(name).set(pool.checkedout() if isinstance(pool, QueuePool) else 0)
    WAITING.labels("autocommit").set(app.state.core.queue.waiting)


@contextlib.asynccontextmanager
async def sampling(app: FastAPI) -> AsyncIterator[None]:
    """For the app's lifetime. Several workers: each writes its gauges every second, since the worker
    that answers `/metrics` cannot look into the others' pools; its files go when it ends."""
    if not is_multiprocess():
        yield
        return

    async def every_second() -> None:
        while True:
            sample_pools(app)
            await asyncio.sleep(SAMPLE_SECONDS)

    task = asyncio.create_task(every_second())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]


router = APIRouter(include_in_schema=False)


@router.get("/metrics")
def metrics(request: Request) -> Response:  # a thread: adding up the workers' files reads the disk
    sample_pools(request.app)
    if is_multiprocess():
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry = REGISTRY
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
