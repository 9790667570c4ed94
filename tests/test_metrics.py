"""`/metrics`: what a Prometheus server scraping the service sees, in one process and across workers."""

from __future__ import annotations

import asyncio
import stat
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select
from sqlalchemy.engine import URL

from kaira import metrics
from kaira.config import Settings
from kaira.main import create_app
from tests.conftest import MakeUser
from tests.helpers_pg import clean_env, kaira_serve, plain

POST_ROUTE = {"method": "GET", "route": "/api/posts/{post_id}"}


def sample(exposition: str, name: str, **labels: str) -> float:
    """The value of one series in Prometheus's text format (0 when absent, as Prometheus would count)."""
    for family in text_string_to_metric_families(exposition):
        for found in family.samples:
            if found.name == name and found.labels == labels:
                return float(found.value)
    return 0.0


def test_requests_are_counted_by_method_route_template_and_status(
    client: TestClient, make_user: MakeUser
) -> None:
    ada = make_user()
    before = client.get("/metrics").text

    for post_id in (4242, 4243, 4244):
        assert client.get(f"/api/posts/{post_id}").status_code == 404
    assert (
        client.post("/api/posts/", json={"title": "t", "content": "c"}, headers=ada.headers).status_code
        == 201
    )
    after = client.get("/metrics")

    assert after.headers["content-type"].startswith("text/plain")
    counted = "kaira_http_requests_total"
    assert (
        sample(after.text, counted, **POST_ROUTE, status="404")
        - sample(before, counted, **POST_ROUTE, status="404")
        == 3
    )
    created = {"method": "POST", "route": "/api/posts/", "status": "201"}
    assert sample(after.text, counted, **created) - sample(before, counted, **created) == 1
    durations = "kaira_http_request_duration_seconds_count"
    assert sample(after.text, durations, **POST_ROUTE) - sample(before, durations, **POST_ROUTE) == 3
    routes = {
        found.labels["route"]
        for family in text_string_to_metric_families(after.text)
        for found in family.samples
        if "route" in found.labels
    }
    assert not [route for route in routes if "4242" in route]  # never the raw path


def test_unknown_paths_and_methods_share_one_series(client: TestClient) -> None:
    client.get("/no/such/page/1")
    client.get("/no/such/page/2")
    client.request("BREW", "/api/posts/1")

    exposition = client.get("/metrics").text

    assert "/no/such" not in exposition
    assert sample(exposition, "kaira_http_requests_total", method="GET", route="unmatched", status="404") >= 2
    assert 'method="BREW"' not in exposition


def test_pool_gauges_show_connections_in_use_and_requests_waiting(client: TestClient, app: FastAPI) -> None:
    core = app.state.core
    tickets, timeout = core.queue.tickets, core.queue.timeout

    async def while_busy() -> str:
        async with app.state.engines.transactional.connect() as connection:
            await connection.exec_driver_sql("SELECT 1")
            core.queue.tickets, core.queue.timeout = asyncio.Semaphore(0), 5
            waiter = asyncio.create_task(core.rows(select(1), {}))
            await asyncio.sleep(0.01)  # the waiter takes its place in the queue
            try:
                metrics.sample_pools(app)
                return metrics.generate_latest().decode()
            finally:
                waiter.cancel()
                core.queue.tickets, core.queue.timeout = tickets, timeout

    busy = client.portal.call(while_busy)  # type: ignore[union-attr]
    idle = client.get("/metrics").text

    in_use, waiting = "kaira_db_pool_connections_in_use", "kaira_db_pool_requests_waiting"
    assert sample(busy, in_use, pool="transactional") == 1
    assert sample(busy, waiting, pool="autocommit") == 1
    assert sample(idle, in_use, pool="transactional") == 0
    assert sample(idle, waiting, pool="autocommit") == 0


def test_rate_limit_rejections_are_counted(client: TestClient) -> None:
    name = "kaira_rate_limit_rejections_total"
    before = sample(client.get("/metrics").text, name, limit="login_per_account")

    metrics.record_rate_limit_rejection("login_per_account")

    assert sample(client.get("/metrics").text, name, limit="login_per_account") == before + 1


def test_metrics_can_be_turned_off(settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"metrics_enabled": False}))
    counted = {**POST_ROUTE, "status": "404"}
    before = metrics.REGISTRY.get_sample_value("kaira_http_requests_total", counted) or 0

    with TestClient(app) as client:
        client.get("/api/posts/4242")
        response = client.get("/metrics")

    assert response.status_code == 404
    assert (metrics.REGISTRY.get_sample_value("kaira_http_requests_total", counted) or 0) == before


# --- several workers -------------------------------------------------------------------------------------


@pytest.fixture
def two_workers(tmp_path: Path) -> Iterator[tuple[httpx2.Client, str, Path]]:
    url = URL.create("sqlite+aiosqlite", database=str(tmp_path / "metrics.db"))
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    env = clean_env(database_url=plain(url), tmpdir=str(temporary))
    with (
        kaira_serve(env, tmp_path, "--workers", "2") as server,
        httpx2.Client(timeout=10, limits=httpx2.Limits(max_keepalive_connections=0)) as client,
    ):
        server.wait_healthy(seconds=60)
        yield client, server.base_url, temporary
    assert list(temporary.iterdir()) == []  # the metrics directory went with the service


async def _all_at_once(urls: list[str]) -> list[httpx2.Response]:
    """GETs sent together, each on a new connection."""
    limits = httpx2.Limits(max_keepalive_connections=0)
    async with httpx2.AsyncClient(timeout=10, limits=limits) as client:
        return list(await asyncio.gather(*(client.get(url) for url in urls)))


def test_with_two_workers_every_count_adds_up_whichever_worker_answers(
    two_workers: tuple[httpx2.Client, str, Path],
) -> None:
    client, base_url, temporary = two_workers
    workers: set[str] = set()
    sent = 0
    # New connections, eight at a time: while one worker is busy with a request, the other accepts the
    # next. One at a time, the worker that had just answered was idle first every time and could take
    # all 400 (a CI run on two busy CPUs). Sent from one event loop, not threads.
    while len(workers) < 2 or sent < 20:
        assert sent < 400, "one worker answered every request"
        urls = [f"{base_url}/api/posts/{4242 + sent + offset}" for offset in range(8)]
        workers.update(response.headers["x-request-id"][:16] for response in asyncio.run(_all_at_once(urls)))
        sent += len(urls)

    scraped_by: set[str] = set()
    counts: set[float] = set()
    for _ in range(40):
        scrape = client.get(f"{base_url}/metrics")
        scraped_by.add(scrape.headers["x-request-id"][:16])
        counts.add(sample(scrape.text, "kaira_http_requests_total", **POST_ROUTE, status="404"))
        if len(scraped_by) == 2:
            break

    assert len(scraped_by) == 2
    assert counts == {sent}
    [directory] = temporary.iterdir()
    assert directory.name.startswith("kaira-metrics-")
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700  # private
