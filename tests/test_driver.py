"""Core statements run on the DBAPI cursor beneath SQLAlchemy's `Connection` (`kaira.database.driver`):
on PostgreSQL every one through the pool, on SQLite the reads on the held connection. What a client
sees must not change: a search's wildcards stay literal on a fresh service, a broken rule is still a
400, and a statement listener (a tracer, SQL_ECHO) still sees every statement."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, insert, select

from kaira.config import Settings
from kaira.database.core import WriteDB
from kaira.database.driver import prepared
from kaira.main import create_app
from kaira.models import Tag
from tests.conftest import MakeUser

MakePost = Callable[..., dict[str, Any]]
CountStatements = Callable[[], Any]
TWICE = insert(Tag).values(name="twice")
TAGS = select(func.count()).select_from(Tag)


async def _same_tag_twice(db: WriteDB) -> None:
    """Breaks the tags' unique rule, one statement at a time, as a lost race would."""
    await db.rows(TWICE, {})
    await db.rows(TWICE, {})


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    app = create_app(settings)
    app.add_api_route("/test/core-conflict", _same_tag_twice, methods=["POST"])
    return app


@pytest.fixture
def fresh_client(settings: Settings) -> Iterator[TestClient]:
    """A second service on the same database, started after the test's data were written: its
    engines have not connected yet."""
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


def test_a_fresh_services_first_request_matches_a_searchs_wildcards_literally(
    client: TestClient, make_user: MakeUser, make_post: MakePost, fresh_client: TestClient
) -> None:
    # The SQL of a search holds `ESCAPE '\'`: written before the server has said how it reads a
    # backslash, PostgreSQL refused it ("invalid escape string"), a 500 for the first searches.
    author = make_user()
    make_post(author, title="100% sure", is_published=True)
    make_post(author, title="1000 times", is_published=True)
    make_post(author, title="a_b", is_published=True)
    make_post(author, title="axb", is_published=True)

    for _ in range(3):  # the first through `Connection`, the next ones beneath it
        percent = fresh_client.get("/api/posts/", params={"q": "100%"})
        underscore = fresh_client.get("/api/posts/", params={"q": "a_b"})
        assert percent.status_code == underscore.status_code == 200, percent.text + underscore.text
        assert [post["title"] for post in percent.json()] == ["100% sure"]
        assert [post["title"] for post in underscore.json()] == ["a_b"]


@pytest.mark.postgres_only  # SQLite's writes go through `Connection`
def test_a_broken_rule_beneath_connection_is_a_400_for_that_statement_only(
    client: TestClient, app: FastAPI
) -> None:
    client.get("/api/posts/")  # the engines connect: the second insert runs on the cursor
    engine = app.state.engines.autocommit.sync_engine
    assert prepared(TWICE, engine) is not None, "this test is about the statement on the cursor"

    response = client.post("/test/core-conflict")

    assert response.status_code == 400, response.text
    assert response.json() == {"detail": "The request conflicts with the current data"}
    assert client.portal.call(_count_tags, app) == 1  # type: ignore[union-attr]  # the first stood alone


async def _count_tags(app: FastAPI) -> int:
    async with app.state.engines.transactional.connect() as connection:
        return int((await connection.execute(TAGS)).scalar_one())


def test_a_statement_listener_sees_every_statement_of_a_read(
    client: TestClient,
    app: FastAPI,
    make_user: MakeUser,
    make_post: MakePost,
    count_statements: CountStatements,
) -> None:
    post = make_post(make_user(), is_published=True)
    client.get(f"/api/posts/{post['id']}")  # connected, and the read's statement prepared

    with count_statements() as statements:
        response = client.get(f"/api/posts/{post['id']}")

    assert response.status_code == 200
    assert any("FROM posts" in statement for statement in statements), statements


def test_sql_echo_logs_every_read_beneath_connection_too(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    echoing = settings.model_copy(update={"sql_echo": True})
    with TestClient(create_app(echoing), raise_server_exceptions=False) as client:
        caplog.set_level(logging.INFO, logger="sqlalchemy.engine")
        for _ in range(3):  # the first connects; the next ones would run on the cursor unseen
            assert client.get("/api/posts/1").status_code == 404

    reads = [record for record in caplog.records if "FROM posts" in record.getMessage()]
    assert len(reads) >= 3, [record.getMessage() for record in caplog.records]
