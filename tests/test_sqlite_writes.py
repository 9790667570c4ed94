"""SQLite's writes run in the event loop's thread when the write lock is free, and in the writer's
thread when it is not (`kaira.database.engines.InProcessSQLite.write`); the checkpoints are left to that
thread. On a SQLite file whatever database the suite runs against: this is the embedded default's path.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from contextlib import closing
from pathlib import Path

import httpx2
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from kaira import migrate
from kaira.config import Settings, parse_database_url
from kaira.database import engines
from tests.conftest import TEST_SECRET, MakeUser
from tests.helpers_load import sign_up_and_log_in, write_posts_at_once
from tests.helpers_pg import clean_env, kaira_serve, wait_for


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """The suite's `settings` (and so its `app`, `client`, `make_user`), on a SQLite file of its own."""
    url = f"sqlite:///{tmp_path / 'kaira.db'}"
    asyncio.run(migrate.upgrade(parse_database_url(url)))
    return Settings(database_url=url, secret_key=TEST_SECRET, environment="test", rate_limits=False)


def test_while_another_connection_holds_the_write_lock_reads_go_on_and_the_write_lands_after(
    client: TestClient, app: FastAPI, make_user: MakeUser
) -> None:
    """SQLite writes run in the event loop's thread when the write lock is free; one that finds it
    taken must wait elsewhere. Waiting in the loop would stop every other request, and with an ORM
    session of this same process holding the lock (it needs the loop to commit), never end well."""
    ada = make_user()
    first = client.post("/api/posts/", json={"title": "first", "content": "c"}, headers=ada.headers).json()
    answers: dict[str, httpx2.Response] = {}

    def write() -> None:
        post = {"title": "second", "content": "c", "tags": ["waited"]}
        answers["write"] = client.post("/api/posts/", json=post, headers=ada.headers)

    writing = threading.Thread(target=write)
    with closing(sqlite3.connect(app.state.settings.db_url.database, isolation_level=None)) as other:
        other.execute("BEGIN IMMEDIATE")
        writing.start()
        wait_for(app.state.core.queue.tickets.locked, seconds=10, what="the write to be under way")
        asked = time.monotonic()
        read = client.get(f"/api/posts/{first['id']}", headers=ada.headers)
        read_seconds = time.monotonic() - asked
        write_still_waiting = writing.is_alive()
        other.execute("COMMIT")
    writing.join(timeout=30)

    assert (read.status_code, read.json()["title"]) == (200, "first")
    # A loop waiting for the lock would have held this read for SQLite's busy timeout (5 s).
    assert read_seconds < 1.0
    assert write_still_waiting
    assert answers["write"].status_code == 201, answers["write"].text
    waited = client.get("/api/posts/?tag=waited", headers=ada.headers).json()
    assert [post["title"] for post in waited] == ["second"]


def test_writes_in_the_loop_leave_the_checkpoints_to_the_writer_thread_which_does_them(
    client: TestClient, app: FastAPI, make_user: MakeUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Until a checkpoint, every committed page stays in the WAL and the database file does not
    grow; the loop's writer never checkpoints (a fsync while every request waits), so the writer's
    thread must, every `CHECKPOINT_EVERY` writes."""
    monkeypatch.setattr(engines, "CHECKPOINT_EVERY", 10)
    database = Path(app.state.settings.db_url.database)
    ada = make_user()
    before = database.stat().st_size
    for number in range(30):
        post = {"title": f"post {number}", "content": "words " * 800, "is_published": True}
        assert client.post("/api/posts/", json=post, headers=ada.headers).status_code == 201

    wait_for(
        lambda: database.stat().st_size > before, seconds=10, what="the posts' pages in the database file"
    )
    assert len(client.get("/api/posts/?limit=100").json()) == 30


WORKERS_WRITERS = 16
POSTS_EACH = 8


def test_two_workers_writing_at_once_to_one_file_all_succeed_and_read_each_others_posts(
    tmp_path: Path,
) -> None:
    """Two processes, each writing in its loop's thread whenever the lock is free: the one that finds
    it taken by the other must wait for it in its writer's thread, never answer "database is locked"."""
    env = clean_env(database_url=f"sqlite:///{tmp_path / 'kaira.db'}", secret_key=TEST_SECRET)
    with kaira_serve(env, tmp_path, "--workers", "2") as server:
        server.wait_healthy(seconds=60)
        _, token = sign_up_and_log_in(server.base_url, "ada", "writers password")
        written = write_posts_at_once(
            server.base_url,
            token,
            writers=WORKERS_WRITERS,
            posts_each=POSTS_EACH,
            post=lambda number, index: {"title": f"w{number}-{index}", "content": "c", "is_published": True},
        )
        unseen = [
            post_id
            for post_id in written.ids
            if httpx2.get(f"{server.base_url}/api/posts/{post_id}").status_code != 200
        ]
        log = server.output()

    assert written.failures == []
    assert len(set(written.ids)) == WORKERS_WRITERS * POSTS_EACH
    assert unseen == []
    assert "database is locked" not in log
    assert "Traceback" not in log
