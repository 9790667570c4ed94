"""Accounts as their owners and everyone else see them: sign-up, privacy, updates, deletion, lists."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

import kaira.users.repository
from tests.conftest import PASSWORD, Account, MakeUser
from tests.helpers_pages import forged_cursor, next_url
from tests.helpers_sql import run_sql

MakePost = Callable[..., dict[str, Any]]

SIGN_UP = {
    "username": "ada",
    "email": "ada@example.com",
    "password": "analytical engine",
    "full_name": "Ada Lovelace",
}
PUBLIC_FIELDS = {"id", "username", "full_name", "is_active", "created_at", "updated_at"}
PRIVATE_FIELDS = PUBLIC_FIELDS | {"email"}
BAD_IDS = ["0", "-1", "abc", "1.5", str(2**31)]


def usernames(client: TestClient) -> list[str]:
    return [user["username"] for user in client.get("/api/users/?limit=100").json()]


# Sign-up


def test_sign_up_answers_201_with_the_email_and_no_trace_of_the_password(client: TestClient) -> None:
    response = client.post("/api/users/", json=SIGN_UP)

    assert response.status_code == 201
    body = response.json()
    assert set(body) == PRIVATE_FIELDS
    assert body["username"] == "ada"
    assert body["email"] == "ada@example.com"
    assert body["full_name"] == "Ada Lovelace"
    assert body["is_active"] is True
    assert SIGN_UP["password"] not in response.text
    assert "argon2" not in response.text
    assert datetime.fromisoformat(body["created_at"]).utcoffset() == timedelta(0)
    assert client.get(f"/api/users/{body['id']}").json()["username"] == "ada"


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"username": "a.b", "password": "p" * 8}, id="shortest username and password"),
        pytest.param(
            {
                "username": "A_z-9." + "x" * 44,
                "email": "a" * 59 + "@" + "b" * 36 + ".com",
                "full_name": "f" * 100,
                "password": "p" * 128,
            },
            id="every field at its longest",
        ),
    ],
)
def test_sign_up_accepts_values_at_the_limits(client: TestClient, fields: dict[str, str]) -> None:
    response = client.post("/api/users/", json={**SIGN_UP, **fields})

    assert response.status_code == 201, response.text
    assert response.json()["username"] == fields.get("username", "ada")


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"username": "ab"}, id="username too short"),
        pytest.param({"username": "a" * 51}, id="username too long"),
        pytest.param({"username": "ada lovelace"}, id="username with a space"),
        pytest.param({"username": "ada@home"}, id="username with @"),
        pytest.param({"username": "ada/x"}, id="username with a slash"),
        pytest.param({"email": "not-an-email"}, id="email not an address"),
        pytest.param({"email": "a" * 60 + "@" + "b" * 36 + ".com"}, id="email of 101 characters"),
        pytest.param({"full_name": "f" * 101}, id="full_name too long"),
        pytest.param({"password": "p" * 7}, id="password too short"),
        pytest.param({"password": "p" * 129}, id="password too long"),
        pytest.param({"username": None}, id="username null"),
        pytest.param({"is_superuser": True}, id="unknown field is_superuser"),
        pytest.param({"id": 7}, id="unknown field id"),
    ],
)
def test_sign_up_refuses_values_outside_the_limits_and_stores_nothing(
    client: TestClient, fields: dict[str, Any]
) -> None:
    response = client.post("/api/users/", json={**SIGN_UP, **fields})

    assert response.status_code == 422
    assert isinstance(response.json()["detail"], list)
    assert usernames(client) == []


@pytest.mark.parametrize("missing", ["username", "email", "password"])
def test_sign_up_without_a_required_field_is_422(client: TestClient, missing: str) -> None:
    body = {key: value for key, value in SIGN_UP.items() if key != missing}

    response = client.post("/api/users/", json=body)

    assert response.status_code == 422
    assert usernames(client) == []


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({**SIGN_UP, "password": "secret7"}, id="password too short"),
        pytest.param({key: v for key, v in SIGN_UP.items() if key != "email"}, id="missing email"),
    ],
)
def test_a_refused_sign_up_never_echoes_the_password(client: TestClient, body: dict[str, str]) -> None:
    response = client.post("/api/users/", json=body)

    assert response.status_code == 422
    assert body["password"] not in response.text


@pytest.mark.parametrize("spelling", ["grace@example.com", "GRACE@Example.Com"])
def test_sign_up_with_a_taken_email_in_any_case_is_400_naming_the_email(
    client: TestClient, make_user: MakeUser, spelling: str
) -> None:
    grace = make_user(username="grace")

    response = client.post("/api/users/", json={**SIGN_UP, "email": spelling})

    assert response.status_code == 400
    assert "email" in response.json()["detail"].lower()
    assert usernames(client) == [grace.username]


def test_sign_up_with_a_taken_username_is_400_naming_the_username(
    client: TestClient, make_user: MakeUser
) -> None:
    make_user(username="ada")

    response = client.post("/api/users/", json={**SIGN_UP, "email": "other@example.com"})

    assert response.status_code == 400
    assert "username" in response.json()["detail"].lower()
    users = client.get("/api/users/").json()
    assert [user["username"] for user in users] == ["ada"]
    assert "email" not in users[0]


@pytest.mark.parametrize(
    ("clash", "detail"),
    [
        ({"email": "FIRST@example.com"}, "Email already registered"),
        ({"username": "first"}, "Username already taken"),
    ],
)
def test_a_sign_up_that_loses_a_race_is_400_naming_the_field_not_500(
    client: TestClient,
    make_user: MakeUser,
    monkeypatch: pytest.MonkeyPatch,
    clash: dict[str, str],
    detail: str,
) -> None:
    """The early check passes, then the other sign-up's row makes the insert break a unique index."""
    make_user(username="first")
    real_check = kaira.users.repository.taken_field
    calls = 0

    async def check_that_comes_too_early(*args: Any, **kwargs: Any) -> str | None:
        nonlocal calls
        calls += 1
        return None if calls == 1 else await real_check(*args, **kwargs)

    monkeypatch.setattr(kaira.users.repository, "taken_field", check_that_comes_too_early)

    response = client.post("/api/users/", json={**SIGN_UP, **clash})

    assert response.status_code == 400
    assert response.json()["detail"] == detail
    assert calls == 2
    assert usernames(client) == ["first"]


# Privacy of the email


@pytest.fixture
def cast(make_user: MakeUser) -> dict[str, Account]:
    return {"ada": make_user(), "bob": make_user(), "root": make_user(superuser=True)}


@pytest.mark.parametrize(
    ("viewer", "sees_email"),
    [("ada", True), ("root", True), ("bob", False), (None, False)],
)
def test_a_users_email_is_seen_only_by_themself_and_superusers(
    client: TestClient, cast: dict[str, Account], viewer: str | None, sees_email: bool
) -> None:
    ada = cast["ada"]
    headers = cast[viewer].headers if viewer else {}

    body = client.get(f"/api/users/{ada.id}", headers=headers).json()

    assert set(body) == (PRIVATE_FIELDS if sees_email else PUBLIC_FIELDS)
    assert (body.get("email") == ada.email) is sees_email


@pytest.mark.parametrize(
    ("viewer", "emails_seen"),
    [("ada", {"ada"}), ("root", {"ada", "bob", "root"}), ("bob", {"bob"}), (None, set())],
)
def test_the_user_list_shows_only_the_emails_the_viewer_may_see(
    client: TestClient, cast: dict[str, Account], viewer: str | None, emails_seen: set[str]
) -> None:
    headers = cast[viewer].headers if viewer else {}

    users = client.get("/api/users/", headers=headers).json()

    assert len(users) == 3
    names = {account.id: name for name, account in cast.items()}
    assert {names[user["id"]] for user in users if "email" in user} == emails_seen
    for user in users:
        if "email" in user:
            assert user["email"] == cast[names[user["id"]]].email


def test_me_shows_the_callers_own_email(client: TestClient, cast: dict[str, Account]) -> None:
    body = client.get("/api/users/me", headers=cast["root"].headers).json()

    assert set(body) == PRIVATE_FIELDS
    assert body["email"] == cast["root"].email


@pytest.mark.parametrize("viewer", ["bob", None])
def test_a_posts_author_never_shows_the_email_to_others(
    client: TestClient, cast: dict[str, Account], make_post: MakePost, viewer: str | None
) -> None:
    post = make_post(cast["ada"])
    headers = cast[viewer].headers if viewer else {}

    one = client.get(f"/api/posts/{post['id']}", headers=headers).json()
    listed = client.get("/api/posts/", headers=headers).json()
    published = client.get("/api/posts/published", headers=headers).json()

    for seen in (one, listed[0], published[0]):
        assert seen["author"]["id"] == cast["ada"].id
        assert "email" not in seen["author"]
    assert cast["ada"].email not in str(listed)
    assert "email" not in post["author"]


# Updates


def test_updating_without_a_token_is_401_and_changes_nothing(client: TestClient, make_user: MakeUser) -> None:
    ada = make_user()

    response = client.put(f"/api/users/{ada.id}", json={"full_name": "Mallory"})

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert client.get(f"/api/users/{ada.id}").json()["full_name"] is None


def test_updating_someone_else_is_403_and_changes_nothing(client: TestClient, make_user: MakeUser) -> None:
    ada, bob = make_user(), make_user()

    response = client.put(f"/api/users/{ada.id}", json={"email": "bob@evil.example"}, headers=bob.headers)

    assert response.status_code == 403
    assert client.get("/api/users/me", headers=ada.headers).json()["email"] == ada.email


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_a_member_gets_404_for_a_missing_account_and_403_for_someone_elses(
    client: TestClient, make_user: MakeUser, method: str
) -> None:
    bob = make_user()
    alice = make_user()

    missing = client.request(
        method, f"/api/users/{alice.id + 1000}", json={"full_name": "N"}, headers=bob.headers
    )
    someone_else = client.request(
        method, f"/api/users/{alice.id}", json={"full_name": "N"}, headers=bob.headers
    )

    assert (missing.status_code, missing.json()) == (404, {"detail": "User not found"})
    assert someone_else.status_code == 403
    assert client.get(f"/api/users/{alice.id}").json()["full_name"] != "N"
    assert client.get("/api/users/me", headers=bob.headers).status_code == 200


def test_updating_a_missing_user_is_404(client: TestClient, make_user: MakeUser) -> None:
    root = make_user(superuser=True)

    response = client.put(f"/api/users/{root.id + 1000}", json={"full_name": "Nobody"}, headers=root.headers)

    assert response.status_code == 404
    assert response.json() == {"detail": "User not found"}


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_without_a_token_a_missing_user_is_401_not_404(client: TestClient, method: str) -> None:
    response = client.request(method, "/api/users/4242", json={"full_name": "Nobody"})

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
@pytest.mark.parametrize("bad_id", BAD_IDS)
def test_a_user_id_that_is_not_a_positive_32_bit_integer_is_422(
    client: TestClient, make_user: MakeUser, method: str, bad_id: str
) -> None:
    root = make_user(superuser=True)

    response = client.request(method, f"/api/users/{bad_id}", json={"full_name": "x"}, headers=root.headers)

    assert response.status_code == 422
    assert client.get(f"/api/users/{root.id}").status_code == 200


def test_a_superuser_may_update_anyone(client: TestClient, make_user: MakeUser) -> None:
    ada, root = make_user(), make_user(superuser=True)

    response = client.put(
        f"/api/users/{ada.id}",
        json={"full_name": "Countess", "email": "countess@example.com"},
        headers=root.headers,
    )

    assert response.status_code == 200
    assert response.json()["email"] == "countess@example.com"
    me = client.get("/api/users/me", headers=ada.headers).json()
    assert (me["full_name"], me["email"]) == ("Countess", "countess@example.com")


@pytest.mark.parametrize("spelling", ["grace@example.com", "Grace@EXAMPLE.com"])
def test_changing_the_email_to_a_taken_one_in_any_case_is_400(
    client: TestClient, make_user: MakeUser, spelling: str
) -> None:
    make_user(username="grace")
    bob = make_user()

    response = client.put(f"/api/users/{bob.id}", json={"email": spelling}, headers=bob.headers)

    assert response.status_code == 400
    assert "email" in response.json()["detail"].lower()
    assert client.get("/api/users/me", headers=bob.headers).json()["email"] == bob.email


def test_rewriting_ones_own_email_in_another_case_is_no_conflict(
    client: TestClient, make_user: MakeUser
) -> None:
    ada = make_user()

    response = client.put(f"/api/users/{ada.id}", json={"email": ada.email.upper()}, headers=ada.headers)

    assert response.status_code == 200
    assert response.json()["email"].lower() == ada.email


def test_an_email_change_that_loses_a_race_is_400_not_500(
    client: TestClient, make_user: MakeUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Even when the other row is gone by the time the service asks which field clashed."""
    make_user(username="taken")
    bob = make_user()

    async def no_duplicate_seen(*_args: Any, **_kwargs: Any) -> None:
        return None

    monkeypatch.setattr(kaira.users.repository, "taken_field", no_duplicate_seen)

    response = client.put(f"/api/users/{bob.id}", json={"email": "taken@example.com"}, headers=bob.headers)

    assert response.status_code == 400
    assert "email" in response.json()["detail"].lower()
    assert client.get("/api/users/me", headers=bob.headers).json()["email"] == bob.email


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"username": "renamed"}, id="username cannot be changed"),
        pytest.param({"is_superuser": True}, id="no self-promotion"),
        pytest.param({"is_active": False}, id="is_active is not the user's to set"),
        pytest.param({"email": "nope"}, id="invalid email"),
        pytest.param({"full_name": "f" * 101}, id="full_name too long"),
        pytest.param({"password": "short"}, id="password too short"),
    ],
)
def test_an_update_outside_the_allowed_fields_and_limits_is_422(
    client: TestClient, make_user: MakeUser, body: dict[str, Any]
) -> None:
    ada = make_user()
    before = client.get("/api/users/me", headers=ada.headers).json()

    response = client.put(f"/api/users/{ada.id}", json=body, headers=ada.headers)

    assert response.status_code == 422
    assert client.get("/api/users/me", headers=ada.headers).json() == before


def test_a_password_change_retires_the_old_password(client: TestClient, make_user: MakeUser) -> None:
    ada = make_user()
    new_password = "a much better passphrase"

    response = client.put(f"/api/users/{ada.id}", json={"password": new_password}, headers=ada.headers)

    assert response.status_code == 200
    assert new_password not in response.text
    old = client.post("/api/auth/token", data={"username": ada.username, "password": PASSWORD})
    new = client.post("/api/auth/token", data={"username": ada.username, "password": new_password})
    assert old.status_code == 401
    assert new.status_code == 200


def test_an_update_moves_updated_at_forward_and_keeps_created_at(
    client: TestClient, make_user: MakeUser
) -> None:
    ada = make_user()
    before = client.get("/api/users/me", headers=ada.headers).json()

    after = client.put(f"/api/users/{ada.id}", json={"full_name": "Ada"}, headers=ada.headers).json()

    assert after["created_at"] == before["created_at"]
    assert datetime.fromisoformat(after["updated_at"]) > datetime.fromisoformat(before["updated_at"])
    assert datetime.fromisoformat(after["updated_at"]).utcoffset() == timedelta(0)
    assert client.get(f"/api/users/{ada.id}").json()["updated_at"] == after["updated_at"]


def test_a_partial_update_keeps_the_fields_it_does_not_name(client: TestClient, make_user: MakeUser) -> None:
    ada = make_user()

    client.put(f"/api/users/{ada.id}", json={"full_name": "Ada Lovelace"}, headers=ada.headers)
    response = client.put(f"/api/users/{ada.id}", json={"email": "countess@example.com"}, headers=ada.headers)

    body = response.json()
    assert response.status_code == 200
    assert (body["username"], body["full_name"], body["email"]) == (
        ada.username,
        "Ada Lovelace",
        "countess@example.com",
    )
    assert client.get("/api/users/me", headers=ada.headers).json() == body


def test_null_for_the_email_or_password_leaves_them_as_they_were(
    client: TestClient, make_user: MakeUser
) -> None:
    ada = make_user()

    response = client.put(f"/api/users/{ada.id}", json={"email": None, "password": None}, headers=ada.headers)

    assert response.status_code == 200
    assert response.json()["email"] == ada.email
    assert (
        client.post("/api/auth/token", data={"username": ada.email, "password": PASSWORD}).status_code == 200
    )


def test_full_name_can_be_cleared_with_null(client: TestClient, make_user: MakeUser) -> None:
    ada = make_user()
    client.put(f"/api/users/{ada.id}", json={"full_name": "Ada"}, headers=ada.headers)

    response = client.put(f"/api/users/{ada.id}", json={"full_name": None}, headers=ada.headers)

    assert response.status_code == 200
    assert client.get(f"/api/users/{ada.id}").json()["full_name"] is None


# Deletion


def test_deleting_without_a_token_is_401(client: TestClient, make_user: MakeUser) -> None:
    ada = make_user()

    assert client.delete(f"/api/users/{ada.id}").status_code == 401
    assert client.get(f"/api/users/{ada.id}").status_code == 200


def test_deleting_someone_else_is_403(client: TestClient, make_user: MakeUser) -> None:
    ada, bob = make_user(), make_user()

    assert client.delete(f"/api/users/{ada.id}", headers=bob.headers).status_code == 403
    assert client.get(f"/api/users/{ada.id}").status_code == 200


def test_deleting_a_missing_user_is_404(client: TestClient, make_user: MakeUser) -> None:
    root = make_user(superuser=True)

    response = client.delete(f"/api/users/{root.id + 1000}", headers=root.headers)

    assert response.status_code == 404
    assert response.json() == {"detail": "User not found"}


def test_a_user_may_delete_their_own_account(client: TestClient, make_user: MakeUser) -> None:
    ada, bob = make_user(), make_user()

    response = client.delete(f"/api/users/{ada.id}", headers=ada.headers)

    assert response.status_code == 204
    assert response.content == b""
    assert client.get(f"/api/users/{ada.id}").status_code == 404
    assert usernames(client) == [bob.username]


def test_a_superuser_may_delete_anyone(client: TestClient, make_user: MakeUser) -> None:
    ada, root = make_user(), make_user(superuser=True)

    assert client.delete(f"/api/users/{ada.id}", headers=root.headers).status_code == 204
    assert client.get(f"/api/users/{ada.id}").status_code == 404


def test_a_deleted_users_posts_and_drafts_go_with_them(
    client: TestClient, make_user: MakeUser, make_post: MakePost
) -> None:
    ada, bob, root = make_user(), make_user(), make_user(superuser=True)
    gone = [make_post(ada, tags=["farewell"]), make_post(ada, is_published=False)]
    kept = make_post(bob)

    assert client.delete(f"/api/users/{ada.id}", headers=ada.headers).status_code == 204

    for post in gone:
        assert client.get(f"/api/posts/{post['id']}", headers=root.headers).status_code == 404
    assert [post["id"] for post in client.get("/api/posts/", headers=root.headers).json()] == [kept["id"]]
    assert client.get("/api/tags/").json() == []


def test_the_database_itself_removes_the_posts_of_a_deleted_user(
    client: TestClient, app: FastAPI, make_user: MakeUser, make_post: MakePost
) -> None:
    """A row deleted outside the service (a DBA, another tool) takes its posts along too."""
    ada = make_user()
    post = make_post(ada)

    run_sql(client, app, "DELETE FROM users WHERE id = :id", id=ada.id)

    assert client.get(f"/api/posts/{post['id']}").status_code == 404
    assert run_sql(client, app, "SELECT count(*) FROM posts") == [(0,)]


def test_a_deleted_users_token_stops_working(client: TestClient, make_user: MakeUser) -> None:
    ada = make_user()
    client.delete(f"/api/users/{ada.id}", headers=ada.headers)

    response = client.get("/api/users/me", headers=ada.headers)

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


def test_a_deleted_users_token_does_not_open_the_next_account(
    client: TestClient, make_user: MakeUser
) -> None:
    """SQLite gives the highest id out again once it is free: the old token must not follow it."""
    ada = make_user()
    client.delete(f"/api/users/{ada.id}", headers=ada.headers)
    eve = make_user()

    response = client.get("/api/users/me", headers=ada.headers)

    assert response.status_code == 401
    assert client.get("/api/users/me", headers=eve.headers).json()["username"] == eve.username


# The list of users


@pytest.fixture
def seven(make_user: MakeUser) -> list[Account]:
    return [make_user() for _ in range(7)]


def test_the_user_list_pages_with_skip_and_limit_in_signup_order(
    client: TestClient, seven: list[Account]
) -> None:
    ids = [account.id for account in seven]

    assert [user["id"] for user in client.get("/api/users/").json()] == ids
    assert [user["id"] for user in client.get("/api/users/?limit=3").json()] == ids[:3]
    assert [user["id"] for user in client.get("/api/users/?skip=3&limit=3").json()] == ids[3:6]
    assert [user["id"] for user in client.get("/api/users/?skip=6&limit=3").json()] == ids[6:]
    assert client.get("/api/users/?skip=7").json() == []


def test_the_user_list_defaults_to_ten(client: TestClient, make_user: MakeUser) -> None:
    for _ in range(11):
        make_user()

    response = client.get("/api/users/")

    assert len(response.json()) == 10
    assert next_url(response) is not None


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "skip=-1", "limit=ten", "skip=x"])
def test_out_of_range_paging_is_422(client: TestClient, query: str) -> None:
    assert client.get(f"/api/users/?{query}").status_code == 422


def test_a_page_with_more_behind_it_links_to_the_next(client: TestClient, seven: list[Account]) -> None:
    middle = client.get("/api/users/?skip=3&limit=3")
    last = client.get("/api/users/?skip=4&limit=3")

    url = next_url(middle)
    assert url is not None
    assert "cursor=" in url
    assert "limit=3" in url
    assert next_url(last) is None


def test_following_the_links_visits_every_user_exactly_once(client: TestClient, seven: list[Account]) -> None:
    seen: list[int] = []
    url: str | None = "/api/users/?limit=3"
    pages = 0
    while url is not None:
        response = client.get(url)
        assert response.status_code == 200
        seen += [user["id"] for user in response.json()]
        url = next_url(response)
        pages += 1

    assert seen == [account.id for account in seven]
    assert pages == 3


def test_the_link_keeps_the_viewers_privacy(client: TestClient, seven: list[Account]) -> None:
    ada = seven[4]
    url = next_url(client.get("/api/users/?limit=3", headers=ada.headers))
    assert url is not None

    page = client.get(url, headers=ada.headers).json()

    assert [user["id"] for user in page] == [account.id for account in seven[3:6]]
    assert [user["id"] for user in page if "email" in user] == [ada.id]


@pytest.mark.parametrize(
    "cursor",
    [
        pytest.param("%%%", id="not base64"),
        pytest.param("AAAA", id="base64 of bytes that are not JSON"),
        pytest.param(forged_cursor({"after": 1}), id="an object"),
        pytest.param(forged_cursor([]), id="an empty list"),
        pytest.param(forged_cursor(["users"]), id="no key"),
        pytest.param(forged_cursor(["users", 1, 2]), id="one value too many"),
        pytest.param(forged_cursor(["users", "3"]), id="a string id"),
        pytest.param(forged_cursor(["users", True]), id="a boolean id"),
        pytest.param(forged_cursor(["users", 2**40]), id="an id past 32 bits"),
        pytest.param(forged_cursor(["posts", "2026-01-01T00:00:00+00:00", 1]), id="a posts cursor"),
        pytest.param(forged_cursor(["tags", 3, "python"]), id="a tags cursor"),
        pytest.param("A" * 600, id="far too long"),
    ],
)
def test_a_malformed_or_foreign_cursor_is_422(client: TestClient, seven: list[Account], cursor: str) -> None:
    response = client.get("/api/users/", params={"cursor": cursor})

    assert response.status_code == 422


def test_cursors_from_the_post_and_tag_lists_are_refused(
    client: TestClient, make_user: MakeUser, make_post: MakePost
) -> None:
    ada = make_user()
    make_post(ada, tags=["one"])
    make_post(ada, tags=["two"])
    posts_next = next_url(client.get("/api/posts/?limit=1"))
    tags_next = next_url(client.get("/api/tags/?limit=1"))
    assert posts_next is not None
    assert tags_next is not None

    for foreign in (posts_next, tags_next):
        cursor = foreign.split("cursor=")[1].split("&")[0]
        response = client.get(f"/api/users/?cursor={cursor}")
        assert response.status_code == 422
        assert "another list" in response.json()["detail"][0]["msg"]
