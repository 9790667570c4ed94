"""Two instances of `kaira serve --workers 2` on one PostgreSQL database, as behind a load balancer:
started together they migrate once, and writes spread over both lose nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx2
import orjson
import pytest
from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import create_async_engine

from kaira import migrate
from tests.conftest import TEST_SECRET
from tests.helpers_load import Outcome, Request, bearer, load, sign_up_and_log_in
from tests.helpers_pg import clean_env, execute_on, fresh_database, kaira_serve, plain, wait_for

pytestmark = pytest.mark.postgres_only
WRITES = 100

RECORD_DDL = (
    "CREATE TABLE ddl_log (command_tag text, object_identity text)",
    """CREATE FUNCTION record_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO ddl_log SELECT command_tag, object_identity FROM pg_event_trigger_ddl_commands();
    END $$""",
    "CREATE EVENT TRIGGER record_ddl ON ddl_command_end EXECUTE FUNCTION record_ddl()",
)


@pytest.fixture
def recorded_url(db_url: URL, tmp_path: Path) -> Iterator[URL]:
    """An empty database that writes down every CREATE, ALTER and DROP run in it."""
    with fresh_database(db_url, tmp_path) as url:
        asyncio.run(execute_on(url, *RECORD_DDL))
        yield url


def test_two_instances_started_together_migrate_once_and_lose_no_write(
    recorded_url: URL, tmp_path: Path
) -> None:
    env = clean_env(database_url=plain(recorded_url), secret_key=TEST_SECRET, rate_limits="false")
    with (
        kaira_serve(env, tmp_path, "--workers", "2") as first,
        kaira_serve(env, tmp_path, "--workers", "2") as second,
    ):
        first.wait_healthy(seconds=60)
        second.wait_healthy(seconds=60)
        author_id, token = sign_up_and_log_in(first.base_url, "ada", "instances password")
        servers = (first.base_url, second.base_url)

        def next_request(number: int) -> Request:
            body = {"title": f"post {number}", "content": "c", "is_published": number % 2 == 0}
            return ("POST", f"{servers[number % 2]}/api/posts/", {"json": body, "headers": bearer(token)})

        with load(next_request, threads=8) as running:
            running.wait_for_requests(WRITES, after=0, seconds=60)
            # Which worker accepts a new connection is the kernel's choice: one of an instance may
            # win a hundred in a row. Writing on until each has answered shows all four serve.
            wait_for(
                lambda: len(_workers_that_answered(running.outcomes)) == 4,
                seconds=60,
                what="each of the four workers (two instances, two workers each) to answer a write",
            )
        stored = _post_ids(second.base_url, author_id, token)

    outcomes = running.outcomes
    assert all(outcome.status == 201 for outcome in outcomes), {o.status for o in outcomes}
    created = {orjson.loads(outcome.body)["id"] for outcome in outcomes}
    assert stored == created
    assert len(_workers_that_answered(outcomes)) == 4  # both instances, both workers each
    assert asyncio.run(migrate.current_revision(recorded_url)) == migrate.head_revision()
    assert asyncio.run(_times_created(recorded_url, "public.users")) == 1


def _workers_that_answered(outcomes: list[Outcome]) -> set[str]:
    return {outcome.worker for outcome in list(outcomes) if outcome.status is not None}


def _post_ids(base_url: str, author_id: int, token: str) -> set[int]:
    """Every post of the author, drafts included, read page by page through the API."""
    ids: set[int] = set()
    url: str | None = f"{base_url}/api/posts/?author_id={author_id}&limit=100"
    while url:
        page = httpx2.get(url, headers=bearer(token), timeout=10)
        assert page.status_code == 200, page.text
        ids.update(post["id"] for post in page.json())
        url = page.links.get("next", {}).get("url")
    return ids


async def _times_created(url: URL, table: str) -> int:
    engine = create_async_engine(url)
    query = text("SELECT count(*) FROM ddl_log WHERE command_tag = 'CREATE TABLE' AND object_identity = :t")
    try:
        async with engine.connect() as connection:
            return int((await connection.execute(query, {"t": table})).scalar_one())
    finally:
        await engine.dispose()
