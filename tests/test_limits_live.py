"""Abuse limits across real processes: `kaira serve` instances sharing one Redis, and a Redis that goes
away in the middle of a password-guessing run and comes back."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
import redis
from sqlalchemy.engine import URL

from tests.conftest import LOCAL_REDIS, PASSWORD, TEST_SECRET
from tests.helpers_pg import Server, clean_env, fresh_database, kaira_serve, plain, throwaway_redis, wait_for

LOST = "Redis does not answer"
PATIENCE = 60
"""Seconds a log-in may take: hashing runs at the lowest priority, and on a busy machine it waits."""
FOUND = "Redis answers again"


@pytest.fixture
def served_url(db_url: URL, tmp_path: Path) -> Iterator[URL]:
    """A database of the servers' own, on the server the suite runs against."""
    with fresh_database(db_url, tmp_path) as url:
        yield url


def env_for(url: URL, **settings: str) -> dict[str, str]:
    return clean_env(database_url=plain(url), secret_key=TEST_SECRET, **settings)


def sign_up(server: Server, name: str) -> None:
    account = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
    response = httpx2.post(server.base_url + "/api/users/", json=account, timeout=PATIENCE)
    assert response.status_code == 201, response.text


def log_in(server: Server, login: str, password: str = "not the password") -> Any:
    form = {"username": login, "password": password}
    return httpx2.post(server.base_url + "/api/auth/token", data=form, timeout=PATIENCE)


def test_two_instances_on_one_redis_share_one_count(
    served_url: URL, tmp_path: Path, redis_prefix: str
) -> None:
    env = env_for(
        served_url,
        redis_url=LOCAL_REDIS,
        rate_limit_key_prefix=redis_prefix,
        login_limit_per_account="2/minute",
    )
    with kaira_serve(env, tmp_path) as one, kaira_serve(env, tmp_path) as two:
        one.wait_healthy()
        two.wait_healthy()
        sign_up(one, "ada")
        tries = [log_in(server, "ada").status_code for server in (one, two)]
        third = log_in(two, "ada", PASSWORD)
        fourth = log_in(one, "ADA@example.com", PASSWORD)
    with redis.Redis.from_url(LOCAL_REDIS) as connection:
        keys = connection.keys(f"{redis_prefix}:*")

    assert tries == [401] * 2
    assert third.status_code == fourth.status_code == 429
    assert 1 <= int(third.headers["retry-after"]) <= 60
    assert keys, "the count lived in Redis"


def test_redis_stopped_mid_run_changes_nothing_but_one_warning(served_url: URL, tmp_path: Path) -> None:
    with throwaway_redis(tmp_path) as cache:
        env = env_for(served_url, redis_url=cache.url, login_limit_per_account="2/minute")
        with kaira_serve(env, tmp_path) as server:
            server.wait_healthy()
            sign_up(server, "ada")
            counted = [log_in(server, "ada").status_code for _ in range(3)]

            cache.stop()
            unlimited = [log_in(server, "ada").status_code for _ in range(2)]
            right = log_in(server, "ada", PASSWORD)
            health = server.get("/health")
            warnings_while_away = server.output().count(LOST)

            cache.start()  # empty: the counts start again
            answers: list[int] = []

            def limited_again() -> bool:
                answers.append(log_in(server, "ada").status_code)
                return answers[-1] == 429

            wait_for(limited_again, seconds=20, what="the limit did not apply again once Redis was back")
            output = server.output()

    assert counted == [401, 401, 429]
    assert unlimited == [401, 401]
    assert right.status_code == 200
    assert health.status_code == 200
    assert warnings_while_away == 1
    assert set(answers) <= {401, 429}
    assert output.count(LOST) == 1
    assert FOUND in output
    assert "Traceback" not in output
