"""The `kaira` command as its users meet it: schema commands, accounts, demo data, `serve`, and its errors.

Most commands run in process through Typer's runner (fast, and measured by coverage); `serve` and the
one-line failures also run as the installed console script, because that is where a traceback or an
unfinished start-up would show.
"""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import subprocess
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path

import asyncpg
import httpx2
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import URL
from typer.testing import CliRunner, Result

from kaira import migrate
from kaira.cli import app as cli
from kaira.config import Settings, get_settings, parse_database_url
from kaira.main import create_app
from kaira.troubleshoot import explain
from tests.conftest import BEFORE_HEAD, TEST_SECRET
from tests.helpers_pg import KAIRA, clean_env, kaira_serve, plain

SECRET = "s3cretpw"  # a password in URLs that must never be printed
HEAD = migrate.head_revision()


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No Kaira variable from the caller's shell, no `.env`, and settings read afresh by every command."""
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def kaira(*args: str, url: URL | str, stdin: str | None = None, **env: str) -> Result:
    get_settings.cache_clear()
    variables = {"DATABASE_URL": url if isinstance(url, str) else plain(url)}
    variables.update({name.upper(): value for name, value in env.items()})
    return CliRunner().invoke(cli, list(args), input=stdin, env=variables)


def api(url: URL) -> TestClient:
    settings = Settings(database_url=plain(url), secret_key=TEST_SECRET, environment="test")
    return TestClient(create_app(settings), raise_server_exceptions=False)


def login(client: TestClient, username: str, password: str) -> dict[str, str]:
    response = client.post("/api/auth/token", data={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


# --- the schema ------------------------------------------------------------------------------------------


def test_db_commands_take_the_schema_up_and_down(empty_url: URL) -> None:
    before = kaira("db", "current", url=empty_url)
    upgraded = kaira("db", "upgrade", url=empty_url)
    at_head = kaira("db", "current", url=empty_url)
    downgraded = kaira("db", "downgrade", "-1", url=empty_url)
    behind = kaira("db", "current", url=empty_url)
    again = kaira("db", "upgrade", url=empty_url)

    assert [result.exit_code for result in (before, upgraded, at_head, downgraded, behind, again)] == [0] * 6
    assert before.stdout.startswith("base (empty) (behind: run `kaira db upgrade`")
    assert upgraded.stdout.strip() == f"Schema at {HEAD}"
    assert at_head.stdout.strip() == f"{HEAD} (up to date)"
    assert downgraded.stdout.strip() == f"Schema at {BEFORE_HEAD}"
    assert behind.stdout.strip() == f"{BEFORE_HEAD} (behind: run `kaira db upgrade` to reach {HEAD})"
    assert asyncio.run(migrate.current_revision(empty_url)) == HEAD


def test_db_downgrade_to_base_empties_the_database(current_url: URL) -> None:
    result = kaira("db", "downgrade", "base", url=current_url)

    assert result.exit_code == 0
    assert result.stdout.strip() == "Schema at base (empty)"
    assert asyncio.run(migrate.current_revision(current_url)) is None


def test_db_history_lists_the_migrations_without_a_database() -> None:
    result = kaira("db", "history", url=f"postgresql://u:{SECRET}@127.0.0.1:1/nowhere")

    assert result.exit_code == 0
    assert f"{BEFORE_HEAD} -> {HEAD} (head)" in result.stdout
    assert f"<base> -> {migrate.TUTORIAL_REVISION}" in result.stdout


# --- accounts --------------------------------------------------------------------------------------------


def test_users_create_makes_accounts_that_can_log_in(current_url: URL) -> None:
    ada = kaira(
        "users", "create", "--username", "ada", "--email", "Ada@Example.com", "--full-name", "Ada L",
        "--password-stdin", url=current_url, stdin="ada's long password\n",
    )  # fmt: skip
    root = kaira(
        "users", "create", "--username", "root", "--email", "root@example.com", "--superuser",
        "--password-stdin", url=current_url, stdin="root's long password\n",
    )  # fmt: skip

    assert (ada.exit_code, root.exit_code) == (0, 0)
    assert ada.stdout.startswith("Created user 'ada' with id ")
    assert root.stdout.startswith("Created superuser 'root' with id ")
    ada_id = int(ada.stdout.split()[-1])
    root_id = int(root.stdout.split()[-1])
    with api(current_url) as client:
        as_ada = login(client, "ada", "ada's long password")
        as_root = login(client, "root@example.com", "root's long password")
        assert client.get("/api/users/me", headers=as_ada).json()["email"] == "ada@example.com"
        assert client.get("/api/users/me", headers=as_ada).json()["full_name"] == "Ada L"
        # Only a superuser sees another user's email, or may change their account.
        assert client.get(f"/api/users/{ada_id}", headers=as_root).json()["email"] == "ada@example.com"
        assert "email" not in client.get(f"/api/users/{root_id}", headers=as_ada).json()
        assert client.put(f"/api/users/{ada_id}", json={"full_name": "A"}, headers=as_root).status_code == 200
        assert client.put(f"/api/users/{root_id}", json={"full_name": "R"}, headers=as_ada).status_code == 403


def test_users_create_asks_for_the_password_twice_without_echo(current_url: URL) -> None:
    result = kaira(
        "users", "create", "--username", "bob", "--email", "bob@example.com",
        url=current_url, stdin="bob's long password\nbob's long password\n",
    )  # fmt: skip

    assert result.exit_code == 0
    assert "bob's long password" not in result.output
    with api(current_url) as client:
        login(client, "bob", "bob's long password")


def test_users_create_refuses_a_duplicate_in_one_line(current_url: URL) -> None:
    first = kaira(
        "users", "create", "--username", "ada", "--email", "ada@example.com", "--password-stdin",
        url=current_url, stdin="long enough\n",
    )  # fmt: skip
    again = kaira(
        "users", "create", "--username", "ada2", "--email", "ADA@example.com", "--password-stdin",
        url=current_url, stdin="long enough\n",
    )  # fmt: skip

    assert first.exit_code == 0
    assert again.exit_code == 1
    assert again.stderr == "error: Email already registered\n"


def test_users_create_refuses_a_weak_password_in_one_line(current_url: URL) -> None:
    result = kaira(
        "users", "create", "--username", "ada", "--email", "ada@example.com", "--password-stdin",
        url=current_url, stdin="short\n",
    )  # fmt: skip

    assert result.exit_code == 1
    assert result.stderr.startswith("error: password: ")
    assert "at least 8 characters" in result.stderr
    assert result.stderr.count("\n") == 1


# --- demo data -------------------------------------------------------------------------------------------


def test_seed_makes_demo_data_the_api_serves(current_url: URL) -> None:
    result = kaira("seed", "--users", "3", "--posts", "10", url=current_url)
    root = kaira(
        "users", "create", "--username", "root", "--email", "root@example.com", "--superuser",
        "--password-stdin", url=current_url, stdin="root's long password\n",
    )  # fmt: skip

    assert (result.exit_code, root.exit_code) == (0, 0)
    assert result.stdout.startswith("Seeded 3 users and 10 posts")
    with api(current_url) as client:
        as_root = login(client, "root", "root's long password")
        posts = client.get("/api/posts/?limit=100", headers=as_root).json()
        users = client.get("/api/users/?limit=100").json()
        published = client.get("/api/posts/published?limit=100").json()
        demo = client.get(
            "/api/users/me", headers=login(client, users[0]["username"], "demo-password")
        ).json()
    assert len(posts) == 10
    demo_ids = {user["id"] for user in users if user["username"] != "root"}
    assert len(demo_ids) == 3
    assert {post["author"]["id"] for post in posts} <= demo_ids
    assert all(post["tags"] for post in posts)
    assert published == [post for post in posts if post["is_published"]]
    assert demo["username"] == users[0]["username"]


# --- start-up failures: one line naming the problem and the fix ------------------------------------------

FAILURES = {
    "postgresql not running": (
        f"postgresql://kaira:{SECRET}@127.0.0.1:1/kaira",
        {},
        ["db", "current"],
        "DATABASE_URL: cannot connect to PostgreSQL at 127.0.0.1:1: is it running?",
    ),
    "malformed url": (
        f"postgresql//kaira:{SECRET}@localhost/kaira",
        {},
        ["db", "upgrade"],
        "malformed: expected",
    ),
    "bad port": (f"postgresql://kaira:{SECRET}@localhost:5o32/kaira", {}, ["db", "upgrade"], "invalid port"),
    "unknown scheme": (
        f"mysql://kaira:{SECRET}@localhost/kaira",
        {},
        ["db", "current"],
        "unsupported scheme 'mysql': use sqlite:/// or postgresql://",
    ),
    "production without a secret key": (
        "sqlite:///kaira.db",
        {"ENVIRONMENT": "production"},
        ["db", "upgrade"],
        "SECRET_KEY is not set: with ENVIRONMENT=production",
    ),
    "sqlite directory missing": (
        "sqlite:///missing/kaira.db",
        {"SECRET_KEY": "k" * 40},
        ["db", "upgrade"],
        "cannot open the SQLite file 'missing/kaira.db': does its directory exist",
    ),
}


def _assert_one_clear_line(result: Result | subprocess.CompletedProcess[str], expected: str) -> None:
    output = result.stdout + result.stderr
    assert result.stderr.startswith("error: ")
    assert expected in result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in output
    assert SECRET not in output


@pytest.mark.parametrize("case", FAILURES)
@pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning")  # a thread's traceback
def test_a_start_up_failure_is_one_line_and_exit_1(case: str) -> None:
    url, env, args, expected = FAILURES[case]

    result = kaira(*args, url=url, **env)

    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)  # a clean exit, not an escaped exception
    _assert_one_clear_line(result, expected)


def _wrapped(error: BaseException) -> BaseException:
    """As the driver's error reaches the command: inside SQLAlchemy's own."""
    outer = RuntimeError("(sqlalchemy.dialects.postgresql.asyncpg.Error) wrapped")
    outer.__cause__ = error
    return outer


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (socket.gaierror(-2, "Name or service not known"), "DATABASE_URL: the host 'db.example' is unknown"),
        (
            asyncpg.exceptions.InvalidPasswordError("password authentication failed for user kaira"),
            "DATABASE_URL: PostgreSQL at db.example:5432 refused the user name or password",
        ),
        (asyncpg.exceptions.CannotConnectNowError("the database system is starting up"), "is it running?"),
        (
            asyncpg.exceptions.UndefinedTableError('relation "users" does not exist'),
            "The database schema is missing or old: run `kaira db upgrade`",
        ),
        (ValueError("a bug, not a set-up problem"), None),
    ],
)
def test_the_usual_connection_problems_are_explained(error: BaseException, expected: str | None) -> None:
    """Those a test cannot stage: a name the resolver does not know, a server that wants a password."""
    url = parse_database_url(f"postgresql://kaira:{SECRET}@db.example/kaira")

    message = explain(_wrapped(error), url) or ""

    assert expected in message if expected else message == ""
    assert SECRET not in message


@pytest.mark.postgres_only
def test_a_missing_postgresql_database_is_one_line(db_url: URL) -> None:
    url = db_url.set(database="kaira_no_such_database", password=SECRET)

    result = kaira("db", "upgrade", url=url)

    assert result.exit_code == 1
    _assert_one_clear_line(result, "names database 'kaira_no_such_database', which does not exist on")
    assert "createdb kaira_no_such_database" in result.stderr


@pytest.mark.parametrize("command", [["users", "create", "--username", "ada", "--email", "a@b.co"], ["seed"]])
def test_a_database_without_the_schema_is_one_line(empty_url: URL, command: list[str]) -> None:
    result = kaira(
        *command,
        "--password-stdin" if "users" in command else "--users=1",
        url=empty_url,
        stdin="long enough\n",
    )

    assert result.exit_code == 1
    _assert_one_clear_line(
        result, "The database schema is at nothing, not the newest: run `kaira db upgrade`"
    )


def test_the_console_script_fails_in_one_line_too(tmp_path: Path) -> None:
    """The real `kaira`, two ways at once: the database down at `serve`, and a SQLite file that cannot be
    opened (where a driver thread could add its own traceback). The other cases take the same path."""
    cases = ["postgresql not running", "sqlite directory missing"]
    commands = {"postgresql not running": ["serve"]}
    processes = {}
    for case in cases:
        url, env, args, _ = FAILURES[case]
        processes[case] = subprocess.Popen(
            [str(KAIRA), *commands.get(case, args)],
            env=clean_env(database_url=url, **env),
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    for case, process in processes.items():
        stdout, stderr = process.communicate(timeout=60)
        assert process.returncode == 1, (case, stdout, stderr)
        _assert_one_clear_line(
            subprocess.CompletedProcess(process.args, 1, stdout, stderr), FAILURES[case][3]
        )


# --- serve -----------------------------------------------------------------------------------------------


def test_serve_migrates_then_serves_until_stopped(tmp_path: Path) -> None:
    """One live server on a new SQLite file, with LOG_FORMAT=json: what an operator sees of it."""
    url = URL.create("sqlite+aiosqlite", database=str(tmp_path / "served.db"))

    with kaira_serve(clean_env(database_url=plain(url), log_format="json"), tmp_path) as server:
        server.wait_healthy()
        root = server.get("/", headers={"X-Request-ID": "json-log-check"})
        chunks = (b" " * 65536 for _ in range(32))  # 2 MiB, sent chunked: no Content-Length to go by
        too_large = httpx2.post(server.base_url + "/api/users/", content=chunks, timeout=10)
        exit_code = server.stop()

    assert root.json()["version"] == version("kaira")
    assert too_large.status_code == 413
    assert exit_code in (0, -signal.SIGTERM)  # uvicorn re-raises the signal once it has shut down
    assert asyncio.run(migrate.current_revision(url)) == HEAD
    entries = [json.loads(line) for line in server.output().splitlines()]  # one JSON object a line
    messages = {entry["message"] for entry in entries}
    assert {"Application startup complete.", "Application shutdown complete."} <= messages
    [access] = [entry for entry in entries if entry["request_id"] == "json-log-check"]  # one line
    assert access["logger"] == "kaira.access"
    assert (access["method"], access["route"], access["status"]) == ("GET", "/", 200)


@pytest.mark.postgres_only
def test_three_servers_started_together_migrate_once_and_all_serve(empty_url: URL, tmp_path: Path) -> None:
    """The advisory lock makes them take turns: without it they would all try to create the same tables."""
    env = clean_env(database_url=plain(empty_url))

    with (
        kaira_serve(env, tmp_path) as first,
        kaira_serve(env, tmp_path) as second,
        kaira_serve(env, tmp_path) as third,
    ):
        for server in (first, second, third):
            server.wait_healthy(seconds=60)
        sign_up = {"username": "ada", "email": "ada@example.com", "password": "long enough"}
        assert httpx2.post(first.base_url + "/api/users/", json=sign_up).status_code == 201
        token = httpx2.post(
            second.base_url + "/api/auth/token", data={"username": "ada", "password": "long enough"}
        )
        me = third.get("/api/users/me", headers={"Authorization": f"Bearer {token.json()['access_token']}"})

    assert asyncio.run(migrate.current_revision(empty_url)) == HEAD
    assert me.status_code == 200  # the three share the generated development key
