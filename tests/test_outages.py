"""The database goes away under load and comes back, with a live `kaira serve --workers 2` on a
PostgreSQL server of the test's own (test_errors covers one request at a time, in process; here the
clients keep coming, and the server is the real one)."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx2
import pytest
from sqlalchemy import text
from sqlalchemy.exc import InterfaceError
from sqlalchemy.ext.asyncio import create_async_engine

from tests.conftest import TEST_SECRET
from tests.helpers_load import Outcome, Request, bearer, load, sign_up_and_log_in
from tests.helpers_pg import Cluster, Server, clean_env, kaira_serve, plain, throwaway_cluster, wait_for

pytestmark = pytest.mark.postgres_only
CONTRACT_SECONDS = 3
UNAVAILABLE = b'{"detail":"Database unavailable"}'


@dataclass
class Service:
    cluster: Cluster
    server: Server
    token: str
    post_ids: list[int]


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    directory = tmp_path_factory.mktemp("outages")
    with throwaway_cluster() as cluster:
        url = cluster.url.set(database="postgres")
        env = clean_env(database_url=plain(url), secret_key=TEST_SECRET, rate_limits="false")
        with kaira_serve(env, directory, "--workers", "2") as server:
            server.wait_healthy(seconds=60)
            _, token = sign_up_and_log_in(server.base_url, "ada", "outage password")
            post_ids = [_create_post(server, token, f"post {n}", ["old"]) for n in range(3)]
            yield Service(cluster, server, token, post_ids)


def _create_post(server: Server, token: str, title: str, tags: list[str]) -> int:
    body = {"title": title, "content": "c", "is_published": True, "tags": tags}
    response = httpx2.post(server.base_url + "/api/posts/", json=body, headers=bearer(token), timeout=10)
    assert response.status_code == 201, response.text
    post_id: int = response.json()["id"]
    return post_id


def _mixed_requests(service: Service) -> list[Request]:
    """Reads on both pools, a write, and a caller looked up in the ORM session."""
    base, auth = service.server.base_url, bearer(service.token)
    return [
        ("GET", f"{base}/api/posts/{service.post_ids[0]}", {}),
        ("GET", f"{base}/api/posts/?limit=5", {}),
        ("POST", f"{base}/api/posts/", {"json": {"title": "under load", "content": "c"}, "headers": auth}),
        ("GET", f"{base}/api/users/me", {"headers": auth}),
    ]


def test_a_database_stopped_under_load_gives_503s_and_the_service_recovers_by_itself(
    service: Service,
) -> None:
    requests = _mixed_requests(service)
    with load(lambda number: requests[number % len(requests)], threads=6) as running:
        running.wait_for_requests(12, after=0, seconds=30)
        service.cluster.stop("immediate")
        stopped = time.monotonic()
        running.wait_for_requests(24, after=stopped, seconds=20)
        health_began = time.monotonic()
        health = service.server.get("/health")
        health_seconds = time.monotonic() - health_began
        restarting = time.monotonic()
        service.cluster.start()
        restarted = time.monotonic()
        running.wait_for_requests(48, after=restarted, seconds=30)

    outcomes = running.outcomes
    assert all(o.status in (200, 201, 503) and o.seconds < CONTRACT_SECONDS for o in outcomes), _odd(
        outcomes, (200, 201, 503)
    )
    down = [o for o in outcomes if o.started > stopped and o.ended < restarting]
    assert len(down) >= 24
    assert all((o.status, o.body) == (503, UNAVAILABLE) for o in down), _odd(down, (503,))
    assert health.status_code == 503
    assert health.json()["status"] == "unhealthy"
    assert health_seconds < CONTRACT_SECONDS
    back = running.since(restarted)
    assert all(o.status in (200, 201) for o in back), _odd(back)
    assert len({o.worker for o in back}) == 2, "one of the workers answered nothing after the restart"
    assert service.server.get("/health").status_code == 200


def test_after_a_quiet_restart_the_first_requests_succeed(service: Service) -> None:
    """Nothing used the pools while the database was down: the connections they hold are dead, and
    must be replaced before a request gets one, in both pools of both workers."""
    requests = [*_mixed_requests(service), ("GET", f"{service.server.base_url}/health", {})]
    login = {"data": {"username": "ada", "password": "outage password"}}
    requests.append(("POST", f"{service.server.base_url}/api/auth/token", login))
    service.server.wait_healthy()
    with load(lambda number: requests[number % len(requests)], threads=4) as running:
        running.wait_for_requests(24, after=0, seconds=30)  # every pool holds live connections
    service.cluster.stop("fast")
    service.cluster.start()

    with load(lambda number: requests[number % len(requests)], threads=4) as running:
        running.wait_for_requests(24, after=0, seconds=30)

    assert all(o.status in (200, 201) for o in running.outcomes), _odd(running.outcomes)
    assert len({o.worker for o in running.outcomes}) == 2


def _odd(outcomes: list[Outcome], expected: tuple[int, ...] = (200, 201)) -> str:
    return "; ".join(
        f"{o.request[0]} {o.request[1]}: {o.status} {o.error} {o.body[:80]!r} in {o.seconds:.2f} s"
        for o in outcomes
        if o.status not in expected or o.seconds >= CONTRACT_SECONDS
    )[:2000]


def test_a_database_restarted_inside_a_transaction_fails_that_request_cleanly(service: Service) -> None:
    """The edit adds a tag, changes the title, then waits for a lock the test holds on the links; the
    database restarts right then. Nothing of the edit may remain."""
    post_id = _create_post(service.server, service.token, "before", ["old"])
    edit: list[Outcome] = []

    def send_edit() -> None:
        began = time.monotonic()
        response = httpx2.put(
            f"{service.server.base_url}/api/posts/{post_id}",
            json={"title": "half written", "tags": ["fresh"]},
            headers=bearer(service.token),
            timeout=10,
        )
        edit.append(Outcome(("PUT", "", {}), began, time.monotonic(), response.status_code, response.content))

    asyncio.run(_restart_while_the_edit_waits(service.cluster, threading.Thread(target=send_edit)))

    [outcome] = edit
    assert (outcome.status, outcome.body) == (503, UNAVAILABLE)
    assert outcome.seconds < CONTRACT_SECONDS
    wait_for(service.server.is_healthy, seconds=15, what="the service did not recover")
    post = service.server.get(f"/api/posts/{post_id}").json()
    assert (post["title"], post["tags"]) == ("before", ["old"])
    assert asyncio.run(_tags_named(service.cluster, "fresh")) == 0


WAITING_FOR_A_LOCK = text(
    "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'kaira' AND wait_event_type = 'Lock'"
)


async def _restart_while_the_edit_waits(cluster: Cluster, edit: threading.Thread) -> None:
    engine = create_async_engine(cluster.url.set(database="postgres"))
    try:
        # Leaving the block rolls back on connections that died with the server, as they should.
        with contextlib.suppress(InterfaceError):
            async with engine.connect() as holder, engine.connect() as watcher:
                await holder.execute(text("LOCK TABLE post_tags IN SHARE MODE"))  # reads pass, writes wait
                edit.start()
                deadline = time.monotonic() + 10
                while not (await watcher.execute(WAITING_FOR_A_LOCK)).scalar_one():
                    assert time.monotonic() < deadline, "the edit never reached the locked table"
                    await asyncio.sleep(0.01)
                await asyncio.to_thread(cluster.stop, "immediate")
    finally:
        await engine.dispose()
    await asyncio.to_thread(cluster.start)
    await asyncio.to_thread(edit.join, 15)


async def _tags_named(cluster: Cluster, name: str) -> int:
    engine = create_async_engine(cluster.url.set(database="postgres"))
    try:
        async with engine.connect() as connection:
            query = text("SELECT count(*) FROM tags WHERE name = :name")
            return int((await connection.execute(query, {"name": name})).scalar_one())
    finally:
        await engine.dispose()
