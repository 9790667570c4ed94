"""`kaira db backup` and `kaira db restore` as operators use them: across databases, under write load,
onto databases that hold data, from older schema revisions, and on a terminal."""

from __future__ import annotations

import asyncio
import itertools
import os
import pty
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx2
import pytest
from sqlalchemy.engine import URL

from kaira import migrate
from tests.conftest import BEFORE_HEAD
from tests.helpers_backup import ADA, BOB, answers, new_post_id, populate, rows_of, run_kaira
from tests.helpers_pg import KAIRA, clean_env, fresh_database, kaira_serve, plain, wait_for
from tests.test_cli import api, clean_environment  # noqa: F401 - clean_environment: an autouse fixture

HEAD = migrate.head_revision()


def _sqlite(tmp_path: Path, name: str) -> URL:
    return URL.create("sqlite+aiosqlite", database=str(tmp_path / f"{name}.db"))


def _ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # no progress bar when stderr is not a terminal
    return result.stdout


def test_a_round_trip_through_another_database_keeps_every_answer(db_url: URL, tmp_path: Path) -> None:
    """SQLite → the suite's database (PostgreSQL on a PostgreSQL run) → SQLite, each step in a fresh
    interpreter: every API answer the same, logins with the old passwords, ids never handed out twice."""
    source, final = _sqlite(tmp_path, "source"), _sqlite(tmp_path, "final")
    asyncio.run(migrate.upgrade(source))
    populate(source, tmp_path)
    before = answers(source)
    first, second = tmp_path / "first.jsonl.gz", tmp_path / "second.jsonl.gz"

    backed_up = _ok(run_kaira("db", "backup", str(first), url=source, cwd=tmp_path))
    with fresh_database(db_url, tmp_path) as middle:
        restored = _ok(run_kaira("db", "restore", str(first), url=middle, cwd=tmp_path))
        in_middle = answers(middle)
        _ok(run_kaira("db", "backup", str(second), url=middle, cwd=tmp_path))
        with api(middle) as client:
            middle_post = new_post_id(client, BOB)
    _ok(run_kaira("db", "restore", str(second), url=final, cwd=tmp_path))
    in_final = answers(final)

    # five tables: the log-in sessions of populate's log-ins are kept too, so they survive a restore
    assert backed_up.startswith(f"Backed up 19 rows of 5 tables at revision {HEAD} to ")
    assert restored.startswith(f"Restored 19 rows of 5 tables from {first}")
    assert in_middle == before
    assert in_final == before

    def data(path: Path) -> dict[str, Any]:  # sessions aside: the middle step logged in once more
        return {table: rows for table, rows in rows_of(path).items() if table != "sessions"}

    assert data(second) == data(first)  # the same file, whichever database wrote it
    with api(final) as client:
        assert new_post_id(client, ADA) == 6  # after the deleted 4 and 5, as in the source
        sign_up = {"username": "cyd", "email": "cyd@example.com", "password": "long enough"}
        assert client.post("/api/users/", json=sign_up).json()["id"] == 4
    assert middle_post == 6


def test_a_backup_taken_while_20_clients_write_is_consistent(db_url: URL, tmp_path: Path) -> None:
    with fresh_database(db_url, tmp_path) as url, fresh_database(db_url, tmp_path) as copy:
        env = clean_env(database_url=plain(url), rate_limits="false")
        with kaira_serve(env, tmp_path) as server:
            server.wait_healthy()
            _ok(run_kaira("seed", "--users", "20", "--posts", "0", url=url, cwd=tmp_path))
            created, stop = _write_from_20_clients(server.base_url)
            wait_for(lambda: len(created) >= 40, seconds=60, what="20 clients did not write 40 posts")
            before = len(created)
            backed_up = run_kaira("db", "backup", str(tmp_path / "live.jsonl.gz"), url=url, cwd=tmp_path)
            during = len(created) - before
            stop()
        rows = rows_of(tmp_path / "live.jsonl.gz")  # the reader checks the counts against the trailer
        restored = run_kaira("db", "restore", str(tmp_path / "live.jsonl.gz"), url=copy, cwd=tmp_path)

    _ok(backed_up)
    _ok(restored)
    assert during > 0, "no post was written while the backup ran: the test proved nothing"
    users = {row["id"] for row in rows["users"]}
    posts = {row["id"]: row for row in rows["posts"]}
    tags = {row["id"] for row in rows["tags"]}
    assert before <= len(posts) <= len(created)
    assert all(post["author_id"] in users for post in posts.values())
    assert all(link["post_id"] in posts and link["tag_id"] in tags for link in rows["post_tags"])
    linked = {link["post_id"] for link in rows["post_tags"]}
    assert set(posts) <= linked  # every post was written with tags, in one transaction: none half there


def _write_from_20_clients(base_url: str) -> tuple[list[int], Callable[[], None]]:
    """20 threads, one user each, posting with tags (some new) until stopped; the ids answered 201."""
    created: list[int] = []
    stopping = threading.Event()
    with httpx2.Client(base_url=base_url, timeout=30) as client:
        users = client.get("/api/users/?limit=20").json()
        tokens = [
            client.post(
                "/api/auth/token", data={"username": u["username"], "password": "demo-password"}
            ).json()["access_token"]
            for u in users
        ]

    def write(token: str, number: int) -> None:
        with httpx2.Client(base_url=base_url, timeout=30, headers={"Authorization": f"Bearer {token}"}) as c:
            for count in itertools.count():
                if stopping.is_set():
                    return
                body = {"title": f"t{number}-{count}", "content": "x", "is_published": True,
                        "tags": ["live", f"writer{number}", f"n{count % 7}"]}  # fmt: skip
                response = c.post("/api/posts/", json=body)
                assert response.status_code == 201, response.text
                created.append(response.json()["id"])

    threads = [threading.Thread(target=write, args=(token, n), daemon=True) for n, token in enumerate(tokens)]
    for thread in threads:
        thread.start()

    def stop() -> None:
        stopping.set()
        for thread in threads:
            thread.join(timeout=30)

    return created, stop


def test_restore_refuses_a_database_that_holds_rows_unless_forced(current_url: URL, tmp_path: Path) -> None:
    other = _sqlite(tmp_path, "other")
    asyncio.run(migrate.upgrade(other))
    populate(other, tmp_path)
    _ok(run_kaira("db", "backup", str(tmp_path / "other.jsonl.gz"), url=other, cwd=tmp_path))
    _ok(run_kaira("seed", "--users", "2", "--posts", "3", url=current_url, cwd=tmp_path))
    seeded = answers_of_seed(current_url)

    refused = run_kaira("db", "restore", str(tmp_path / "other.jsonl.gz"), url=current_url, cwd=tmp_path)
    unchanged = answers_of_seed(current_url)
    forced = run_kaira(
        "db", "restore", "--force", str(tmp_path / "other.jsonl.gz"), url=current_url, cwd=tmp_path
    )

    assert refused.returncode == 1
    assert refused.stderr.startswith("error: The database is not empty (23 tags, 2 users, 3 posts, ")
    assert refused.stderr.endswith(" post_tags): restore replaces everything only with --force\n")
    assert refused.stderr.count("\n") == 1
    assert unchanged == seeded
    _ok(forced)
    assert answers(current_url) == answers(other)


def answers_of_seed(url: URL) -> object:
    with api(url) as client:
        return client.get("/api/users/?limit=100").json(), client.get("/api/posts/published?limit=100").json()


def test_a_file_from_an_older_revision_is_restored_then_upgraded(current_url: URL, tmp_path: Path) -> None:
    populate(current_url, tmp_path)
    before = answers(current_url)
    asyncio.run(migrate.downgrade(current_url, BEFORE_HEAD))
    older = tmp_path / "older.jsonl.gz"
    _ok(run_kaira("db", "backup", str(older), url=current_url, cwd=tmp_path))

    with fresh_database(current_url, tmp_path) as target:
        _ok(run_kaira("db", "restore", str(older), url=target, cwd=tmp_path))
        revision = asyncio.run(migrate.current_revision(target))
        after = answers(target)

    assert rows_of(older)  # readable, and
    assert (
        f'"revision":"{BEFORE_HEAD}"'
        in subprocess.run(
            ["zcat", str(older)], capture_output=True, text=True, check=True
        ).stdout.splitlines()[0]
    )
    assert revision == HEAD
    assert after == before


def test_the_progress_bar_shows_on_a_terminal_only(current_url: URL, tmp_path: Path) -> None:
    _ok(run_kaira("seed", "--users", "2", "--posts", "20", url=current_url, cwd=tmp_path))
    controller, terminal = pty.openpty()
    try:
        process = subprocess.Popen(
            [str(KAIRA), "db", "backup", str(tmp_path / "tty.jsonl.gz")],
            env=clean_env(database_url=plain(current_url), columns="100"),
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=terminal,
            text=True,
        )
        stdout, _ = process.communicate(timeout=60)
        os.close(terminal)
        shown = b""
        while True:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # the terminal's far end is closed: everything is read
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(controller)

    assert process.returncode == 0
    assert stdout.startswith("Backed up ")
    assert "Backing up to tty.jsonl.gz" in shown.decode()
    assert "━" in shown.decode()  # the bar itself


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["db", "backup", "missing/dir/x.jsonl.gz"], "error: missing/dir/x.jsonl.gz: cannot be written ("),
        (["db", "backup", "x.jsonl.gz"], "error: The database has no Kaira schema: nothing to back up\n"),
    ],
)
def test_a_backup_that_cannot_be_made_says_why_in_one_line(
    empty_url: URL, tmp_path: Path, args: list[str], expected: str
) -> None:
    if "missing" in args[2]:
        asyncio.run(migrate.upgrade(empty_url))

    result = run_kaira(*args, url=empty_url, cwd=tmp_path)

    assert result.returncode == 1
    assert result.stderr.startswith(expected)
    assert result.stderr.count("\n") == 1
    assert list(tmp_path.glob("**/*.jsonl.gz*")) == []


def test_help_shows_a_nightly_cron_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [str(KAIRA), "db", "backup", "--help"],
        env=clean_env(columns="120"),
        capture_output=True,
        text=True,
        check=True,
    )

    assert (
        "0 3 * * * cd /srv/kaira && .venv/bin/kaira db backup /backups/kaira-$(date +\\%F).jsonl.gz"
        in result.stdout
    )
