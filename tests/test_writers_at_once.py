"""Thirty-two clients writing at once to a real `kaira serve`, while others read what they wrote.

On SQLite this is the path the embedded default takes (reads and writes in the loop's thread, a write
that finds the lock taken in the writer thread, `kaira.database.engines.InProcessSQLite`): no write
may meet "database is locked", and a post must be readable by the very next request after its 201.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from contextlib import closing
from pathlib import Path

import httpx2
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import create_async_engine

from kaira.users import service as users_service
from tests.conftest import TEST_SECRET, MakeUser
from tests.helpers_load import sign_up_and_log_in, write_posts_at_once
from tests.helpers_pg import clean_env, kaira_serve, plain

WRITERS = 32
POSTS_EACH = 6


def test_thirty_two_writers_at_once_all_succeed_and_read_their_posts_at_once(
    empty_url: URL, tmp_path: Path
) -> None:
    env = clean_env(database_url=plain(empty_url), secret_key=TEST_SECRET)
    with kaira_serve(env, tmp_path) as server:
        server.wait_healthy(seconds=60)
        _, token = sign_up_and_log_in(server.base_url, "ada", "writers password")
        written = write_posts_at_once(
            server.base_url,
            token,
            writers=WRITERS,
            posts_each=POSTS_EACH,
            post=lambda number, index: {
                "title": f"w{number}-{index}",
                "content": "c",
                "tags": [f"t{index}", "shared"],
                "is_published": True,
            },
        )

        listed = httpx2.get(f"{server.base_url}/api/posts/?limit=100&tag=shared", timeout=30)
        shared_tag = httpx2.get(f"{server.base_url}/api/tags/", timeout=30).json()
        log = server.output()

    assert written.failures == []
    assert len(set(written.ids)) == WRITERS * POSTS_EACH
    assert len(listed.json()) == 100  # a full page of the shared tag: every post has it
    assert {tag["name"]: tag["post_count"] for tag in shared_tag}["shared"] == WRITERS * POSTS_EACH
    assert "database is locked" not in log
    assert "Traceback" not in log


HOLD_SECONDS = 1.0


def test_writes_wait_for_another_connection_holding_the_write_lock(
    client: TestClient, app: FastAPI, make_user: MakeUser
) -> None:
    """Another process (a backup restore, a second worker, `kaira users create`) holding the write
    lock for a second makes writes wait, not fail: on SQLite a transaction that read before writing
    would otherwise be refused at once when the other one commits (see `WRITE_TRANSACTION`)."""
    ada = make_user()
    holding = threading.Event()
    holder = threading.Thread(target=asyncio.run, args=(_hold_the_write_lock(app, holding),))
    holder.start()
    assert holding.wait(timeout=10)
    try:
        sign_up = client.post(
            "/api/users/", json={"username": "bob", "email": "bob@example.com", "password": "a long password"}
        )
        edit = client.put(f"/api/users/{ada.id}", json={"full_name": "Ada"}, headers=ada.headers)
        post = client.post("/api/posts/", json={"title": "t", "content": "c"}, headers=ada.headers)
    finally:
        holder.join(timeout=10)

    assert (sign_up.status_code, edit.status_code, post.status_code) == (201, 200, 201)
    assert client.get("/api/tags/?limit=100").status_code == 200
    assert client.get(f"/api/users/{ada.id}").json()["full_name"] == "Ada"


async def _hold_the_write_lock(app: FastAPI, holding: threading.Event) -> None:
    """A connection of its own writes (a tag, published by nobody), holds its transaction open for
    HOLD_SECONDS, then commits: what every waiting writer then has to see past."""
    url = app.state.settings.db_url
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            if url.get_backend_name() == "sqlite":
                await connection.exec_driver_sql("BEGIN IMMEDIATE")
            else:
                await connection.exec_driver_sql("BEGIN")
                await connection.exec_driver_sql("LOCK TABLE users, posts IN SHARE ROW EXCLUSIVE MODE")
            await connection.exec_driver_sql("INSERT INTO tags (name) VALUES ('held')")
            holding.set()
            await asyncio.sleep(HOLD_SECONDS)  # the lock held: the scenario, not a wait for a result
            await connection.exec_driver_sql("COMMIT")
    finally:
        await engine.dispose()


def test_a_new_password_is_hashed_before_the_transaction_that_stores_it_begins(
    client: TestClient, app: FastAPI, make_user: MakeUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Argon2 takes tens of milliseconds on purpose. Hashed inside the request's transaction, it held
    one of the pool's connections all that time, and on SQLite the write lock that every other write,
    of every worker, then waited for."""
    ada = make_user()
    free_while_hashing: list[bool] = []
    hash_password = users_service.hash_password_in_pool

    async def hash_and_look(password: str) -> str:
        free_while_hashing.append(await asyncio.to_thread(_another_writer_could_begin, app))
        return await hash_password(password)

    monkeypatch.setattr(users_service, "hash_password_in_pool", hash_and_look)
    changed = client.put(f"/api/users/{ada.id}", json={"password": "a brand new one"}, headers=ada.headers)

    assert changed.status_code == 200
    assert free_while_hashing == [True]
    new_login = {"username": ada.username, "password": "a brand new one"}
    assert client.post("/api/auth/token", data=new_login).status_code == 200


def _another_writer_could_begin(app: FastAPI) -> bool:
    """SQLite: another connection gets the write lock at once. PostgreSQL: the request pool has every
    connection free (a write transaction would hold one)."""
    url = app.state.settings.db_url
    if url.get_backend_name() != "sqlite":
        return bool(app.state.engines.transactional.pool.checkedout() == 0)
    with closing(sqlite3.connect(url.database, timeout=0, isolation_level=None)) as other:
        try:
            other.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:  # database is locked
            return False
        other.execute("ROLLBACK")
        return True
