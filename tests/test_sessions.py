"""Sessions as an attacker meets them: stolen refresh tokens, and tokens that outlive what ended them.

Every test here speaks HTTP to the app in process; the database is looked at only to see what is
kept (hashes, not tokens) and to do what has no endpoint (deactivating an account).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, insert, select, update

from kaira.auth import repository
from kaira.auth.models import LoginSession
from kaira.database.base import utcnow
from kaira.users.models import User
from tests.conftest import PASSWORD, POST, Account, MakeUser
from tests.helpers_sql import run_sql

MakePost = Callable[..., dict[str, Any]]
NEW_PASSWORD = "a brand new passphrase"


def log_in(client: TestClient, login: str, password: str = PASSWORD, **headers: str) -> dict[str, Any]:
    response = client.post("/api/auth/token", data={"username": login, "password": password}, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def refresh(client: TestClient, refresh_token: str) -> Any:
    return client.post(
        "/api/auth/token", data={"grant_type": "refresh_token", "refresh_token": refresh_token}
    )


def bearer(pair: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {pair['access_token']}"}


def me(client: TestClient, pair: dict[str, Any]) -> int:
    return client.get("/api/users/me", headers=bearer(pair)).status_code


# Refresh


def test_a_refresh_gives_a_new_pair_and_spends_the_old_refresh_token(
    client: TestClient, make_user: MakeUser
) -> None:
    ada = make_user()
    first = log_in(client, ada.username)

    response = refresh(client, first["refresh_token"])

    assert response.status_code == 200
    second = response.json()
    assert set(second) == {"access_token", "token_type", "expires_in", "refresh_token"}
    assert second["refresh_token"] != first["refresh_token"]
    assert me(client, second) == 200
    third = refresh(client, second["refresh_token"])
    assert third.status_code == 200
    assert me(client, third.json()) == 200


def test_a_stolen_refresh_token_used_after_its_owner_refreshed_ends_the_session_for_both(
    client: TestClient, make_user: MakeUser
) -> None:
    ada = make_user()
    pair = log_in(client, ada.username)
    stolen = pair["refresh_token"]
    owners = refresh(client, stolen).json()

    thief = refresh(client, stolen)

    assert thief.status_code == 401
    assert thief.headers["www-authenticate"] == "Bearer"
    assert me(client, owners) == 401
    assert refresh(client, owners["refresh_token"]).status_code == 401
    assert me(client, pair) == 401


def test_a_thief_who_refreshes_first_loses_the_session_when_the_owner_comes_back(
    client: TestClient, make_user: MakeUser
) -> None:
    ada = make_user()
    pair = log_in(client, ada.username)
    thiefs = refresh(client, pair["refresh_token"]).json()

    owner = refresh(client, pair["refresh_token"])

    assert owner.status_code == 401
    assert me(client, thiefs) == 401
    assert refresh(client, thiefs["refresh_token"]).status_code == 401


def test_an_old_refresh_token_from_generations_ago_is_recognised_too(
    client: TestClient, make_user: MakeUser
) -> None:
    ada = make_user()
    first = log_in(client, ada.username)
    latest = first
    for _ in range(3):
        latest = refresh(client, latest["refresh_token"]).json()

    assert refresh(client, first["refresh_token"]).status_code == 401
    assert me(client, latest) == 401


def test_two_refreshes_racing_with_one_token_are_one_winner_and_a_theft(
    client: TestClient, make_user: MakeUser
) -> None:
    """Sent twice at once, a refresh token is still spent once: the loser is taken for the thief."""
    ada = make_user()
    token = log_in(client, ada.username)["refresh_token"]

    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(pool.map(lambda _: refresh(client, token), range(2)))

    assert sorted(answer.status_code for answer in answers) == [200, 401]
    (winner,) = [answer.json() for answer in answers if answer.status_code == 200]
    assert me(client, winner) == 401


def test_a_theft_ends_only_that_session(client: TestClient, make_user: MakeUser) -> None:
    ada = make_user()
    phone, laptop = log_in(client, ada.username), log_in(client, ada.username)
    refresh(client, phone["refresh_token"])

    assert refresh(client, phone["refresh_token"]).status_code == 401

    assert me(client, laptop) == 200


@pytest.mark.parametrize(
    "made_up",
    [
        pytest.param(lambda token: token[:-2] + ("AA" if not token.endswith("AA") else "BB"), id="bad mac"),
        pytest.param(lambda token: "0." + token.split(".", 1)[1], id="other session"),
        pytest.param(lambda token: token.replace(".", ".9", 2), id="other generation"),
        pytest.param(lambda _token: "not-a-token", id="garbage"),
        pytest.param(lambda _token: "1.0.x.", id="empty mac"),
        pytest.param(lambda _token: "한국어.0.x.y", id="not ascii"),
    ],
)
def test_a_made_up_refresh_token_is_401_and_ends_nothing(
    client: TestClient, make_user: MakeUser, made_up: Callable[[str], str]
) -> None:
    """Only a token the service issued can be taken for a spent one: nobody can end another's session
    by guessing its id."""
    ada = make_user()
    pair = log_in(client, ada.username)
    refreshed = refresh(client, pair["refresh_token"]).json()

    response = refresh(client, made_up(refreshed["refresh_token"]))

    assert response.status_code == 401
    assert me(client, refreshed) == 200
    assert refresh(client, refreshed["refresh_token"]).status_code == 200


def test_a_refresh_grant_without_its_token_is_a_422_naming_the_field(client: TestClient) -> None:
    response = client.post("/api/auth/token", data={"grant_type": "refresh_token"})

    assert response.status_code == 422
    assert [error["loc"] for error in response.json()["detail"]] == [["body", "refresh_token"]]


def test_an_expired_session_refreshes_nothing_and_its_access_token_is_refused(
    client: TestClient, app: FastAPI, make_user: MakeUser
) -> None:
    ada = make_user()
    pair = log_in(client, ada.username)
    past = utcnow() - timedelta(seconds=1)
    run_sql(client, app, update(LoginSession).where(LoginSession.user_id == ada.id).values(expires_at=past))

    assert me(client, pair) == 401
    assert refresh(client, pair["refresh_token"]).status_code == 401


def test_the_refresh_token_lifetime_comes_from_the_settings(
    client: TestClient, app: FastAPI, make_user: MakeUser
) -> None:
    ada = make_user()
    before = utcnow()

    log_in(client, ada.username)

    (expires,) = run_sql(
        client, app, select(func.max(LoginSession.expires_at)).where(LoginSession.user_id == ada.id)
    )[0]
    assert timedelta(days=30) <= expires - before < timedelta(days=30, minutes=1)


def test_the_database_keeps_the_refresh_tokens_hash_never_the_token(
    client: TestClient, app: FastAPI, make_user: MakeUser
) -> None:
    ada = make_user()
    pair = log_in(client, ada.username, **{"User-Agent": "kaira-tests/1.0"})

    rows = run_sql(
        client, app, select(LoginSession).where(LoginSession.user_id == ada.id).order_by(LoginSession.id)
    )

    kept = rows[-1]
    secret = pair["refresh_token"].split(".")[2]
    assert secret not in " ".join(map(str, kept))
    assert any(value == "kaira-tests/1.0" for value in kept)
    assert any(value == "testclient" for value in kept)  # the client address TestClient gives


def test_a_refresh_marks_when_the_session_was_last_used(
    client: TestClient, app: FastAPI, make_user: MakeUser
) -> None:
    ada = make_user()
    pair = log_in(client, ada.username)
    long_ago = utcnow() - timedelta(hours=1)
    run_sql(
        client, app, update(LoginSession).where(LoginSession.user_id == ada.id).values(last_used_at=long_ago)
    )

    refresh(client, pair["refresh_token"])

    used = run_sql(
        client, app, select(func.max(LoginSession.last_used_at)).where(LoginSession.user_id == ada.id)
    )
    assert used[0][0] > long_ago + timedelta(minutes=59)


def test_ended_and_expired_sessions_are_purged_by_log_ins_a_batch_at_a_time(
    client: TestClient, app: FastAPI, make_user: MakeUser
) -> None:
    ada = make_user()
    past = utcnow() - timedelta(days=1)
    stale = {
        "user_id": ada.id,
        "created_at": past,
        "last_used_at": past,
        "expires_at": past,
        "refresh_token_hash": "0" * 64,
        "generation": 0,
    }
    stale_count = repository.PURGE_BATCH + 20
    run_sql(client, app, insert(LoginSession).values([stale] * stale_count))

    def sessions() -> int:
        return int(run_sql(client, app, select(func.count()).select_from(LoginSession))[0][0])

    assert sessions() == stale_count + 1
    log_in(client, ada.username)
    assert sessions() == 20 + 2  # a batch purged; the fixture's session and the new one live on
    log_in(client, ada.username)
    assert sessions() == 3


# Log-out


def test_log_out_ends_the_session_its_access_and_its_refresh_token(
    client: TestClient, make_user: MakeUser
) -> None:
    ada = make_user()
    pair = log_in(client, ada.username)

    response = client.post("/api/auth/logout", headers=bearer(pair))

    assert response.status_code == 204
    assert me(client, pair) == 401
    assert refresh(client, pair["refresh_token"]).status_code == 401
    assert client.get("/api/users/me", headers=ada.headers).status_code == 200  # another session of ada


def test_log_out_without_a_token_is_401(client: TestClient) -> None:
    assert client.post("/api/auth/logout").status_code == 401


# A password change, deactivation, deletion


def test_a_new_password_ends_the_other_sessions_and_keeps_the_one_that_set_it(
    client: TestClient, make_user: MakeUser
) -> None:
    ada = make_user()
    laptop, phone = log_in(client, ada.username), log_in(client, ada.username)

    changed = client.put(f"/api/users/{ada.id}", json={"password": NEW_PASSWORD}, headers=bearer(laptop))

    assert changed.status_code == 200
    assert me(client, laptop) == 200
    assert me(client, phone) == 401
    assert refresh(client, phone["refresh_token"]).status_code == 401
    assert refresh(client, laptop["refresh_token"]).status_code == 200
    assert client.get("/api/users/me", headers=ada.headers).status_code == 401


def test_changing_only_the_name_ends_no_session(client: TestClient, make_user: MakeUser) -> None:
    ada = make_user()
    phone = log_in(client, ada.username)

    client.put(f"/api/users/{ada.id}", json={"full_name": "Ada L."}, headers=ada.headers)

    assert me(client, phone) == 200


def test_a_superuser_setting_a_password_ends_every_session_of_that_user(
    client: TestClient, make_user: MakeUser
) -> None:
    root, ada = make_user(superuser=True), make_user()

    client.put(f"/api/users/{ada.id}", json={"password": NEW_PASSWORD}, headers=root.headers)

    assert client.get("/api/users/me", headers=ada.headers).status_code == 401
    assert client.get("/api/users/me", headers=root.headers).status_code == 200


def test_a_deactivated_account_cannot_refresh(client: TestClient, app: FastAPI, make_user: MakeUser) -> None:
    ada = make_user()
    pair = log_in(client, ada.username)
    run_sql(client, app, update(User).where(User.id == ada.id).values(is_active=False))

    assert refresh(client, pair["refresh_token"]).status_code == 401


def test_a_deleted_account_takes_its_sessions_with_it(
    client: TestClient, app: FastAPI, make_user: MakeUser
) -> None:
    ada = make_user()
    pair = log_in(client, ada.username)

    assert client.delete(f"/api/users/{ada.id}", headers=bearer(pair)).status_code == 204

    left = run_sql(
        client, app, select(func.count()).select_from(LoginSession).where(LoginSession.user_id == ada.id)
    )
    assert left == [(0,)]
    assert refresh(client, pair["refresh_token"]).status_code == 401


# Every endpoint that takes a token refuses one whose session ended


def _log_out(client: TestClient, app: FastAPI, ada: Account) -> None:
    assert client.post("/api/auth/logout", headers=ada.headers).status_code == 204


def _new_password_elsewhere(client: TestClient, app: FastAPI, ada: Account) -> None:
    other = log_in(client, ada.username)
    response = client.put(f"/api/users/{ada.id}", json={"password": NEW_PASSWORD}, headers=bearer(other))
    assert response.status_code == 200


def _deactivate(client: TestClient, app: FastAPI, ada: Account) -> None:
    run_sql(client, app, update(User).where(User.id == ada.id).values(is_active=False))


def _delete(client: TestClient, app: FastAPI, ada: Account) -> None:
    assert client.delete(f"/api/users/{ada.id}", headers=ada.headers).status_code == 204


ENDINGS = {
    "log-out": _log_out,
    "password changed elsewhere": _new_password_elsewhere,
    "deactivated": _deactivate,
    "deleted": _delete,
}
ENDPOINTS = [
    ("GET", "/api/users/me", None),
    ("GET", "/api/users/", None),
    ("GET", "/api/users/{user}", None),
    ("PUT", "/api/users/{user}", {"full_name": "Mallory"}),
    ("DELETE", "/api/users/{user}", None),
    ("GET", "/api/posts/", None),
    ("POST", "/api/posts/", POST),
    ("GET", "/api/posts/published", None),
    ("GET", "/api/posts/{post}", None),
    ("PUT", "/api/posts/{post}", {"title": "Mine now"}),
    ("DELETE", "/api/posts/{post}", None),
    ("GET", "/api/tags/", None),
    ("POST", "/api/auth/logout", None),
]


@pytest.mark.parametrize("ending", ENDINGS.values(), ids=ENDINGS.keys())
@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS, ids=[f"{m} {p}" for m, p, _ in ENDPOINTS])
def test_an_access_token_whose_session_ended_is_401_on_every_endpoint_that_takes_one(
    client: TestClient,
    app: FastAPI,
    make_user: MakeUser,
    make_post: MakePost,
    ending: Callable[[TestClient, FastAPI, Account], None],
    method: str,
    path: str,
    body: dict[str, Any] | None,
) -> None:
    """The resources belong to bob, so they outlive ada; carol's live token shows the same request is
    answered otherwise (200, 201, 204 or 403), so only the ended session makes it a 401."""
    ada, bob, carol = make_user(), make_user(), make_user()
    url = path.format(user=bob.id, post=make_post(bob)["id"])
    ending(client, app, ada)

    refused = client.request(method, url, json=body, headers=ada.headers)
    control = client.request(method, url, json=body, headers=carol.headers)

    assert refused.status_code == 401
    assert refused.json() == {"detail": "Could not validate credentials"}
    assert control.status_code != 401


def test_an_ended_sessions_token_gets_401_not_304_for_what_it_has_cached(
    client: TestClient, make_user: MakeUser
) -> None:
    ada = make_user()
    seen = client.get("/api/users/me", headers=ada.headers)
    client.post("/api/auth/logout", headers=ada.headers)

    again = client.get("/api/users/me", headers={**ada.headers, "If-None-Match": seen.headers["etag"]})

    assert seen.status_code == 200
    assert again.status_code == 401
