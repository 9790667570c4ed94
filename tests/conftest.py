"""One fresh database per test run, built by the migrations; every test starts from empty tables.

`TEST_DATABASE_URL` (or `--db-url`) picks the server: SQLite by default; for PostgreSQL give any
database on the server (e.g. postgresql://postgres@127.0.0.1:5432/test) and a throwaway database
is created beside it and dropped at the end. Tests commit for real, as the service does, and the
tables are emptied after each test, so concurrency and commit failures are tested as they happen.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
from alembic.script import ScriptDirectory
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event, text
from sqlalchemy.engine import URL

from kaira import migrate
from kaira.auth.models import LoginSession
from kaira.auth.security import create_access_token, hash_password
from kaira.config import Settings, parse_database_url
from kaira.database.base import utcnow
from kaira.main import create_app
from kaira.users.models import User
from tests.helpers_pg import fresh_database

TEST_SECRET = "test-secret-key-that-is-long-enough-for-production-0123456789"
BEFORE_HEAD = (
    ScriptDirectory.from_config(migrate.alembic_config()).get_revision(migrate.head_revision()).down_revision
)
"""The revision `downgrade -1` from the head reaches."""
LOCAL_REDIS = "redis://127.0.0.1:6379/0"
"""The machine's Redis: tests that share it keep their keys under a `redis_prefix` of their own."""
PASSWORD = "correct horse battery"
PASSWORD_HASH = hash_password(PASSWORD)  # once per run: Argon2 is slow on purpose
TABLES = ("sessions", "post_tags", "tags", "posts", "users")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--db-url", default=None, help="database server to test against (default: SQLite)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if _requested_url(config).get_backend_name() == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (set TEST_DATABASE_URL)")
    for item in items:
        if "postgres_only" in item.keywords:
            item.add_marker(skip)


def _requested_url(config: pytest.Config) -> URL:
    raw = config.getoption("--db-url") or os.environ.get("TEST_DATABASE_URL") or "sqlite://"
    return parse_database_url(raw)


@pytest.fixture(scope="session")
def db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[URL]:
    """A new, empty database upgraded to the newest migration (never `create_all`)."""
    with fresh_database(_requested_url(request.config), tmp_path_factory.mktemp("db")) as url:
        asyncio.run(migrate.upgrade(url))
        yield url


@pytest.fixture
def empty_url(db_url: URL, tmp_path: Path) -> Iterator[URL]:
    """A new database with nothing in it, on the server the suite runs against."""
    with fresh_database(db_url, tmp_path) as url:
        yield url


@pytest.fixture
def current_url(empty_url: URL) -> URL:
    """A new database at the newest revision, with no rows."""
    asyncio.run(migrate.upgrade(empty_url))
    return empty_url


@pytest.fixture
def is_postgres(db_url: URL) -> bool:
    return db_url.get_backend_name() == "postgresql"


@pytest.fixture
def settings(db_url: URL, tmp_path: Path) -> Settings:
    return Settings(
        database_url=db_url.render_as_string(hide_password=False),
        secret_key=TEST_SECRET,
        environment="test",
        rate_limits=False,  # tests log in many times; the limits' own tests turn them on
    )


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return create_app(settings)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """A client with the app's lifespan running; tables are emptied after the test."""
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client
        test_client.portal.call(_empty_tables, app)  # type: ignore[union-attr]


async def _empty_tables(app: FastAPI) -> None:
    async with app.state.engines.transactional.begin() as connection:
        if connection.dialect.name == "postgresql":
            await connection.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))
        else:
            for table in TABLES:
                await connection.execute(text(f"DELETE FROM {table}"))


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A key prefix (`RATE_LIMIT_KEY_PREFIX`) of this test's own on the machine's Redis, so that runs in
    parallel never share a count; its keys are deleted afterwards."""
    prefix = f"kaira-test-{uuid.uuid4().hex[:12]}"
    yield prefix
    with redis.Redis.from_url(LOCAL_REDIS) as connection:
        keys = list(connection.scan_iter(f"{prefix}:*"))
        if keys:
            connection.delete(*keys)


@dataclass
class Account:
    id: int
    username: str
    email: str
    password: str
    token: str
    session_id: int

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


MakeUser = Callable[..., Account]
_numbers = itertools.count(1)


@pytest.fixture
def make_user(client: TestClient, app: FastAPI) -> MakeUser:
    """Create a user straight in the database (no slow hashing per user), with a log-in session,
    and sign a token for them."""

    def make(*, superuser: bool = False, active: bool = True, username: str | None = None) -> Account:
        number = next(_numbers)
        name = username or f"user{number}"
        email = f"{name}@example.com"
        user_id, session_id = client.portal.call(_insert_user, app, name, email, superuser, active)  # type: ignore[union-attr]
        token = create_access_token(user_id, session_id, secret=app.state.secret_key, expires_minutes=30)
        return Account(
            id=user_id, username=name, email=email, password=PASSWORD, token=token, session_id=session_id
        )

    return make


async def _insert_user(
    app: FastAPI, username: str, email: str, superuser: bool, active: bool
) -> tuple[int, int]:
    async with app.state.sessionmaker() as session, session.begin():
        user = User(
            username=username,
            email=email,
            password_hash=PASSWORD_HASH,
            is_superuser=superuser,
            is_active=active,
        )
        session.add(user)
        await session.flush()
        login = LoginSession(
            user_id=user.id, expires_at=utcnow() + timedelta(days=1), refresh_token_hash="0" * 64
        )
        session.add(login)
        await session.flush()
        return user.id, login.id


@pytest.fixture
def count_statements(app: FastAPI) -> Callable[[], Any]:
    """`with count_statements() as statements:` → the SQL the service ran inside the block."""

    @contextmanager
    def counting() -> Iterator[list[str]]:
        statements: list[str] = []

        def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            statements.append(statement)

        both = app.state.engines
        engines = [both.transactional.sync_engine]
        if both.separate_pools:  # PostgreSQL: a second pool, in AUTOCOMMIT
            engines.append(both.autocommit.sync_engine)
        if both.in_process is not None:  # SQLite: reads in process
            engines += [both.in_process.reader.engine, both.in_process.writer.transactions]
            engines.append(both.in_process.waiting_writer.transactions)
        for engine in engines:
            event.listen(engine, "before_cursor_execute", record)
        try:
            yield statements
        finally:
            for engine in engines:
                event.remove(engine, "before_cursor_execute", record)

    return counting


POST = {"title": "Hello", "content": "First words", "is_published": True}


@pytest.fixture
def make_post(client: TestClient) -> Callable[..., dict[str, Any]]:
    """Create a post through the API as `author`, returning its JSON."""

    def make(author: Account, **fields: Any) -> dict[str, Any]:
        response = client.post("/api/posts/", json={**POST, **fields}, headers=author.headers)
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    return make
