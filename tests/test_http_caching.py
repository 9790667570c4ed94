"""Conditional reads as a browser or a proxy meets them: ETags, 304s, and who may keep a copy."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Account, MakeUser

MakePost = Callable[..., dict[str, Any]]


@pytest.fixture
def ada(make_user: MakeUser) -> Account:
    return make_user()


@pytest.fixture
def published(make_post: MakePost, ada: Account) -> dict[str, Any]:
    return make_post(ada, tags=["news"])


def _reads(post_id: int, user_id: int) -> list[str]:
    return [
        f"/api/posts/{post_id}",
        "/api/posts/",
        "/api/posts/published",
        f"/api/posts/?author_id={user_id}",
        f"/api/users/{user_id}",
        "/api/users/",
        "/api/tags/",
        "/feed.xml",
    ]


def test_every_read_has_an_etag_and_a_client_that_has_it_gets_a_304(
    client: TestClient, published: dict[str, Any], ada: Account
) -> None:
    for url in _reads(published["id"], ada.id):
        first = client.get(url)
        again = client.get(url, headers={"If-None-Match": first.headers["etag"]})

        assert first.status_code == 200, url
        assert first.headers["etag"].startswith('"'), url
        assert (again.status_code, again.content) == (304, b""), url
        assert again.headers["etag"] == first.headers["etag"]
        assert again.headers["cache-control"] == first.headers["cache-control"] == "no-cache"
        assert first.headers["vary"] == "Authorization"


def test_an_etag_changes_when_the_answer_does(
    client: TestClient, published: dict[str, Any], ada: Account
) -> None:
    url = f"/api/posts/{published['id']}"
    before = client.get(url).headers["etag"]
    page_before = client.get("/api/posts/").headers["etag"]

    client.put(url, json={"title": "Changed"}, headers=ada.headers)
    after = client.get(url, headers={"If-None-Match": before})

    assert after.status_code == 200
    assert after.json()["title"] == "Changed"
    assert after.headers["etag"] != before
    assert client.get("/api/posts/", headers={"If-None-Match": page_before}).status_code == 200


def test_if_none_match_lists_and_weak_tags_are_understood(
    client: TestClient, published: dict[str, Any]
) -> None:
    url = f"/api/posts/{published['id']}"
    etag = client.get(url).headers["etag"]

    assert client.get(url, headers={"If-None-Match": f'"other", W/{etag}'}).status_code == 304
    assert client.get(url, headers={"If-None-Match": "*"}).status_code == 304
    assert client.get(url, headers={"If-None-Match": '"stale"'}).status_code == 200


def test_answers_to_a_token_are_private(client: TestClient, published: dict[str, Any], ada: Account) -> None:
    """Only the token holder's own browser may keep them: they may hold an email."""
    me = client.get("/api/users/me", headers=ada.headers)
    profile = client.get(f"/api/users/{ada.id}", headers=ada.headers)
    post = client.get(f"/api/posts/{published['id']}", headers=ada.headers)

    assert me.json()["email"] == ada.email
    for answer in (me, profile, post):
        assert answer.headers["cache-control"] == "private, no-cache"
    assert (
        client.get("/api/users/me", headers={**ada.headers, "If-None-Match": me.headers["etag"]}).status_code
        == 304
    )


def test_no_cache_ever_keeps_a_draft(client: TestClient, make_post: MakePost, ada: Account) -> None:
    draft = make_post(ada, is_published=False)

    own_view = client.get(f"/api/posts/{draft['id']}", headers=ada.headers)
    own_list = client.get(f"/api/posts/?author_id={ada.id}", headers=ada.headers)
    public_list = client.get("/api/posts/")

    assert own_view.headers["cache-control"] == "no-store"
    assert own_list.headers["cache-control"] == "no-store"
    assert public_list.json() == []
    assert public_list.headers["cache-control"] == "no-cache"
