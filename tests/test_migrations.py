"""The schema comes from the migrations: they agree with the models, go down and up again, keep rows,
work through `alembic` itself, and take over a database the original tutorial made."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import warnings
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from fastapi.testclient import TestClient
from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    event,
    insert,
    literal,
    select,
    text,
)
from sqlalchemy.engine import URL, Connection
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.orm import DeclarativeBase, relationship
from typer.testing import CliRunner

from kaira import migrate
from kaira.auth.security import create_access_token
from kaira.cli import app as cli
from kaira.config import Settings, get_settings, parse_database_url
from kaira.database.base import UTCDateTime
from kaira.database.engines import make_engine
from kaira.main import create_app
from kaira.models import Base, LoginSession, Post, Tag, User, post_tags
from tests.conftest import BEFORE_HEAD, TEST_SECRET
from tests.helpers_pg import REPO_ROOT, clean_env, fresh_database, plain

HEAD = migrate.head_revision()
TUTORIAL = migrate.TUTORIAL_REVISION
WRITTEN = datetime(2024, 1, 2, 3, 4, 5)  # what the tutorial's datetime.utcnow() stored: naive UTC


@pytest.fixture
def empty_url(db_url: URL, tmp_path: Path) -> Iterator[URL]:
    """Another database on the suite's server (never the shared one): migrations may wreck it."""
    with fresh_database(db_url, tmp_path) as url:
        yield url


async def _on(url: URL, work: Any) -> Any:
    engine = make_engine(url, for_migrations=True)
    try:
        async with engine.begin() as connection:
            return await connection.run_sync(work)
    finally:
        await engine.dispose()


def _differences(connection: Connection) -> list[Any]:
    """What autogenerate would write: nothing, when the models and the migrations agree."""
    with warnings.catch_warnings():
        # SQLite cannot reflect the expression index lower(email); Alembic skips it on both sides.
        warnings.filterwarnings("ignore", message=".*expression-based index")
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "compare_server_default": True,
                "include_object": migrate.include_in_comparison,
            },
        )
        return list(compare_metadata(context, Base.metadata))


def _tables(connection: Connection) -> set[str]:
    from sqlalchemy import inspect

    return set(inspect(connection).get_table_names())


def test_the_models_and_the_migrations_agree(db_url: URL) -> None:
    assert asyncio.run(_on(db_url, _differences)) == []


def test_the_comparison_would_see_a_difference(empty_url: URL) -> None:
    """The check above is not vacuous: a schema one migration behind does not pass it."""
    asyncio.run(migrate.upgrade(empty_url, TUTORIAL))

    differences = asyncio.run(_on(empty_url, _differences))

    assert {"add_table"} <= {difference[0] for difference in differences if isinstance(difference, tuple)}


def test_emails_are_unique_whatever_their_case_in_the_migrated_schema(db_url: URL) -> None:
    """The one index autogenerate cannot compare on SQLite is checked by what it does."""

    def insert_twice(connection: Connection) -> None:
        row = {"username": "x", "password_hash": "h", "created_at": datetime.now(UTC)}
        connection.execute(insert(User), [{**row, "email": "Same@Example.com"}])
        connection.execute(insert(User), [{**row, "username": "y", "email": "same@example.COM"}])

    with pytest.raises(IntegrityError):
        asyncio.run(_on(db_url, insert_twice))


async def _rolled_back(url: URL, work: Any) -> Any:
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            try:
                return await connection.run_sync(work)
            finally:
                await connection.rollback()
    finally:
        await engine.dispose()


def test_timestamps_come_back_as_the_same_instant_in_utc(db_url: URL) -> None:
    written = datetime(2025, 1, 1, 9, 30, tzinfo=timezone(timedelta(hours=9)))  # Seoul

    def round_trip(connection: Connection) -> Any:
        row = {"username": "ada", "email": "ada@example.com", "password_hash": "h"}
        connection.execute(insert(User), [{**row, "created_at": written, "updated_at": written}])
        return connection.execute(select(User.created_at)).scalar_one()

    read = asyncio.run(_rolled_back(db_url, round_trip))

    assert read == written
    assert read.utcoffset() == timedelta(0)
    assert read.hour == 0


def test_a_null_timestamp_stays_null(db_url: URL) -> None:
    read = asyncio.run(_rolled_back(db_url, lambda c: c.execute(select(literal(None, UTCDateTime))).scalar()))

    assert read is None


def test_a_naive_timestamp_is_refused_not_guessed(db_url: URL) -> None:
    def write_naive(connection: Connection) -> None:
        row = {"username": "ada", "email": "ada@example.com", "password_hash": "h", "created_at": WRITTEN}
        connection.execute(insert(User), [row])

    with pytest.raises(StatementError, match="naive datetimes are ambiguous"):
        asyncio.run(_rolled_back(db_url, write_naive))


def test_upgrade_downgrade_to_base_and_upgrade_again(empty_url: URL) -> None:
    asyncio.run(migrate.upgrade(empty_url))
    at_head = asyncio.run(_on(empty_url, _tables))
    asyncio.run(migrate.downgrade(empty_url, "base"))
    at_base = asyncio.run(_on(empty_url, _tables))
    asyncio.run(migrate.upgrade(empty_url))

    kept_by_sqlite = {"post_search"} if empty_url.get_backend_name() == "sqlite" else set()
    assert at_head == {"alembic_version", "users", "posts", "tags", "post_tags", "sessions", *kept_by_sqlite}
    assert at_base == {"alembic_version"}
    assert asyncio.run(migrate.current_revision(empty_url)) == HEAD
    assert asyncio.run(_on(empty_url, _differences)) == []


def test_a_downgrade_and_upgrade_keep_users_and_posts(empty_url: URL) -> None:
    created = datetime(2025, 6, 7, 8, 9, 10, tzinfo=UTC)
    asyncio.run(migrate.upgrade(empty_url))

    def fill(connection: Connection) -> None:
        connection.execute(
            insert(User),
            [{"username": "ada", "email": "ada@example.com", "password_hash": "h", "created_at": created,
              "updated_at": created}],
        )  # fmt: skip
        connection.execute(
            insert(Post), [{"title": "t", "content": "c", "author_id": 1, "created_at": created}]
        )
        connection.execute(insert(Tag), [{"name": "kept-until-downgrade"}])
        connection.execute(insert(post_tags), [{"post_id": 1, "tag_id": 1}])

    asyncio.run(_on(empty_url, fill))
    asyncio.run(migrate.downgrade(empty_url, TUTORIAL))
    naive = asyncio.run(
        _on(
            empty_url,
            lambda c: c.execute(text("SELECT created_at FROM users").columns(created_at=DateTime)).scalar(),
        )
    )
    asyncio.run(migrate.upgrade(empty_url))
    user = asyncio.run(_on(empty_url, lambda c: c.execute(select(User.email, User.created_at)).one()))
    post = asyncio.run(_on(empty_url, lambda c: c.execute(select(Post.title, Post.created_at)).one()))

    assert naive == created.replace(tzinfo=None)  # the tutorial's schema keeps naive UTC
    assert tuple(user) == ("ada@example.com", created)
    assert tuple(post) == ("t", created)


def test_posts_written_before_the_search_copy_are_found_in_any_case_after_the_upgrade(
    empty_url: URL,
) -> None:
    """On SQLite, 0005 folds the posts already there (with Python's `lower()`, not SQLite's ASCII one)."""
    asyncio.run(migrate.upgrade(empty_url, "0004"))
    user = {"username": "ada", "email": "ada@example.com", "password_hash": "h"}
    post = {"title": "Привет", "content": "ÄRGER", "author_id": 1, "is_published": True}
    asyncio.run(_on(empty_url, lambda c: (c.execute(insert(User), [user]), c.execute(insert(Post), [post]))))

    asyncio.run(migrate.upgrade(empty_url))

    settings = Settings(database_url=plain(empty_url), secret_key=TEST_SECRET, environment="test")
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        found = client.get("/api/posts/?q=ПРИВЕТ%20ärger")
        missing = client.get("/api/posts/?q=привет%20other")
    assert [post["title"] for post in found.json()] == ["Привет"]
    assert missing.json() == []


def test_on_sqlite_anonymous_lists_and_searches_walk_the_published_posts_index(tmp_path: Path) -> None:
    """0006: the statements a request sends choose their posts through the partial index of published
    posts; under 0005's `WHERE is_published` none did (SQLite matches the condition term for term).
    On SQLite in every run: PostgreSQL matches a partial index's condition by meaning, not by its words."""
    path = tmp_path / "kaira.db"
    url = parse_database_url(f"sqlite:///{path}")

    def plans_at(revision: str) -> list[str]:
        asyncio.run(migrate.upgrade(url, revision))
        app = create_app(Settings(database_url=plain(url), secret_key=TEST_SECRET, environment="test"))
        sent: list[tuple[str, Any]] = []

        def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
            sent.append((statement, parameters))

        with TestClient(app) as client:
            reader = app.state.engines.in_process.reader.engine
            event.listen(reader, "before_cursor_execute", record)
            try:
                assert client.get("/api/posts/?limit=20").status_code == 200
                assert client.get("/api/posts/published").status_code == 200
                assert client.get("/api/posts/?q=nowhere").status_code == 200
            finally:
                event.remove(reader, "before_cursor_execute", record)
        with closing(sqlite3.connect(path)) as conn:
            return [
                " / ".join(row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {statement}", parameters))
                for statement, parameters in sent
            ]

    before = plans_at("0005")
    after = plans_at(HEAD)

    assert len(after) == 3
    assert all("USING INDEX ix_posts_published_created_at_id" in plan for plan in after), after
    assert not any("ix_posts_published_created_at_id" in plan for plan in before), before


# --- alembic itself, from the repository root --------------------------------------------------------


def _alembic(*args: str, url: URL) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(REPO_ROOT / ".venv" / "bin" / "alembic"), *args],
        cwd=REPO_ROOT,
        env=clean_env(database_url=plain(url)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(process: subprocess.Popen[str]) -> subprocess.CompletedProcess[str]:
    stdout, stderr = process.communicate(timeout=120)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def test_alembic_works_from_the_repository_root(empty_url: URL) -> None:
    reading_history = _alembic("history", url=empty_url)  # needs no database: runs alongside
    upgrade = _finish(_alembic("upgrade", "head", url=empty_url))
    at_head = asyncio.run(migrate.current_revision(empty_url))
    downgrade = _finish(_alembic("downgrade", "-1", url=empty_url))
    history = _finish(reading_history)

    assert upgrade.returncode == 0, upgrade.stderr
    assert at_head == HEAD
    assert downgrade.returncode == 0, downgrade.stderr
    assert asyncio.run(migrate.current_revision(empty_url)) == BEFORE_HEAD
    assert history.returncode == 0, history.stderr
    assert f"{BEFORE_HEAD} -> {HEAD} (head)" in history.stdout


# --- adopting the original tutorial's database -----------------------------------------------------------


class TutorialBase(DeclarativeBase):
    pass


class TutorialUser(TutorialBase):
    """The original tutorial's model, as it was (its `create_all` made the tables)."""

    __tablename__ = "users"

    id = Column(Integer, primary_key=True, index=True)
    username = Column(String(50), unique=True, index=True, nullable=False)
    email = Column(String(100), unique=True, index=True, nullable=False)
    password_hash = Column(String(255), nullable=False)
    full_name = Column(String(100))
    is_active = Column(Boolean, default=True)
    created_at = Column(DateTime, default=datetime.utcnow, nullable=False)
    updated_at = Column(DateTime, default=datetime.utcnow, onupdate=datetime.utcnow)

    posts = relationship("TutorialPost", back_populates="author", cascade="all, delete-orphan")


class TutorialPost(TutorialBase):
    __tablename__ = "posts"

    id = Column(Integer, primary_key=True, index=True)
    title = Column(String(200), nullable=False, index=True)
    content = Column(Text, nullable=False)
    author_id = Column(Integer, ForeignKey("users.id"), nullable=False)
    is_published = Column(Boolean, default=False)
    created_at = Column(DateTime, default=datetime.utcnow, nullable=False)
    updated_at = Column(DateTime, default=datetime.utcnow, onupdate=datetime.utcnow)

    author = relationship("TutorialUser", back_populates="posts")


TUTORIAL_USERS = [
    # The tutorial allowed any username and kept the email's case; NULL flags and times are possible
    # because its columns were nullable and filled only by the ORM.
    {"id": 1, "username": "ada", "email": "ada@example.com", "password_hash": "plain-text-1",
     "full_name": "Ada", "is_active": True, "created_at": WRITTEN, "updated_at": WRITTEN},
    {"id": 2, "username": "Bob Smith", "email": "Bob@Example.com", "password_hash": "plain-text-2",
     "full_name": None, "is_active": None, "created_at": WRITTEN, "updated_at": None},
    {"id": 3, "username": "carol", "email": "carol@example.com", "password_hash": "plain-text-3",
     "full_name": "Carol", "is_active": False, "created_at": WRITTEN, "updated_at": WRITTEN},
]  # fmt: skip
TUTORIAL_POSTS = [
    {"id": 1, "title": "Ada's first", "content": "hello", "author_id": 1, "is_published": True,
     "created_at": WRITTEN, "updated_at": WRITTEN},
    {"id": 2, "title": "Ada's draft", "content": "wip", "author_id": 1, "is_published": None,
     "created_at": WRITTEN, "updated_at": None},
    {"id": 3, "title": "Bob's", "content": "안녕하세요", "author_id": 2, "is_published": True,
     "created_at": datetime(2024, 2, 3, 4, 5, 6), "updated_at": None},
]  # fmt: skip


async def _build_tutorial_database(url: URL) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(TutorialBase.metadata.create_all)
            await connection.execute(insert(TutorialUser), TUTORIAL_USERS)
            await connection.execute(insert(TutorialPost), TUTORIAL_POSTS)
            for table in (
                "users",
                "posts",
            ):  # explicit ids leave the sequences behind, as a restore would not
                await connection.execute(
                    text(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))")
                )
    finally:
        await engine.dispose()


def _adopt(url: URL) -> Any:
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(
            cli, ["db", "adopt"], env={"DATABASE_URL": plain(url), "SECRET_KEY": TEST_SECRET}
        )
    finally:
        get_settings.cache_clear()


def _as(url: URL, user_id: int) -> dict[str, str]:
    """A token of a session made for the user in the database (the tutorial's passwords never match)."""
    session = {
        "user_id": user_id,
        "expires_at": datetime.now(UTC) + timedelta(days=1),
        "refresh_token_hash": "0" * 64,
        "generation": 0,
    }
    statement = insert(LoginSession).values(**session).returning(LoginSession.id)
    session_id = asyncio.run(_on(url, lambda c: c.execute(statement).scalar_one()))
    token = create_access_token(user_id, session_id, secret=TEST_SECRET, expires_minutes=5)
    return {"Authorization": f"Bearer {token}"}


def _utc(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    assert parsed.utcoffset() is not None, value
    return parsed.astimezone(UTC)


@pytest.mark.postgres_only
def test_a_tutorial_database_is_adopted_without_losing_a_row(empty_url: URL) -> None:
    asyncio.run(_build_tutorial_database(empty_url))

    result = _adopt(empty_url)

    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"Adopted: schema at {HEAD}"
    assert asyncio.run(_on(empty_url, _differences)) == []
    settings = Settings(database_url=plain(empty_url), secret_key=TEST_SECRET, environment="test")
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        users = client.get("/api/users/?limit=100").json()
        bob = client.get("/api/users/me", headers=_as(empty_url, 2)).json()
        published = client.get("/api/posts/").json()
        ada_posts = client.get("/api/posts/?author_id=1", headers=_as(empty_url, 1)).json()
        old_password = client.post("/api/auth/token", data={"username": "ada", "password": "plain-text-1"})
        newcomer = client.post(
            "/api/users/", json={"username": "dan", "email": "dan@example.com", "password": "long enough"}
        )
        deleted = client.delete("/api/users/1", headers=_as(empty_url, 1))
        left = asyncio.run(
            _on(empty_url, lambda c: c.execute(select(Post.id).order_by(Post.id)).scalars().all())
        )

    assert [(user["id"], user["username"], user["is_active"]) for user in users] == [
        (1, "ada", True), (2, "Bob Smith", True), (3, "carol", False),
    ]  # fmt: skip
    assert all(_utc(user["created_at"]) == WRITTEN.replace(tzinfo=UTC) for user in users)
    assert _utc(bob["updated_at"]) == WRITTEN.replace(tzinfo=UTC)  # NULL became the creation time
    assert bob["email"] == "bob@example.com"  # folded to the one spelling the unique index knows
    assert [(post["title"], post["author"]["username"]) for post in published] == [
        ("Bob's", "Bob Smith"), ("Ada's first", "ada"),
    ]  # fmt: skip
    assert _utc(published[0]["created_at"]) == datetime(2024, 2, 3, 4, 5, 6, tzinfo=UTC)
    assert {post["title"]: post["is_published"] for post in ada_posts} == {
        "Ada's first": True,
        "Ada's draft": False,
    }
    assert old_password.status_code == 401  # plain text never matches; the account is not broken either
    assert newcomer.status_code == 201
    assert newcomer.json()["id"] == 4  # the id sequence continues after the adopted rows
    assert deleted.status_code == 204
    assert left == [3]  # Ada's posts went with her, by the database's ON DELETE CASCADE


def _assert_refused(url: URL, expected: str) -> None:
    before = asyncio.run(migrate.current_revision(url))

    result = _adopt(url)

    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)
    assert result.stderr.startswith("error: ")
    assert result.stderr.count("\n") == 1
    assert expected in result.stderr
    assert asyncio.run(migrate.current_revision(url)) == before  # nothing was stamped


def test_adopting_a_database_already_under_migrations_is_refused(empty_url: URL) -> None:
    asyncio.run(migrate.upgrade(empty_url))

    _assert_refused(
        empty_url, f"already under migrations (at {HEAD}): nothing to adopt; run `kaira db upgrade`"
    )


def test_adopting_a_database_without_the_tutorials_tables_is_refused(empty_url: URL) -> None:
    _assert_refused(empty_url, "without the tutorial's tables users and posts")
    assert asyncio.run(_on(empty_url, _tables)) == set()


@pytest.mark.postgres_only
def test_adopting_accounts_whose_emails_differ_only_in_case_is_refused(empty_url: URL) -> None:
    asyncio.run(_build_tutorial_database(empty_url))
    twin = {**TUTORIAL_USERS[0], "id": 9, "username": "ADA", "email": "ADA@example.com"}
    asyncio.run(_on(empty_url, lambda c: c.execute(insert(TutorialUser), [twin])))

    _assert_refused(empty_url, "merge the accounts that share ada@example.com, then adopt again")
    assert asyncio.run(_on(empty_url, _tables)) == {"users", "posts"}  # the tutorial's schema, untouched


@pytest.mark.postgres_only
def test_on_postgresql_search_gets_trigram_indexes_and_loses_them_on_downgrade(empty_url: URL) -> None:
    def search_indexes(connection: Connection) -> set[str]:
        rows = connection.execute(text("SELECT indexname FROM pg_indexes WHERE tablename = 'posts'"))
        return {name for (name,) in rows} & migrate.SEARCH_INDEXES

    asyncio.run(migrate.upgrade(empty_url))
    at_head = asyncio.run(_on(empty_url, search_indexes))
    asyncio.run(migrate.downgrade(empty_url, "0002"))  # the revision before the search indexes
    before = asyncio.run(_on(empty_url, search_indexes))

    assert at_head == {"ix_posts_title_trgm", "ix_posts_content_trgm"}
    assert before == set()
