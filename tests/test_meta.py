"""The pages around the API: its version, its health, its documentation, the web page, CORS."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Iterator
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import URL

import kaira
from kaira import migrate
from kaira.config import Settings, parse_database_url
from kaira.main import create_app

STATIC = Path(kaira.__file__).parent / "static"
ALLOWED = "https://app.example"


def test_the_suite_runs_on_the_requested_database(client: TestClient, db_url: URL) -> None:
    """CI relies on this test to prove the PostgreSQL run really talked to PostgreSQL."""
    requested = os.environ.get("TEST_DATABASE_URL") or "sqlite://"
    engine = client.app.state.engines.transactional  # type: ignore[attr-defined]

    assert (
        engine.dialect.name == parse_database_url(requested).get_backend_name() == db_url.get_backend_name()
    )
    assert client.get("/health").json() == {"status": "healthy", "database": "ok"}


def test_root_names_the_service_and_its_installed_version(client: TestClient) -> None:
    response = client.get("/")

    assert response.status_code == 200
    assert response.json() == {
        "message": response.json()["message"],
        "version": version("kaira"),
        "docs": "/docs",
    }
    assert response.json()["message"]


def test_health_asks_the_database(client: TestClient, count_statements: Callable[[], Any]) -> None:
    with count_statements() as statements:
        response = client.get("/health")

    assert response.status_code == 200
    assert response.json() == {"status": "healthy", "database": "ok"}
    assert any("SELECT 1" in statement for statement in statements)


def _app(database_url: str) -> FastAPI:
    return create_app(Settings(database_url=database_url, secret_key="k" * 40, environment="test"))


def test_health_reports_an_unreachable_database(tmp_path: Path) -> None:
    """SQLite cannot open a file in a directory that does not exist: as good as a database that is down."""
    url = f"sqlite:///{tmp_path / 'missing' / 'kaira.db'}"
    app = _app(url)

    with TestClient(app, raise_server_exceptions=False) as client:
        health = client.get("/health")
        listing = client.get("/api/users/")

    assert health.status_code == 503
    assert health.json() == {"status": "unhealthy", "database": "OperationalError"}
    assert (listing.status_code, listing.json()) == (503, {"detail": "Database unavailable"})


def test_sqlite_reads_are_answered_once_the_database_can_be_opened_without_a_restart(tmp_path: Path) -> None:
    """SQLite's reads keep one connection open (`HeldConnection`): it is opened at the first read
    that can open it, and a read that fails on it leaves it usable for the next."""
    folder = tmp_path / "later"
    url = f"sqlite:///{folder / 'kaira.db'}"
    app = _app(url)

    with TestClient(app, raise_server_exceptions=False) as client:
        unopenable = client.get("/api/users/")
        folder.mkdir()
        without_tables = client.get("/api/users/")
        asyncio.run(migrate.upgrade(parse_database_url(url)))
        migrated = client.get("/api/users/")

    assert (unopenable.status_code, unopenable.json()) == (503, {"detail": "Database unavailable"})
    assert (without_tables.status_code, without_tables.json()) == (503, {"detail": "Database unavailable"})
    assert (migrated.status_code, migrated.json()) == (200, [])


def test_a_sqlite_read_connection_that_broke_is_replaced_by_the_next_read(tmp_path: Path) -> None:
    """A connection SQLAlchemy finds unusable (here: closed under it) is invalidated by the read that
    meets it, a 503; the next read connects anew rather than failing until a restart."""
    url = f"sqlite:///{tmp_path / 'kaira.db'}"
    asyncio.run(migrate.upgrade(parse_database_url(url)))
    app = _app(url)

    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/api/users/").status_code == 200
        reader = app.state.engines.in_process.reader
        reader._connection.connection.dbapi_connection.close()
        broken = client.get("/api/users/")
        replaced = client.get("/api/users/")

    assert (broken.status_code, broken.json()) == (503, {"detail": "Database unavailable"})
    assert (replaced.status_code, replaced.json()) == (200, [])


def test_the_documentation_is_served(client: TestClient) -> None:
    docs = client.get("/docs")
    schema = client.get("/openapi.json")

    assert docs.status_code == 200
    assert "swagger" in docs.text.lower()
    assert schema.status_code == 200
    assert schema.json()["info"]["version"] == version("kaira")
    assert {"/api/users/", "/api/posts/", "/api/auth/token", "/health"} <= set(schema.json()["paths"])


def test_the_web_page_is_served_at_static(client: TestClient) -> None:
    response = client.get("/static/")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.content == (STATIC / "index.html").read_bytes()


@pytest.fixture
def cors_client(settings: Settings) -> Iterator[TestClient]:
    app = create_app(settings.model_copy(update={"cors_origins": [ALLOWED]}))
    with TestClient(app) as client:
        yield client


def test_an_allowed_origin_may_call_the_api_with_credentials(cors_client: TestClient) -> None:
    response = cors_client.get("/api/users/", headers={"Origin": ALLOWED})

    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    assert "X-Request-ID" in response.headers["Access-Control-Expose-Headers"]


def test_an_allowed_origin_passes_the_preflight(cors_client: TestClient) -> None:
    response = cors_client.options(
        "/api/posts/",
        headers={
            "Origin": ALLOWED,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )

    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED


def test_another_origin_gets_no_cors_headers(cors_client: TestClient) -> None:
    simple = cors_client.get("/api/users/", headers={"Origin": "https://evil.example"})
    preflight = cors_client.options(
        "/api/posts/", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
    )

    assert simple.status_code == 200
    assert "Access-Control-Allow-Origin" not in simple.headers
    assert preflight.status_code == 400
    assert "Access-Control-Allow-Origin" not in preflight.headers


def test_without_cors_origins_no_origin_is_allowed(client: TestClient) -> None:
    response = client.get("/api/users/", headers={"Origin": ALLOWED})

    assert "Access-Control-Allow-Origin" not in response.headers
