"""Real concurrency on PostgreSQL: requests that race for the same row, name or author.

The requests go through one TestClient from many threads at once. Each call is handed to the app's
single event loop, where they interleave exactly as they do under uvicorn: every request holds its own
pooled connection and transaction, and the races are settled by PostgreSQL's locks and unique indexes,
not by the test. That keeps the test in process (the rows can be counted on the app's own engine) and
free of a server's start-up time; `test_cli` starts real `kaira serve` processes elsewhere.
A barrier releases all threads together so the requests really overlap.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx2
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from kaira.models import Post, Tag, User
from tests.conftest import MakeUser

pytestmark = pytest.mark.postgres_only


def _all_at_once(count: int, call: Callable[[int], httpx2.Response]) -> list[httpx2.Response]:
    barrier = threading.Barrier(count, timeout=30)

    def run(number: int) -> httpx2.Response:
        barrier.wait()
        return call(number)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def _count(client: TestClient, app: FastAPI, model: Any, *where: Any) -> int:
    async def count() -> int:
        async with app.state.sessionmaker() as session:
            return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)

    return client.portal.call(count)  # type: ignore[union-attr]


def test_twenty_simultaneous_sign_ups_with_one_email_make_one_account(
    client: TestClient, app: FastAPI
) -> None:
    def sign_up(number: int) -> httpx2.Response:
        # Different usernames, one email in different cases: only the email can decide the race.
        email = "Race@Example.com" if number % 2 else "race@example.com"
        return client.post(
            "/api/users/", json={"username": f"racer{number}", "email": email, "password": "long enough"}
        )

    responses = _all_at_once(20, sign_up)

    assert Counter(response.status_code for response in responses) == {201: 1, 400: 19}
    assert {response.json()["detail"] for response in responses if response.status_code == 400} == {
        "Email already registered"
    }
    assert _count(client, app, User) == 1


def test_simultaneous_sign_ups_with_one_username_make_one_account(client: TestClient, app: FastAPI) -> None:
    """Five, not twenty: each sign-up costs an Argon2 hash, and the race is the same."""
    responses = _all_at_once(
        5,
        lambda number: client.post(
            "/api/users/",
            json={"username": "taken", "email": f"u{number}@example.com", "password": "long enough"},
        ),
    )

    assert Counter(response.status_code for response in responses) == {201: 1, 400: 4}
    assert {response.json()["detail"] for response in responses if response.status_code == 400} == {
        "Username already taken"
    }
    assert _count(client, app, User) == 1


def test_twenty_simultaneous_posts_by_one_user_are_all_stored(
    client: TestClient, app: FastAPI, make_user: MakeUser
) -> None:
    ada = make_user()

    responses = _all_at_once(
        20,
        lambda number: client.post(
            "/api/posts/", json={"title": f"post {number}", "content": "at once"}, headers=ada.headers
        ),
    )

    assert [response.status_code for response in responses] == [201] * 20
    assert len({response.json()["id"] for response in responses}) == 20
    assert _count(client, app, Post, Post.author_id == ada.id) == 20


def test_ten_simultaneous_posts_introducing_one_new_tag_share_it(
    client: TestClient, app: FastAPI, make_user: MakeUser
) -> None:
    authors = [make_user() for _ in range(10)]
    post: dict[str, Any] = {
        "title": "news",
        "content": "x",
        "is_published": True,
        "tags": ["Brand-New", "common"],
    }

    responses = _all_at_once(
        10, lambda number: client.post("/api/posts/", json=post, headers=authors[number].headers)
    )

    assert [response.status_code for response in responses] == [201] * 10
    assert all(response.json()["tags"] == ["brand-new", "common"] for response in responses)
    assert _count(client, app, Tag) == 2
    assert {tag["name"]: tag["post_count"] for tag in client.get("/api/tags/").json()} == {
        "brand-new": 10,
        "common": 10,
    }
