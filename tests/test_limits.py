"""Abuse limits as an attacker meets them, in process: password guessing, sign-up floods, spoofed
`X-Forwarded-For`, and a Redis that is not there. (Several processes on one Redis: test_limits_live.)"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.requests import HTTPConnection

from kaira.auth.limits import TrustedProxies
from kaira.config import ConfigError, Settings, load_settings
from kaira.main import create_app
from tests.conftest import LOCAL_REDIS, PASSWORD, MakeUser
from tests.helpers_pg import free_port

Limited = Callable[..., AbstractContextManager[TestClient]]


@pytest.fixture
def limited(settings: Settings, client: TestClient) -> Limited:
    """`with limited(**settings) as other:` a client of an app with the limits on (the `client`
    fixture, for making users, empties the tables afterwards)."""

    @contextmanager
    def open_client(peer: str = "testclient", **changes: Any) -> Iterator[TestClient]:
        app = create_app(settings.model_copy(update={"rate_limits": True, **changes}))
        with TestClient(app, raise_server_exceptions=False, client=(peer, 50000)) as limited_client:
            yield limited_client

    return open_client


def log_in(client: TestClient, login: str, password: str = "not the password", **headers: str) -> Any:
    return client.post("/api/auth/token", data={"username": login, "password": password}, headers=headers)


def sign_up(client: TestClient, name: str, **headers: str) -> Any:
    account = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
    return client.post("/api/users/", json=account, headers=headers)


def assert_too_many(response: Any) -> None:
    assert response.status_code == 429
    assert response.json() == {"detail": "Too many requests"}
    assert 1 <= int(response.headers["retry-after"]) <= 60


# Log-in


def test_the_eleventh_wrong_password_within_a_minute_is_429_and_so_is_the_right_one(
    limited: Limited, make_user: MakeUser
) -> None:
    ada = make_user()
    with limited() as client:
        tries = [log_in(client, ada.username).status_code for _ in range(10)]
        eleventh = log_in(client, ada.username)
        right = log_in(client, ada.username, PASSWORD)

    assert tries == [401] * 10
    assert_too_many(eleventh)
    assert_too_many(right)


def test_one_account_is_one_count_by_username_or_email_in_any_case(
    limited: Limited, make_user: MakeUser
) -> None:
    ada, bob = make_user(), make_user()
    with limited(login_limit_per_account="3/minute") as client:
        names = [ada.username, ada.email.upper(), ada.email]
        tries = [log_in(client, name).status_code for name in names]
        fourth = log_in(client, ada.username, PASSWORD)
        other_account = log_in(client, bob.username, PASSWORD)

    assert tries == [401, 401, 401]
    assert_too_many(fourth)
    assert other_account.status_code == 200


def test_unknown_logins_are_counted_by_their_lower_case(limited: Limited) -> None:
    with limited(login_limit_per_account="2/minute") as client:
        tries = [log_in(client, name).status_code for name in ("Nobody@Example.com", "NOBODY@example.com")]
        third = log_in(client, "nobody@example.com")
        someone_else = log_in(client, "somebody@example.com")

    assert tries == [401, 401]
    assert_too_many(third)
    assert someone_else.status_code == 401


def test_log_ins_are_limited_per_address_across_accounts(limited: Limited, make_user: MakeUser) -> None:
    accounts = [make_user() for _ in range(4)]
    with limited(login_limit_per_address="3/minute") as client:
        tries = [log_in(client, account.username).status_code for account in accounts[:3]]
        fourth = log_in(client, accounts[3].username, PASSWORD)

    assert tries == [401] * 3
    assert_too_many(fourth)


def test_with_rate_limits_off_nothing_is_limited(limited: Limited, make_user: MakeUser) -> None:
    ada = make_user()
    with limited(rate_limits=False, login_limit_per_account="1/minute") as client:
        tries = [log_in(client, ada.username).status_code for _ in range(3)]

    assert tries == [401] * 3


# Sign-up and the client address


def test_sign_ups_are_limited_per_address_and_a_refused_one_creates_nothing(limited: Limited) -> None:
    with limited(signup_limit_per_address="2/minute") as client:
        tries = [sign_up(client, f"flood{n}").status_code for n in range(2)]
        third = sign_up(client, "flood2")
        users = client.get("/api/users/").json()

    assert tries == [201, 201]
    assert_too_many(third)
    assert [user["username"] for user in users] == ["flood0", "flood1"]


def test_behind_a_listed_proxy_each_forwarded_client_has_its_own_count(limited: Limited) -> None:
    with limited(peer="127.0.0.1", signup_limit_per_address="1/minute") as client:
        first = sign_up(client, "one", **{"X-Forwarded-For": "203.0.113.1"})
        same = sign_up(client, "two", **{"X-Forwarded-For": "203.0.113.1"})
        other = sign_up(client, "three", **{"X-Forwarded-For": "203.0.113.2"})
        # what the client wrote on the left is not believed: the proxy appended the address it saw
        spoofed = sign_up(client, "four", **{"X-Forwarded-For": "198.51.100.9, 203.0.113.1"})

    assert first.status_code == other.status_code == 201
    assert_too_many(same)
    assert_too_many(spoofed)


def test_x_forwarded_for_from_a_peer_that_is_not_listed_is_ignored(limited: Limited) -> None:
    with limited(peer="192.0.2.50", signup_limit_per_address="1/minute") as client:
        first = sign_up(client, "one", **{"X-Forwarded-For": "203.0.113.1"})
        second = sign_up(client, "two", **{"X-Forwarded-For": "203.0.113.2"})

    assert first.status_code == 201
    assert_too_many(second)


def _connection(peer: str, forwarded_for: list[str]) -> HTTPConnection:
    headers = [(b"x-forwarded-for", value.encode()) for value in forwarded_for]
    return HTTPConnection({"type": "http", "client": (peer, 1), "headers": headers})


@pytest.mark.parametrize(
    ("proxies", "peer", "forwarded_for", "client"),
    [
        pytest.param(["127.0.0.1"], "127.0.0.1", [], "127.0.0.1", id="no header"),
        pytest.param(["127.0.0.1"], "127.0.0.1", ["1.1.1.1, 2.2.2.2"], "2.2.2.2", id="right-most"),
        pytest.param(["127.0.0.1", "10.0.0.0/8"], "127.0.0.1", ["2.2.2.2, 10.1.1.1"], "2.2.2.2", id="chain"),
        pytest.param(["127.0.0.1"], "127.0.0.1", ["1.1.1.1", "2.2.2.2"], "2.2.2.2", id="two headers"),
        pytest.param(["*"], "192.0.2.1", ["1.1.1.1, 2.2.2.2"], "1.1.1.1", id="everyone trusted"),
        pytest.param(["::1"], "::1", ["2001:db8::1"], "2001:db8::1", id="IPv6"),
        pytest.param(["127.0.0.1"], "192.0.2.1", ["1.1.1.1"], "192.0.2.1", id="peer not listed"),
        pytest.param(["127.0.0.1"], "127.0.0.1", [" , "], "127.0.0.1", id="empty header"),
    ],
)
def test_the_client_address_is_the_right_most_untrusted_hop(
    proxies: list[str], peer: str, forwarded_for: list[str], client: str
) -> None:
    assert TrustedProxies.of(proxies).client_address(_connection(peer, forwarded_for)) == client


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("login_limit_per_account", "ten a minute"),
        ("signup_limit_per_address", "5/fortnight"),
        ("forwarded_allow_ips", "proxy.example.com"),
        ("redis_url", "http://127.0.0.1:6379"),
        ("rate_limit_key_prefix", "has spaces"),
    ],
)
def test_a_bad_limit_setting_ends_start_up_with_a_line_naming_it(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name.upper()):
        load_settings(**{name: value})


def test_the_defaults_are_the_contracts() -> None:
    settings = Settings()

    assert (settings.rate_limits, settings.forwarded_allow_ips, settings.redis_url) == (
        True,
        ["127.0.0.1"],
        "",
    )
    assert settings.login_limit_per_account == "10/minute"
    assert settings.login_limit_per_address == "60/minute"
    assert settings.signup_limit_per_address == "20/minute"
    assert (settings.access_token_expire_minutes, settings.refresh_token_expire_days) == (15, 30)


# Redis


def test_two_workers_on_one_redis_share_one_count(
    limited: Limited, make_user: MakeUser, redis_prefix: str
) -> None:
    ada = make_user()
    shared = {
        "redis_url": LOCAL_REDIS,
        "rate_limit_key_prefix": redis_prefix,
        "login_limit_per_account": "4/minute",
    }
    with limited(**shared) as one, limited(**shared) as two:
        tries = [log_in(worker, ada.username).status_code for worker in (one, two, one, two)]
        fifth = log_in(one, ada.username, PASSWORD)
        sixth = log_in(two, ada.username, PASSWORD)

    assert tries == [401] * 4
    assert_too_many(fifth)
    assert_too_many(sixth)


def test_without_redis_logins_work_unlimited_with_one_warning(
    limited: Limited, make_user: MakeUser, caplog: pytest.LogCaptureFixture
) -> None:
    ada = make_user()
    nowhere = f"redis://127.0.0.1:{free_port()}/0"
    with (
        caplog.at_level(logging.WARNING, "kaira.limits"),
        limited(redis_url=nowhere, login_limit_per_account="1/minute") as client,
    ):
        tries = [log_in(client, ada.username).status_code for _ in range(3)]
        right = log_in(client, ada.username, PASSWORD)

    assert tries == [401] * 3
    assert right.status_code == 200
    warnings = [record for record in caplog.records if record.name == "kaira.limits"]
    assert len(warnings) == 1
    assert "Redis does not answer" in warnings[0].getMessage()
