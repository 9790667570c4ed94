"""The tag cloud: which tags the public can see, and how often each is used."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.conftest import MakeUser
from tests.helpers_posts import count_rows

MakePost = Callable[..., dict[str, Any]]


def test_no_posts_no_tags(client: TestClient) -> None:
    response = client.get("/api/tags/")

    assert response.status_code == 200
    assert response.json() == []
    assert "link" not in response.headers


def test_tags_are_counted_over_published_posts_most_used_first_then_by_name(
    client: TestClient, make_user: MakeUser, make_post: MakePost
) -> None:
    ada, bob = make_user(), make_user()
    make_post(ada, tags=["python", "web"])
    make_post(bob, tags=["Python", "async"])
    make_post(bob, tags=["python", "web", "zen"])
    make_post(ada, tags=["python", "web", "async", "draft-only"], is_published=False)

    response = client.get("/api/tags/")

    assert response.status_code == 200
    assert response.json() == [
        {"name": "python", "post_count": 3},
        {"name": "web", "post_count": 2},
        {"name": "async", "post_count": 1},
        {"name": "zen", "post_count": 1},
    ]


def test_the_counts_are_the_same_for_every_viewer(
    client: TestClient, make_user: MakeUser, make_post: MakePost
) -> None:
    ada, admin = make_user(), make_user(superuser=True)
    make_post(ada, tags=["open"])
    make_post(ada, tags=["open", "secret"], is_published=False)

    for headers in ({}, ada.headers, admin.headers):
        assert client.get("/api/tags/", headers=headers).json() == [{"name": "open", "post_count": 1}]


def test_a_tag_used_only_on_drafts_appears_when_a_draft_is_published(
    client: TestClient, make_user: MakeUser, make_post: MakePost
) -> None:
    ada = make_user()
    draft = make_post(ada, tags=["soon"], is_published=False)
    assert client.get("/api/tags/").json() == []

    client.put(f"/api/posts/{draft['id']}", json={"is_published": True}, headers=ada.headers)

    assert client.get("/api/tags/").json() == [{"name": "soon", "post_count": 1}]


def test_changing_and_deleting_posts_changes_the_counts(
    client: TestClient, app: FastAPI, make_user: MakeUser, make_post: MakePost
) -> None:
    ada = make_user()
    first = make_post(ada, tags=["a", "b"])
    second = make_post(ada, tags=["a"])

    client.put(f"/api/posts/{first['id']}", json={"tags": ["b", "c"]}, headers=ada.headers)
    assert client.get("/api/tags/").json() == [
        {"name": "a", "post_count": 1},
        {"name": "b", "post_count": 1},
        {"name": "c", "post_count": 1},
    ]

    client.delete(f"/api/posts/{second['id']}", headers=ada.headers)
    assert [tag["name"] for tag in client.get("/api/tags/").json()] == ["b", "c"]
    assert count_rows(client, app)["post_tags"] == 2


def test_the_tag_list_pages_with_skip_and_limit(
    client: TestClient, make_user: MakeUser, make_post: MakePost
) -> None:
    ada = make_user()
    make_post(ada, tags=["c", "b", "a"])
    make_post(ada, tags=["b", "a"])
    make_post(ada, tags=["a"])

    assert client.get("/api/tags/?limit=2").json() == [
        {"name": "a", "post_count": 3},
        {"name": "b", "post_count": 2},
    ]
    assert client.get("/api/tags/?skip=2&limit=2").json() == [{"name": "c", "post_count": 1}]
    assert client.get("/api/tags/?skip=3").json() == []
    for query in ("limit=0", "limit=101", "skip=-1"):
        assert client.get(f"/api/tags/?{query}").status_code == 422, query


def test_a_token_sent_for_the_tags_must_still_be_valid(client: TestClient, make_user: MakeUser) -> None:
    ada = make_user()

    response = client.get("/api/tags/", headers={"Authorization": "Bearer not-a-token"})

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert client.get("/api/tags/", headers=ada.headers).status_code == 200
