"""One log line per request, and no secret in any log line.

In process: what the line holds. Then a live `kaira serve` with LOG_LEVEL=DEBUG and LOG_FORMAT=json,
driven through sign-up, log-in, authenticated calls, a failed log-in and a password change: every line
of its output is searched for the passwords, tokens, hashes and URL password it saw.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine

from kaira.logs import TEXT_FORMAT, JsonFormatter, RequestIdFilter, TextFormatter
from tests.conftest import MakeUser
from tests.helpers_load import bearer
from tests.helpers_pg import clean_env, fresh_database, kaira_serve, plain


@pytest.fixture
def access(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Access lines are captured with their request ids (as `kaira serve` sets its handler up)."""
    caplog.handler.addFilter(RequestIdFilter())
    with caplog.at_level(logging.INFO, logger="kaira.access"):
        yield caplog


def _lines(captured: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    """The access lines of the test's call, as LOG_FORMAT=json writes them."""
    formatter = JsonFormatter()
    return [json.loads(formatter.format(r)) for r in captured.records if r.name == "kaira.access"]


def test_a_request_is_logged_once_with_its_route_template_status_duration_and_caller(
    client: TestClient, make_user: MakeUser, access: pytest.LogCaptureFixture
) -> None:
    ada = make_user()
    headers = {**ada.headers, "X-Request-ID": "access-line-1"}

    response = client.get("/api/posts/4242", headers=headers)

    [line] = _lines(access)
    assert response.status_code == 404
    assert {key: line[key] for key in ("method", "route", "status", "request_id", "user_id")} == {
        "method": "GET",
        "route": "/api/posts/{post_id}",
        "status": 404,
        "request_id": "access-line-1",
        "user_id": ada.id,
    }
    assert 0 < line["duration_ms"] < 10_000
    assert "4242" not in line["message"]
    assert line["message"].startswith("GET /api/posts/{post_id} 404 ")


def test_an_anonymous_request_has_no_user_id(client: TestClient, access: pytest.LogCaptureFixture) -> None:
    client.get("/api/users/")

    [line] = _lines(access)
    assert (line["route"], line["status"]) == ("/api/users/", 200)
    assert "user_id" not in line


def test_the_caller_of_an_orm_endpoint_is_logged_too(
    client: TestClient, make_user: MakeUser, access: pytest.LogCaptureFixture
) -> None:
    ada = make_user()

    client.get("/api/users/me", headers=ada.headers)

    [line] = _lines(access)
    assert (line["route"], line["user_id"]) == ("/api/users/me", ada.id)


@pytest.mark.parametrize(("path", "route"), [("/static/", "/static/{path}"), ("/no/such/page", "unmatched")])
def test_paths_outside_the_api_are_logged_without_the_raw_path(
    client: TestClient, access: pytest.LogCaptureFixture, path: str, route: str
) -> None:
    client.get(path)

    [line] = _lines(access)
    assert line["route"] == route


def test_a_failed_statement_logged_with_its_traceback_shows_no_value_of_the_row(
    client: TestClient, app: FastAPI
) -> None:
    """SQLAlchemy would list the statement's parameters, PostgreSQL the whole failing row: either
    would put a password hash in the log."""
    secret = "$argon2id$v=19$m=65536,t=3,p=4$not-a-real-hash"
    insert = text("INSERT INTO users (username, email, password_hash) VALUES (:name, NULL, :hash)")

    async def fail() -> logging.LogRecord:
        async with app.state.engines.transactional.begin() as connection:
            try:
                await connection.execute(insert, {"name": "nobody", "hash": secret})
            except DBAPIError as error:
                return logging.LogRecord(
                    "kaira", logging.ERROR, __file__, 1, "failed: %s", (error,), sys.exc_info()
                )
        raise AssertionError("a NULL email was accepted")

    record = client.portal.call(fail)  # type: ignore[union-attr]
    record.request_id = "-"

    for formatter in (TextFormatter(TEXT_FORMAT), JsonFormatter()):
        line = formatter.format(record)
        assert "users" in line
        assert secret not in line


# --- a live server, every line searched -----------------------------------------------------------------

FIRST_PASSWORD = "first password " + secrets.token_hex(4)
SECOND_PASSWORD = "second password " + secrets.token_hex(4)
WRONG_PASSWORD = "wrong password " + secrets.token_hex(4)


@pytest.fixture
def served_url(db_url: URL, tmp_path: Path) -> Iterator[URL]:
    """A new database; on PostgreSQL its URL carries a password (the test server trusts local
    connections and ignores it, so only a log could give it away)."""
    with fresh_database(db_url, tmp_path) as url:
        if url.get_backend_name() == "postgresql" and not url.password:
            url = url.set(password="url-password-" + secrets.token_hex(4))
        yield url


def test_no_log_line_holds_a_password_token_or_hash(served_url: URL, tmp_path: Path) -> None:
    env = clean_env(database_url=plain(served_url), log_level="DEBUG", log_format="json")
    sent_ids: list[str] = []
    with kaira_serve(env, tmp_path) as server:
        server.wait_healthy(seconds=60)
        base = server.base_url

        def call(method: str, path: str, **options: Any) -> httpx2.Response:
            request_id = f"secrets-{len(sent_ids)}"
            sent_ids.append(request_id)
            headers = {**options.pop("headers", {}), "X-Request-ID": request_id}
            return httpx2.request(method, base + path, headers=headers, timeout=30, **options)

        def log_in(password: str) -> httpx2.Response:
            return call("POST", "/api/auth/token", data={"username": "ada", "password": password})

        user = {"username": "ada", "email": "ada@example.com", "password": FIRST_PASSWORD}
        ada = call("POST", "/api/users/", json=user).json()
        first_token = log_in(FIRST_PASSWORD).json()["access_token"]
        first_hash = asyncio.run(_password_hash(served_url))
        auth = bearer(first_token)
        post = call("POST", "/api/posts/", json={"title": "t", "content": "c", "tags": ["x"]}, headers=auth)
        call("PUT", f"/api/posts/{post.json()['id']}", json={"title": "u"}, headers=auth)
        call("GET", "/api/users/me", headers=auth)
        assert log_in(WRONG_PASSWORD).status_code == 401
        assert call("GET", "/api/users/me", headers=bearer(first_token + "forged")).status_code == 401
        changed = call("PUT", f"/api/users/{ada['id']}", json={"password": SECOND_PASSWORD}, headers=auth)
        assert changed.status_code == 200
        second_token = log_in(SECOND_PASSWORD).json()["access_token"]
        assert call("GET", "/api/users/me", headers=bearer(second_token)).status_code == 200
        second_hash = asyncio.run(_password_hash(served_url))
        server.stop()
        output = server.output()

    entries = [json.loads(line) for line in output.splitlines()]  # one JSON object a line
    access = [entry for entry in entries if entry["logger"] == "kaira.access"]
    assert [entry["request_id"] for entry in access if entry["request_id"].startswith("secrets-")] == sent_ids
    assert not [entry for entry in entries if entry["logger"] == "uvicorn.access"]
    assert first_hash != second_hash
    secrets_used = {
        "first password": FIRST_PASSWORD,
        "second password": SECOND_PASSWORD,
        "wrong password": WRONG_PASSWORD,
        "first token": first_token,
        "second token": second_token,
        "first token's signature": first_token.rsplit(".", 1)[1],
        "first hash": first_hash,
        "second hash": second_hash,
        "first hash's digest": first_hash.rsplit("$", 1)[1],
    }
    if served_url.password:
        secrets_used["URL password"] = str(served_url.password)
    assert [name for name, secret in secrets_used.items() if secret in output] == []


async def _password_hash(url: URL) -> str:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            query = text("SELECT password_hash FROM users WHERE username = 'ada'")
            return str((await connection.execute(query)).scalar_one())
    finally:
        await engine.dispose()
