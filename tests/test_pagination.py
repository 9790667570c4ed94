"""Pages: `skip`/`limit`, and the `Link: <…>; rel="next"` cursor chain every list offers for deep pages."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.conftest import MakeUser
from tests.helpers_pages import by_skip, follow, forged_cursor, next_url, read_cursor
from tests.helpers_posts import T0, bulk_posts, set_created_at

MakePost = Callable[..., dict[str, Any]]
LISTS = ["/api/posts/", "/api/posts/published", "/api/users/", "/api/tags/"]
NOW = "2026-01-15T10:30:00+00:00"


def key(item: dict[str, Any]) -> Any:
    """What identifies an item of any list: a tag by its name, the rest by id."""
    return item["id"] if "id" in item else item["name"]


def keys(items: list[dict[str, Any]]) -> list[Any]:
    return [key(item) for item in items]


@pytest.fixture
def seven_posts(client: TestClient, app: FastAPI) -> list[int]:
    """Seven published posts by five users, two tags each (six tags, with ties in their counts)."""
    return bulk_posts(client, app, posts=7, authors=5, tags_per_post=2)


def cursor_of(client: TestClient, url: str) -> str:
    link = next_url(client.get(url))
    assert link is not None, url
    return parse_qs(urlsplit(link).query)["cursor"][0]


@pytest.mark.parametrize("url", LISTS)
def test_a_page_with_more_after_it_links_to_the_next_and_the_last_page_does_not(
    client: TestClient, seven_posts: list[int], url: str
) -> None:
    total = len(client.get(f"{url}?limit=100").json())
    assert total >= 5

    first = client.get(f"{url}?limit=2")
    link = next_url(first)

    assert link is not None
    parts = urlsplit(link)
    assert parts.path == url
    assert parse_qs(parts.query)["limit"] == ["2"]
    assert parse_qs(parts.query)["cursor"]
    assert "link" not in client.get(f"{url}?limit={total}").headers
    assert "link" not in client.get(f"{url}?skip={total - 2}&limit=2").headers
    assert "link" in client.get(f"{url}?skip={total - 3}&limit=2").headers
    assert "link" not in client.get(f"{url}?limit=100").headers


@pytest.mark.parametrize("url", LISTS)
def test_following_the_links_visits_every_item_once_in_the_skip_order(
    client: TestClient, seven_posts: list[int], url: str
) -> None:
    for limit in (1, 2, 3):
        pages = follow(client, f"{url}?limit={limit}")
        visited = [key(item) for page in pages for item in page]

        assert all(len(page) == limit for page in pages[:-1])
        assert 1 <= len(pages[-1]) <= limit
        assert visited == keys(by_skip(client, url, limit)), limit
        assert len(set(visited)) == len(visited)
        assert visited == keys(client.get(f"{url}?limit=100").json())


def test_a_cursor_continues_right_after_a_page_reached_with_skip(
    client: TestClient, seven_posts: list[int]
) -> None:
    everything = keys(client.get("/api/posts/?limit=100").json())

    page = client.get("/api/posts/?skip=2&limit=2")
    link = next_url(page)

    assert keys(page.json()) == everything[2:4]
    assert link is not None
    assert "skip" not in parse_qs(urlsplit(link).query)
    assert keys(client.get(link).json()) == everything[4:6]


@pytest.mark.parametrize("query", ["tag=pick", "tag=%20PICK%20", "q=needle", "q=HAY%20needle"])
def test_a_cursor_keeps_the_tag_and_search_filters(
    client: TestClient, make_user: MakeUser, make_post: MakePost, query: str
) -> None:
    ada = make_user()
    for number in range(4):
        make_post(ada, title=f"needle {number}", content="in the hay", tags=["pick"])
        make_post(ada, title=f"straw {number}", content="in the hay", tags=["other"])
    url = f"/api/posts/?{query}"

    pages = follow(client, f"{url}&limit=1")
    visited = [post for page in pages for post in page]

    assert len(pages) == 4
    assert sorted(post["title"] for post in visited) == [f"needle {number}" for number in range(4)]
    assert visited == client.get(f"{url}&limit=100").json()


def test_a_cursor_keeps_the_author_filter(
    client: TestClient, make_user: MakeUser, make_post: MakePost
) -> None:
    ada, bob = make_user(), make_user()
    for number in range(5):
        make_post(ada, title=f"ada {number}")
        make_post(bob, title=f"bob {number}")

    pages = follow(client, f"/api/posts/?author_id={ada.id}&limit=2")

    assert len(pages) == 3
    assert sorted(post["title"] for page in pages for post in page) == [f"ada {n}" for n in range(5)]


def test_a_cursor_shows_drafts_only_to_those_who_may_see_them(
    client: TestClient, make_user: MakeUser, make_post: MakePost
) -> None:
    ada, bob = make_user(), make_user()
    for number in range(3):
        make_post(ada, title=f"public {number}")
        make_post(ada, title=f"draft {number}", is_published=False)

    def titles_by_links(headers: dict[str, str]) -> list[str]:
        pages = follow(client, "/api/posts/?limit=2", headers=headers)
        return sorted(post["title"] for page in pages for post in page)

    assert len(titles_by_links(ada.headers)) == 6
    assert titles_by_links(bob.headers) == ["public 0", "public 1", "public 2"]
    assert titles_by_links({}) == ["public 0", "public 1", "public 2"]


def test_posts_created_at_the_same_instant_are_neither_lost_nor_repeated(
    client: TestClient, app: FastAPI, make_user: MakeUser, make_post: MakePost
) -> None:
    ada = make_user()
    ids = [make_post(ada, title=f"p{number}")["id"] for number in range(8)]
    set_created_at(client, app, ids, T0 + timedelta(hours=1))
    set_created_at(client, app, ids[:5], T0)  # five share one instant, and so do the other three
    expected = sorted(ids[5:], reverse=True) + sorted(ids[:5], reverse=True)

    for limit in (1, 2, 3):
        for url in ("/api/posts/", "/api/posts/published", f"/api/posts/?author_id={ada.id}"):
            pages = follow(client, f"{url}{'&' if '?' in url else '?'}limit={limit}")
            assert [post["id"] for page in pages for post in page] == expected, (url, limit)


def test_a_cursor_names_the_same_instant_in_any_time_zone(client: TestClient, seven_posts: list[int]) -> None:
    kind, created_at, post_id = read_cursor(next_url(client.get("/api/posts/?limit=2")) or "")
    seoul = datetime.fromisoformat(created_at).astimezone(timezone(timedelta(hours=9))).isoformat()
    same_place = forged_cursor([kind, seoul, post_id])

    assert seoul != created_at
    original = client.get(f"/api/posts/?limit=2&cursor={forged_cursor([kind, created_at, post_id])}")
    assert client.get(f"/api/posts/?limit=2&cursor={same_place}").json() == original.json()


def test_ties_in_tag_counts_are_neither_lost_nor_repeated(client: TestClient, seven_posts: list[int]) -> None:
    everything = client.get("/api/tags/?limit=100").json()
    counts = [tag["post_count"] for tag in everything]
    assert len(set(counts)) < len(counts)  # the data set really has ties

    pages = follow(client, "/api/tags/?limit=1")

    assert [tag for page in pages for tag in page] == everything


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode()


MALFORMED_EVERYWHERE = [
    "",
    "garbage!!",
    "a",
    "한국어",
    "%00",
    "=" * 8,
    "x" * 513,
    _b64(b"not json"),
    _b64(b"\xff\xfe"),
    _b64(orjson.dumps({"kind": "posts"})),
    _b64(orjson.dumps([])),
    _b64(orjson.dumps("posts")),
    _b64(orjson.dumps(None)),
    _b64(b"[1e999]"),
    _b64(b'["posts", "2026-01-15T10:30:00+00:00", 100000000000000000000000]'),
]
MALFORMED_KEYS = {
    "posts": [
        [],
        [NOW],
        [NOW, 1, 2],
        [123, 1],
        ["yesterday", 1],
        ["2026-01-15T10:30:00", 1],
        [None, 1],
        [NOW, "1"],
        [NOW, True],
        [NOW, 1.5],
        [NOW, None],
        [NOW, 2**31],
        [[NOW], 1],
    ],
    "users": [[], ["1"], [1.0], [True], [None], [1, 2], [2**31]],
    "tags": [[], [1], ["a", "b"], [1, 2], [True, "a"], [1.5, "a"], [None, "a"], [1, "a", "b"]],
}
KINDS = {
    "/api/posts/": "posts",
    "/api/posts/published": "posts",
    "/api/users/": "users",
    "/api/tags/": "tags",
}


@pytest.mark.parametrize("url", LISTS)
def test_a_malformed_cursor_is_refused(client: TestClient, url: str) -> None:
    kind = KINDS[url]
    cursors = MALFORMED_EVERYWHERE + [forged_cursor([kind, *values]) for values in MALFORMED_KEYS[kind]]

    for cursor in cursors:
        response = client.get(url, params={"cursor": cursor})

        assert response.status_code == 422, (cursor, response.text)
        [error] = response.json()["detail"]
        assert error["loc"] == ["query", "cursor"], cursor
        assert error["msg"], cursor


FOREIGN_CURSOR = {
    "detail": [
        {"loc": ["query", "cursor"], "msg": "The cursor belongs to another list", "type": "cursor_invalid"}
    ]
}


@pytest.mark.parametrize(("source", "target"), [(a, b) for a in LISTS for b in LISTS if KINDS[a] != KINDS[b]])
def test_a_cursor_from_another_list_is_refused(
    client: TestClient, seven_posts: list[int], source: str, target: str
) -> None:
    foreign = cursor_of(client, f"{source}?limit=1")

    response = client.get(target, params={"cursor": foreign})

    assert response.status_code == 422
    assert response.json() == FOREIGN_CURSOR


def test_a_cursor_of_an_unknown_list_is_refused(client: TestClient) -> None:
    response = client.get("/api/posts/", params={"cursor": forged_cursor(["comments", NOW, 1])})

    assert response.status_code == 422
    assert response.json() == FOREIGN_CURSOR


def test_a_well_formed_cursor_past_the_end_gives_an_empty_page(
    client: TestClient, seven_posts: list[int]
) -> None:
    oldest = client.get("/api/posts/?limit=100").json()[-1]
    past_the_end = forged_cursor(["posts", oldest["created_at"], oldest["id"]])

    response = client.get("/api/posts/", params={"cursor": past_the_end})

    assert response.status_code == 200
    assert response.json() == []
    assert "link" not in response.headers
