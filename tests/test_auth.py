"""Logging in, and which tokens open the door: only the service's own, unexpired, for a living account."""

from __future__ import annotations

import base64
import json
import os
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

import kaira.auth.hashing
from kaira.auth.security import DUMMY_HASH, TokenClaims, create_access_token, read_access_token
from kaira.config import Settings
from kaira.main import create_app
from tests.conftest import PASSWORD, Account, MakeUser
from tests.helpers_sql import run_sql

MakePost = Callable[..., dict[str, Any]]
OTHER_SECRET = "another-secret-key-that-is-just-as-long-0123456789abcdefghijkl"


def login(client: TestClient, username: str, password: str = PASSWORD) -> Any:
    return client.post("/api/auth/token", data={"username": username, "password": password})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# Logging in


def test_logging_in_with_the_username_gives_a_bearer_token_for_me(
    client: TestClient, app: FastAPI, make_user: MakeUser
) -> None:
    ada = make_user()

    response = login(client, ada.username)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "refresh_token"}
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 15 * 60
    me = client.get("/api/users/me", headers=bearer(body["access_token"]))
    assert me.json()["id"] == ada.id
    claims = jwt.decode(body["access_token"], app.state.secret_key, algorithms=["HS256"])
    assert claims["exp"] - claims["iat"] == pytest.approx(15 * 60, abs=1)


def test_logging_in_with_the_email_in_any_case_works(client: TestClient, make_user: MakeUser) -> None:
    ada = make_user()

    response = login(client, ada.email.upper())

    assert response.status_code == 200
    me = client.get("/api/users/me", headers=bearer(response.json()["access_token"]))
    assert me.json()["email"] == ada.email


def test_the_token_lifetime_comes_from_the_settings(
    settings: Settings, client: TestClient, make_user: MakeUser
) -> None:
    ada = make_user()
    short_lived = create_app(settings.model_copy(update={"access_token_expire_minutes": 5}))

    with TestClient(short_lived) as other:
        token = login(other, ada.username).json()["access_token"]

    claims = jwt.decode(token, settings.resolved_secret_key(), algorithms=["HS256"])
    assert claims["exp"] - claims["iat"] == pytest.approx(5 * 60, abs=1)


def test_a_wrong_password_and_an_unknown_user_get_the_same_401(
    client: TestClient, make_user: MakeUser
) -> None:
    ada = make_user()

    wrong_password = login(client, ada.username, "not the password")
    unknown_user = login(client, "nobody")

    for response in (wrong_password, unknown_user):
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
    assert wrong_password.json() == unknown_user.json() == {"detail": "Incorrect username or password"}


def test_an_unknown_user_costs_a_password_check_like_a_known_one(
    client: TestClient, make_user: MakeUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    """So that the time of the answer does not tell which accounts exist."""
    ada = make_user()
    checked: list[str] = []

    def record(_password: str, password_hash: str) -> bool:
        checked.append(password_hash)
        return False

    monkeypatch.setattr(kaira.auth.hashing, "verify_password", record)

    assert login(client, "nobody@example.com").status_code == 401
    assert login(client, ada.username).status_code == 401
    assert checked[0] == DUMMY_HASH
    assert len(checked) == 2
    assert checked[1] != DUMMY_HASH


def test_an_inactive_user_is_told_so_only_with_the_right_password(
    client: TestClient, make_user: MakeUser
) -> None:
    sleeper = make_user(active=False)

    right = login(client, sleeper.username)
    wrong = login(client, sleeper.username, "not the password")

    assert right.status_code == 400
    assert right.json() == {"detail": "Inactive user"}
    assert wrong.status_code == 401


def test_an_inactive_users_token_opens_nothing(client: TestClient, make_user: MakeUser) -> None:
    sleeper = make_user(active=False)

    response = client.get("/api/users/me", headers=sleeper.headers)

    assert response.status_code == 401
    assert response.json() == {"detail": "Could not validate credentials"}


def test_a_plain_text_password_from_the_tutorials_database_never_logs_in(
    client: TestClient, app: FastAPI, make_user: MakeUser
) -> None:
    ada = make_user()
    run_sql(client, app, "UPDATE users SET password_hash = 'tutorial1' WHERE id = :id", id=ada.id)

    response = login(client, ada.username, "tutorial1")

    assert response.status_code == 401


@pytest.mark.parametrize(
    "form",
    [
        pytest.param({"username": "ada"}, id="no password"),
        pytest.param({"password": PASSWORD}, id="no username"),
        pytest.param(
            {"username": "ada", "password": PASSWORD, "grant_type": "client_credentials"}, id="grant"
        ),
    ],
)
def test_an_incomplete_login_form_is_422(client: TestClient, form: dict[str, str]) -> None:
    assert client.post("/api/auth/token", data=form).status_code == 422


def test_a_json_login_is_422_not_a_form(client: TestClient, make_user: MakeUser) -> None:
    ada = make_user()

    response = client.post("/api/auth/token", json={"username": ada.username, "password": PASSWORD})

    assert response.status_code == 422


# Tokens


def claims_for(account: Account, **changes: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    claims = {
        "sub": str(account.id),
        "sid": account.session_id,
        "iat": now.timestamp(),
        "exp": now + timedelta(minutes=10),
        **changes,
    }
    return {key: value for key, value in claims.items() if value is not None}


def unsigned(claims: dict[str, Any]) -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value, default=str).encode()).decode().rstrip("=")

    plain = {
        key: int(value.timestamp()) if isinstance(value, datetime) else value for key, value in claims.items()
    }
    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(plain)}."


def tampered(token: str, user_id: int) -> str:
    header, _, signature = token.split(".")
    payload = jwt.decode(token, options={"verify_signature": False})
    body = (
        base64.urlsafe_b64encode(json.dumps({**payload, "sub": str(user_id)}).encode()).decode().rstrip("=")
    )
    return f"{header}.{body}.{signature}"


Forge = Callable[[Account, Account, str], str]
FORGERIES: dict[str, Forge] = {
    "not a JWT": lambda _ada, _bob, _key: "not-a-token",
    "three empty parts": lambda _ada, _bob, _key: "..",
    "signed with another key": lambda ada, _bob, _key: jwt.encode(claims_for(ada), OTHER_SECRET),
    "alg none": lambda ada, _bob, _key: unsigned(claims_for(ada)),
    "HS384 with the right key": lambda ada, _bob, key: jwt.encode(claims_for(ada), key, algorithm="HS384"),
    "bob's token with ada's id": lambda ada, bob, _key: tampered(bob.token, ada.id),
    "sub not an integer": lambda ada, _bob, key: jwt.encode(claims_for(ada, sub=ada.username), key),
    "sub missing": lambda ada, _bob, key: jwt.encode(claims_for(ada, sub=None), key),
    "sub zero": lambda ada, _bob, key: jwt.encode(claims_for(ada, sub="0"), key),
    "sub negative": lambda ada, _bob, key: jwt.encode(claims_for(ada, sub="-1"), key),
    "sub past 32 bits": lambda ada, _bob, key: jwt.encode(claims_for(ada, sub=str(2**31)), key),
    "sub past 64 bits": lambda ada, _bob, key: jwt.encode(claims_for(ada, sub="9" * 30), key),
    "sub of nobody": lambda ada, _bob, key: jwt.encode(claims_for(ada, sub=str(ada.id + 1000)), key),
    "exp missing": lambda ada, _bob, key: jwt.encode(claims_for(ada, exp=None), key),
    "sid missing": lambda ada, _bob, key: jwt.encode(claims_for(ada, sid=None), key),
    "sid a string": lambda ada, _bob, key: jwt.encode(claims_for(ada, sid=str(ada.session_id)), key),
    "sid a boolean": lambda ada, _bob, key: jwt.encode(claims_for(ada, sid=True), key),
    "sid zero": lambda ada, _bob, key: jwt.encode(claims_for(ada, sid=0), key),
    "sid past 32 bits": lambda ada, _bob, key: jwt.encode(claims_for(ada, sid=2**31), key),
    "sid of nobody": lambda ada, _bob, key: jwt.encode(claims_for(ada, sid=ada.session_id + 1000), key),
    "sid of bob's session": lambda ada, bob, key: jwt.encode(claims_for(ada, sid=bob.session_id), key),
    "iat missing": lambda ada, _bob, key: jwt.encode(claims_for(ada, iat=None), key),
    "iat not a time": lambda ada, _bob, key: jwt.encode(claims_for(ada, iat="yesterday"), key),
    "iat in the future": lambda ada, _bob, key: jwt.encode(
        claims_for(ada, iat=(datetime.now(UTC) + timedelta(minutes=5)).timestamp()), key
    ),
}


def test_a_well_made_token_opens_me(client: TestClient, app: FastAPI, make_user: MakeUser) -> None:
    """The control for the forgeries below: the same recipe with nothing wrong in it is let in."""
    ada = make_user()

    response = client.get("/api/users/me", headers=bearer(jwt.encode(claims_for(ada), app.state.secret_key)))

    assert response.status_code == 200
    assert response.json()["id"] == ada.id


@pytest.mark.parametrize("forgery", FORGERIES.values(), ids=FORGERIES.keys())
def test_a_forged_or_malformed_token_is_401(
    client: TestClient, app: FastAPI, make_user: MakeUser, forgery: Forge
) -> None:
    ada, bob = make_user(), make_user()

    response = client.get("/api/users/me", headers=bearer(forgery(ada, bob, app.state.secret_key)))

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json() == {"detail": "Could not validate credentials"}


def test_no_token_is_401_on_me(client: TestClient) -> None:
    response = client.get("/api/users/me")

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("authorization", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "Token abc"])
def test_an_authorization_header_without_a_bearer_token_is_401_on_me(
    client: TestClient, authorization: str
) -> None:
    response = client.get("/api/users/me", headers={"Authorization": authorization})

    assert response.status_code == 401


def test_an_expired_token_is_401_though_a_younger_one_works(
    client: TestClient, app: FastAPI, make_user: MakeUser
) -> None:
    ada = make_user()
    key = app.state.secret_key
    now = datetime.now(UTC)
    expired = create_access_token(
        ada.id, ada.session_id, secret=key, expires_minutes=15, now=now - timedelta(minutes=16)
    )
    young = create_access_token(
        ada.id, ada.session_id, secret=key, expires_minutes=15, now=now - timedelta(minutes=14)
    )

    assert client.get("/api/users/me", headers=bearer(expired)).status_code == 401
    assert client.get("/api/users/me", headers=bearer(young)).status_code == 200


def test_a_deleted_users_token_gives_401_also_on_public_pages(
    client: TestClient, make_user: MakeUser
) -> None:
    ada = make_user()
    assert client.delete(f"/api/users/{ada.id}", headers=ada.headers).status_code == 204

    assert client.get("/api/posts/", headers=ada.headers).status_code == 401
    assert client.get("/api/posts/").status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/api/posts/",
        "/api/posts/published",
        "/api/tags/",
        "/api/posts/{post}",
        "/api/users/",
        "/api/users/{user}",
    ],
)
def test_a_bad_token_on_a_public_page_is_401_not_anonymous(
    client: TestClient, make_user: MakeUser, make_post: MakePost, path: str
) -> None:
    ada = make_user()
    url = path.format(post=make_post(ada)["id"], user=ada.id)

    response = client.get(url, headers=bearer("not-a-token"))

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert client.get(url).status_code == 200


def test_password_hashing_runs_in_threads_that_yield_the_cpu_to_the_event_loop() -> None:
    """A burst of logins must not starve other requests: the hashing threads run at a lower priority."""
    hashing = kaira.auth.hashing

    def own_priority() -> tuple[str, int]:
        return threading.current_thread().name, os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    name, priority = hashing._executor.submit(own_priority).result(timeout=10)

    assert name.startswith("kaira-argon2")
    assert priority == hashing.HASHING_NICENESS
    # the rest of the process, the event loop included, keeps its priority
    assert os.getpriority(os.PRIO_PROCESS, 0) < hashing.HASHING_NICENESS


def test_a_token_already_checked_is_still_refused_once_it_expires_or_under_another_key() -> None:
    secret, other = "s" * 48, "o" * 48
    issued = datetime.now(UTC)
    token = create_access_token(7, 3, secret=secret, expires_minutes=5, now=issued)

    first = read_access_token(token, secret=secret, now=issued)
    again = read_access_token(token, secret=secret, now=issued + timedelta(minutes=4))
    expired = read_access_token(token, secret=secret, now=issued + timedelta(minutes=5))
    forged_key = read_access_token(token, secret=other, now=issued)

    assert first == again == TokenClaims(user_id=7, session_id=3)
    assert expired is None
    assert forged_key is None
