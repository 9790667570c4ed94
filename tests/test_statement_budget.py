"""What a request costs the database, counted statement by statement (BEGIN included, as SQLite sends it).

Budgets (issue 3, item 4): reading a post ≤ 2, a list page ≤ 3, creating a post ≤ 6, whatever the page
size or the number of tags. A list that loaded authors or tags row by row (N+1) would blow them at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.conftest import MakeUser
from tests.helpers_pages import next_url
from tests.helpers_posts import bulk_posts

CountStatements = Callable[[], Any]
LIST_PAGES = [
    "/api/posts/?limit={limit}",
    "/api/posts/published?limit={limit}",
    "/api/posts/?tag=tag1&limit={limit}",
    "/api/posts/?q=post&limit={limit}",
    "/api/tags/?limit={limit}",
    "/api/users/?limit={limit}",
]


@pytest.fixture
def many_posts(client: TestClient, app: FastAPI) -> list[int]:
    """400 published posts: 250 by as many users, tagged tag0 and tag1; then 150 by one more user,
    with two of 150 tags (so the tag cloud, too, has deep pages)."""
    ids = bulk_posts(client, app, posts=250, authors=250, tags_per_post=2, tag_pool=2)
    return ids + bulk_posts(client, app, posts=150, authors=1, tags_per_post=2, tag_pool=150)


def cost(client: TestClient, count_statements: CountStatements, url: str, **kwargs: Any) -> tuple[Any, int]:
    with count_statements() as statements:
        response = client.get(url, **kwargs)
    assert response.status_code == 200, response.text
    return response, len(statements)


def test_reading_a_post_costs_at_most_two_statements(
    client: TestClient, app: FastAPI, make_user: MakeUser, count_statements: CountStatements
) -> None:
    (post_id,) = bulk_posts(client, app, posts=1, authors=1, tags_per_post=10)

    response, statements = cost(client, count_statements, f"/api/posts/{post_id}")

    assert statements <= 2
    assert len(response.json()["tags"]) == 10
    assert response.json()["author"]["username"]


def test_a_signed_in_reader_costs_one_statement_more_to_identify(
    client: TestClient, app: FastAPI, make_user: MakeUser, count_statements: CountStatements
) -> None:
    ada = make_user()
    (post_id,) = bulk_posts(client, app, posts=1, authors=1, tags_per_post=10)
    url = f"/api/posts/{post_id}"

    _, anonymous = cost(client, count_statements, url)
    _, signed_in = cost(client, count_statements, url, headers=ada.headers)

    assert signed_in == anonymous + 1


def test_a_page_of_100_posts_by_100_authors_costs_at_most_three_statements(
    client: TestClient, many_posts: list[int], count_statements: CountStatements
) -> None:
    for url in ("/api/posts/?limit=100", "/api/posts/published?limit=100"):
        response, statements = cost(client, count_statements, url)

        assert statements <= 3, url
        posts = response.json()
        assert len(posts) == 100
        assert len({post["author"]["id"] for post in posts}) == 100
        assert all(post["author"]["id"] == post["author_id"] for post in posts)
        assert all(post["author"]["username"].startswith("bulk") for post in posts)
        assert all(len(post["tags"]) >= 2 for post in posts)


def test_a_list_page_costs_the_same_whatever_its_size_or_depth(
    client: TestClient, many_posts: list[int], count_statements: CountStatements
) -> None:
    for page in LIST_PAGES:
        small, small_cost = cost(client, count_statements, page.format(limit=20))
        large, large_cost = cost(client, count_statements, page.format(limit=100))
        link = next_url(small)
        assert link is not None, page
        deeper, deeper_cost = cost(client, count_statements, link)

        assert len(large.json()) == 100, page
        assert len(small.json()) == len(deeper.json()) == 20, page
        assert small_cost == large_cost == deeper_cost <= 3, page


@pytest.mark.parametrize("tags", [0, 1, 10], ids=["no tags", "one tag", "ten tags"])
def test_creating_a_post_costs_at_most_six_statements_whatever_its_tags(
    client: TestClient, make_user: MakeUser, count_statements: CountStatements, tags: int
) -> None:
    ada = make_user()
    names = [f"new{number}" for number in range(tags)]
    body = {"title": "Budget", "content": "Counted", "is_published": True}

    with count_statements() as fresh_tags:
        created = client.post("/api/posts/", json={**body, "tags": names}, headers=ada.headers)
    with count_statements() as known_tags:
        again = client.post("/api/posts/", json={**body, "tags": names}, headers=ada.headers)

    assert created.status_code == again.status_code == 201
    assert created.json()["tags"] == again.json()["tags"] == sorted(names)
    assert len(fresh_tags) <= 6
    assert len(known_tags) <= len(fresh_tags)


def test_ten_tags_cost_no_more_than_one(
    client: TestClient, make_user: MakeUser, count_statements: CountStatements
) -> None:
    ada = make_user()

    with count_statements() as one:
        client.post("/api/posts/", json={"title": "t", "content": "c", "tags": ["a"]}, headers=ada.headers)
    with count_statements() as ten:
        tags = [f"t{number}" for number in range(10)]
        client.post("/api/posts/", json={"title": "t", "content": "c", "tags": tags}, headers=ada.headers)

    assert len(ten) == len(one)


@pytest.mark.postgres_only
def test_on_postgresql_a_post_with_tags_in_use_is_one_statement_after_the_caller(
    client: TestClient, make_user: MakeUser, count_statements: CountStatements
) -> None:
    """The post, its links and its author in one statement once every tag exists; a new tag costs a
    refused first try, the missing tags, and the statement again."""
    ada = make_user()
    body = {"title": "t", "content": "c", "tags": ["x", "y", "z"]}

    with count_statements() as new_tags:
        first = client.post("/api/posts/", json=body, headers=ada.headers)
    with count_statements() as tags_in_use:
        second = client.post("/api/posts/", json={**body, "tags": ["z", "x"]}, headers=ada.headers)

    assert first.status_code == second.status_code == 201
    who, refused, tags, post = new_tags
    assert "FROM sessions JOIN users" in who
    assert refused.lstrip().startswith("WITH wanted")
    assert post == refused
    assert tags.lstrip().startswith("INSERT INTO tags")
    who, post = tags_in_use
    assert "FROM sessions JOIN users" in who
    assert post.lstrip().startswith("WITH wanted")
    assert client.get("/api/posts/?tag=y", headers=ada.headers).json() == [first.json()]
    assert client.get("/api/posts/?tag=x", headers=ada.headers).json() == [second.json(), first.json()]
    assert second.json()["tags"] == ["x", "z"]
