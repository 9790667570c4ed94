"""Posts as their users meet them: writing, reading, finding, editing and deleting, and who may do which."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.conftest import POST, MakeUser
from tests.helpers_posts import T0, count_rows, set_created_at, set_times, spread_in_time

MakePost = Callable[..., dict[str, Any]]
NOTHING = {"posts": 0, "tags": 0, "post_tags": 0}


def titles(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [post["title"] for post in response.json()]


# --- Create -----------------------------------------------------------------------------------------


def test_a_new_post_shows_its_author_without_the_email(client: TestClient, make_user: MakeUser) -> None:
    ada = make_user()

    response = client.post(
        "/api/posts/", json={"title": "Hello", "content": "First words"}, headers=ada.headers
    )

    assert response.status_code == 201
    post = response.json()
    assert post["title"] == "Hello"
    assert post["content"] == "First words"
    assert post["author_id"] == ada.id
    assert post["is_published"] is False
    assert post["tags"] == []
    assert post["author"]["id"] == ada.id
    assert post["author"]["username"] == ada.username
    assert "email" not in post["author"]
    assert ada.email not in response.text
    assert datetime.fromisoformat(post["created_at"]).utcoffset() == timedelta(0)
    assert client.get(f"/api/posts/{post['id']}", headers=ada.headers).json() == post


def test_tags_are_trimmed_lower_cased_merged_and_sorted(client: TestClient, make_user: MakeUser) -> None:
    ada = make_user()

    response = client.post(
        "/api/posts/",
        json={**POST, "tags": [" Python ", "fastapi", "PYTHON", "Async", "python"]},
        headers=ada.headers,
    )

    assert response.status_code == 201
    assert response.json()["tags"] == ["async", "fastapi", "python"]
    assert client.get(f"/api/posts/{response.json()['id']}").json()["tags"] == ["async", "fastapi", "python"]


def test_two_posts_share_one_tag_whatever_its_spelling(
    client: TestClient, app: FastAPI, make_user: MakeUser, make_post: MakePost
) -> None:
    ada = make_user()
    make_post(ada, tags=["Python"])
    make_post(ada, tags=[" python"])

    assert count_rows(client, app) == {"posts": 2, "tags": 1, "post_tags": 2}
    assert client.get("/api/tags/").json() == [{"name": "python", "post_count": 2}]


def test_author_id_naming_the_caller_is_accepted(client: TestClient, make_user: MakeUser) -> None:
    ada = make_user()

    response = client.post(f"/api/posts/?author_id={ada.id}", json=POST, headers=ada.headers)

    assert response.status_code == 201
    assert response.json()["author_id"] == ada.id


def test_nobody_may_post_in_another_users_name(client: TestClient, app: FastAPI, make_user: MakeUser) -> None:
    ada, bob = make_user(), make_user()

    response = client.post(
        f"/api/posts/?author_id={bob.id}", json={**POST, "tags": ["x"]}, headers=ada.headers
    )

    assert response.status_code == 403
    assert response.json()["detail"] == "You can only create posts as yourself"
    assert count_rows(client, app) == NOTHING


def test_a_superuser_may_post_for_an_existing_user(client: TestClient, make_user: MakeUser) -> None:
    admin, ada = make_user(superuser=True), make_user()

    response = client.post(f"/api/posts/?author_id={ada.id}", json=POST, headers=admin.headers)

    assert response.status_code == 201
    assert response.json()["author_id"] == ada.id
    assert response.json()["author"]["username"] == ada.username
    assert client.get(f"/api/posts/?author_id={ada.id}").json()[0]["id"] == response.json()["id"]


def test_a_superuser_cannot_post_for_a_missing_user(
    client: TestClient, app: FastAPI, make_user: MakeUser
) -> None:
    admin = make_user(superuser=True)

    response = client.post(
        "/api/posts/?author_id=999999", json={**POST, "tags": ["x"]}, headers=admin.headers
    )

    assert response.status_code == 404
    assert response.json() == {"detail": "Author not found"}
    assert count_rows(client, app) == NOTHING


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic dXNlcjpwYXNz"}],
    ids=["no token", "forged token", "wrong scheme"],
)
def test_posting_needs_a_valid_token(client: TestClient, app: FastAPI, headers: dict[str, str]) -> None:
    response = client.post("/api/posts/", json=POST, headers=headers)

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert count_rows(client, app) == NOTHING


AT_THE_LIMITS: list[dict[str, Any]] = [
    {"title": "t"},
    {"title": "T" * 200},
    {"title": "가" * 200},
    {"content": "c"},
    {"content": "c" * 100_000},
    {"tags": [f"tag{i}" for i in range(10)]},
    {"tags": ["  " + "t" * 30 + "  "]},
    {"tags": ["한국어", "Ünïcödé"]},
]


def test_values_at_the_limits_are_accepted(client: TestClient, make_user: MakeUser) -> None:
    ada = make_user()

    for fields in AT_THE_LIMITS:
        response = client.post("/api/posts/", json={**POST, **fields}, headers=ada.headers)

        assert response.status_code == 201, (fields, response.text)
        stored = client.get(f"/api/posts/{response.json()['id']}").json()
        for name, value in fields.items():
            expected = sorted(tag.strip().lower() for tag in value) if name == "tags" else value
            assert stored[name] == expected


BAD_POSTS: list[tuple[dict[str, Any], str]] = [
    ({"title": ""}, "title"),
    ({"title": "T" * 201}, "title"),
    ({"title": None}, "title"),
    ({"content": ""}, "content"),
    ({"content": "c" * 100_001}, "content"),
    ({"tags": [f"tag{i}" for i in range(11)]}, "tags"),
    ({"tags": ["ok", "   "]}, "tags"),
    ({"tags": [""]}, "tags"),
    ({"tags": ["t" * 31]}, "tags"),
    ({"tags": "python"}, "tags"),
    ({"tags": None}, "tags"),
    ({"is_published": "maybe"}, "is_published"),
    ({"author_id": 1}, "author_id"),
    ({"rating": 5}, "rating"),
]


def test_a_bad_post_is_refused_and_nothing_is_stored(
    client: TestClient, app: FastAPI, make_user: MakeUser
) -> None:
    ada = make_user()

    for fields, where in BAD_POSTS:
        response = client.post("/api/posts/", json={**POST, "tags": ["kept"], **fields}, headers=ada.headers)

        assert response.status_code == 422, fields
        assert where in response.json()["detail"][0]["loc"], fields
    assert count_rows(client, app) == NOTHING


def test_title_and_content_are_required(client: TestClient, app: FastAPI, make_user: MakeUser) -> None:
    ada = make_user()

    for missing in ("title", "content"):
        body = {key: value for key, value in POST.items() if key != missing}
        response = client.post("/api/posts/", json=body, headers=ada.headers)

        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["body", missing]
    assert count_rows(client, app) == NOTHING


def test_author_id_must_be_a_positive_id(client: TestClient, make_user: MakeUser) -> None:
    ada = make_user()

    for author_id in ("0", "-1", "abc", str(2**31)):
        response = client.post(f"/api/posts/?author_id={author_id}", json=POST, headers=ada.headers)

        assert response.status_code == 422, author_id
        assert response.json()["detail"][0]["loc"] == ["query", "author_id"]


# --- Read and visibility ----------------------------------------------------------------------------


def test_a_published_post_is_visible_to_everyone(
    client: TestClient, make_user: MakeUser, make_post: MakePost
) -> None:
    ada, bob = make_user(), make_user()
    post = make_post(ada, title="Open letter")

    for headers in ({}, bob.headers, ada.headers):
        response = client.get(f"/api/posts/{post['id']}", headers=headers)
        assert response.status_code == 200
        assert response.json()["title"] == "Open letter"
        assert response.json()["author"]["username"] == ada.username


def test_a_draft_is_seen_only_by_its_author_and_superusers(
    client: TestClient, make_user: MakeUser, make_post: MakePost
) -> None:
    ada, bob, admin = make_user(), make_user(), make_user(superuser=True)
    draft = make_post(ada, title="Secret plan", is_published=False)
    url = f"/api/posts/{draft['id']}"

    assert client.get(url).status_code == 404
    assert client.get(url).json() == {"detail": "Post not found"}
    assert client.get(url, headers=bob.headers).json() == {"detail": "Post not found"}
    assert client.get(url, headers=ada.headers).json()["title"] == "Secret plan"
    assert client.get(url, headers=admin.headers).json()["title"] == "Secret plan"


def test_a_missing_post_is_not_found(client: TestClient) -> None:
    response = client.get(f"/api/posts/{2**31 - 1}")

    assert response.status_code == 404
    assert response.json() == {"detail": "Post not found"}


def test_an_id_that_is_not_a_positive_32_bit_integer_is_refused(
    client: TestClient, make_user: MakeUser
) -> None:
    ada = make_user()

    for method in ("GET", "PUT", "DELETE"):
        for post_id in ("0", "-1", "abc", "1.5", str(2**31), "99999999999999999999"):
            body = {"title": "x"} if method == "PUT" else None
            response = client.request(method, f"/api/posts/{post_id}", json=body, headers=ada.headers)

            assert response.status_code == 422, (method, post_id)
            assert "post_id" in response.json()["detail"][0]["loc"]


def test_drafts_never_appear_in_anyone_elses_lists(
    client: TestClient, make_user: MakeUser, make_post: MakePost
) -> None:
    ada, bob, admin = make_user(), make_user(), make_user(superuser=True)
    make_post(ada, title="Public words", content="hello", tags=["shared"])
    make_post(ada, title="Hidden words", content="hello", is_published=False, tags=["shared", "secret"])
    lists = [
        "/api/posts/",
        "/api/posts/published",
        "/api/posts/?tag=secret",
        "/api/posts/?tag=shared",
        "/api/posts/?q=words",
        "/api/posts/?q=hidden",
        f"/api/posts/?author_id={ada.id}",
    ]

    for headers in ({}, bob.headers):
        for url in lists:
            assert "Hidden words" not in titles(client.get(url, headers=headers)), url
        assert client.get("/api/tags/", headers=headers).json() == [{"name": "shared", "post_count": 1}]

    for headers in (ada.headers, admin.headers):
        assert titles(client.get("/api/posts/?tag=secret", headers=headers)) == ["Hidden words"]
        assert titles(client.get("/api/posts/?q=hidden", headers=headers)) == ["Hidden words"]
        assert "Hidden words" in titles(client.get(f"/api/posts/?author_id={ada.id}", headers=headers))
        assert titles(client.get("/api/posts/published", headers=headers)) == ["Public words"]


def test_other_users_see_their_own_drafts_but_not_each_others(
    client: TestClient, app: FastAPI, make_user: MakeUser, make_post: MakePost
) -> None:
    ada, bob = make_user(), make_user()
    ids = [
        make_post(ada, title="ada draft", is_published=False)["id"],
        make_post(bob, title="bob draft", is_published=False)["id"],
        make_post(bob, title="bob public")["id"],
    ]
    spread_in_time(client, app, ids)

    assert titles(client.get("/api/posts/", headers=ada.headers)) == ["bob public", "ada draft"]
    assert titles(client.get("/api/posts/", headers=bob.headers)) == ["bob public", "bob draft"]
    assert titles(client.get("/api/posts/")) == ["bob public"]


def test_a_token_sent_to_a_public_page_must_still_be_valid(
    client: TestClient, make_user: MakeUser, make_post: MakePost
) -> None:
    """A broken token is an error to fix, not a silent fall-back to an anonymous view without drafts."""
    ada = make_user()
    post = make_post(ada)

    for url in ("/api/posts/", "/api/posts/published", f"/api/posts/{post['id']}"):
        response = client.get(url, headers={"Authorization": "Bearer not-a-token"})

        assert response.status_code == 401, url
        assert response.headers["www-authenticate"] == "Bearer"
        assert client.get(url).status_code == 200
        assert client.get(url, headers=ada.headers).status_code == 200


# --- Lists ------------------------------------------------------------------------------------------


def test_lists_are_newest_first_and_ties_go_to_the_higher_id(
    client: TestClient, app: FastAPI, make_user: MakeUser, make_post: MakePost
) -> None:
    ada = make_user()
    first, second, third, fourth = (make_post(ada, title=f"p{i}")["id"] for i in range(4))
    set_created_at(client, app, [first], T0 + timedelta(hours=3))  # written first, dated last
    set_created_at(client, app, [second, third], T0 + timedelta(hours=2))
    set_created_at(client, app, [fourth], T0)

    for url in ("/api/posts/", "/api/posts/published", f"/api/posts/?author_id={ada.id}"):
        assert [post["id"] for post in client.get(url).json()] == [first, third, second, fourth], url


def test_author_id_keeps_one_authors_posts(
    client: TestClient, make_user: MakeUser, make_post: MakePost
) -> None:
    ada, bob = make_user(), make_user()
    make_post(ada, title="by ada")
    make_post(bob, title="by bob")

    assert titles(client.get(f"/api/posts/?author_id={ada.id}")) == ["by ada"]
    assert titles(client.get(f"/api/posts/?author_id={bob.id}")) == ["by bob"]
    assert titles(client.get("/api/posts/?author_id=999999")) == []


def test_tag_filter_is_normalised_like_the_tags(
    client: TestClient, make_user: MakeUser, make_post: MakePost
) -> None:
    ada = make_user()
    make_post(ada, title="snake", tags=["Python", "code"])
    make_post(ada, title="coffee", tags=["java"])

    assert titles(client.get("/api/posts/?tag=%20Python%20")) == ["snake"]
    assert titles(client.get("/api/posts/?tag=python")) == ["snake"]
    assert titles(client.get("/api/posts/?tag=pyth")) == []
    assert titles(client.get("/api/posts/?tag=rust")) == []


def test_a_tag_filter_that_cannot_be_a_tag_is_refused(client: TestClient) -> None:
    for tag in ("", "%20%20", "t" * 31):
        assert client.get(f"/api/posts/?tag={tag}").status_code == 422, tag


def test_search_needs_every_word_in_the_title_or_the_content_in_any_case(
    client: TestClient, make_user: MakeUser, make_post: MakePost
) -> None:
    ada = make_user()
    make_post(ada, title="Async Python", content="Event loops explained")
    make_post(ada, title="Python basics", content="Variables and loops")
    make_post(ada, title="Gardening", content="Tomatoes love the sun")

    assert sorted(titles(client.get("/api/posts/?q=python"))) == ["Async Python", "Python basics"]
    assert titles(client.get("/api/posts/?q=PYTHON%20event")) == ["Async Python"]
    assert titles(client.get("/api/posts/?q=LOOPS%20variables")) == ["Python basics"]
    assert titles(client.get("/api/posts/?q=tomatoes%20python")) == []
    assert titles(client.get("/api/posts/?q=%20%20sun%20%20")) == ["Gardening"]


def test_search_finds_korean_words(client: TestClient, make_user: MakeUser, make_post: MakePost) -> None:
    ada = make_user()
    make_post(ada, title="안녕하세요 세계", content="첫 번째 글")
    make_post(ada, title="Hello world", content="세계는 넓다")
    make_post(ada, title="다른 글", content="내용")

    assert sorted(titles(client.get("/api/posts/?q=세계"))) == ["Hello world", "안녕하세요 세계"]
    assert titles(client.get("/api/posts/?q=세계%20첫")) == ["안녕하세요 세계"]


def test_search_ignores_case_beyond_ascii(
    client: TestClient,
    make_user: MakeUser,
    make_post: MakePost,
) -> None:
    ada = make_user()
    make_post(ada, title="Привет, Мир", content="Ärger über Öl")

    assert titles(client.get("/api/posts/?q=привет")) == ["Привет, Мир"]
    assert titles(client.get("/api/posts/?q=МИР%20öl")) == ["Привет, Мир"]


def test_search_follows_each_post_through_edits_and_deletions(
    client: TestClient, make_user: MakeUser, make_post: MakePost
) -> None:
    """On SQLite, search reads a lower-case copy of each post that triggers keep: it must never lag."""
    ada, bob = make_user(), make_user()
    first = make_post(ada, title="Café notes", content="Ärger über Öl")
    make_post(bob, title="Straße", content="МИР")
    assert titles(client.get("/api/posts/?q=CAFÉ%20ärger")) == ["Café notes"]

    url, headers = f"/api/posts/{first['id']}", ada.headers
    assert client.put(url, json={"title": "Tea notes"}, headers=headers).status_code == 200
    assert titles(client.get("/api/posts/?q=café")) == []
    assert titles(client.get("/api/posts/?q=TEA%20öl")) == ["Tea notes"]
    assert client.put(url, json={"content": "Ruhe"}, headers=headers).status_code == 200
    assert titles(client.get("/api/posts/?q=ärger")) == []
    assert titles(client.get("/api/posts/?q=tea%20RUHE")) == ["Tea notes"]

    assert client.delete(url, headers=headers).status_code == 204
    assert titles(client.get("/api/posts/?q=notes")) == []
    assert titles(client.get("/api/posts/?q=мир")) == ["Straße"]
    assert client.delete(f"/api/users/{bob.id}", headers=bob.headers).status_code == 204  # posts cascade
    assert titles(client.get("/api/posts/?q=мир")) == []
    make_post(ada, title="Мир again", content="new")
    assert titles(client.get("/api/posts/?q=мир")) == ["Мир again"]


def test_percent_and_underscore_in_a_search_are_plain_characters(
    client: TestClient, make_user: MakeUser, make_post: MakePost
) -> None:
    ada = make_user()
    make_post(ada, title="100% sure", content="snake_case names")
    make_post(ada, title="100 percent", content="snakeXcase names")

    assert titles(client.get("/api/posts/?q=100%25")) == ["100% sure"]
    assert titles(client.get("/api/posts/?q=snake_case")) == ["100% sure"]
    assert titles(client.get("/api/posts/?q=%25")) == ["100% sure"]
    assert titles(client.get("/api/posts/?q=_")) == ["100% sure"]
    assert titles(client.get("/api/posts/?q=%5C")) == []


def test_a_search_must_have_1_to_200_characters(client: TestClient) -> None:
    assert client.get("/api/posts/?q=").status_code == 422
    assert client.get(f"/api/posts/?q={'q' * 201}").status_code == 422
    assert client.get(f"/api/posts/?q={'q' * 200}").json() == []


def test_filters_combine(client: TestClient, app: FastAPI, make_user: MakeUser, make_post: MakePost) -> None:
    ada, bob = make_user(), make_user()
    make_post(ada, title="ada python tips", tags=["python"])
    make_post(ada, title="ada java tips", tags=["java"])
    make_post(bob, title="bob python tips", tags=["python"])

    response = client.get(f"/api/posts/?author_id={ada.id}&tag=python&q=tips")

    assert titles(response) == ["ada python tips"]


def test_published_lists_only_published_posts_even_for_the_author(
    client: TestClient, app: FastAPI, make_user: MakeUser, make_post: MakePost
) -> None:
    ada, admin = make_user(), make_user(superuser=True)
    ids = [make_post(ada, title="out")["id"], make_post(ada, title="draft", is_published=False)["id"]]
    spread_in_time(client, app, ids)

    assert titles(client.get("/api/posts/", headers=ada.headers)) == ["draft", "out"]
    for headers in ({}, ada.headers, admin.headers):
        assert titles(client.get("/api/posts/published", headers=headers)) == ["out"]


def test_skip_and_limit_page_through_the_list(
    client: TestClient, app: FastAPI, make_user: MakeUser, make_post: MakePost
) -> None:
    ada = make_user()
    ids = [make_post(ada, title=f"p{i:02}")["id"] for i in range(12)]
    spread_in_time(client, app, ids)
    newest_first = [f"p{i:02}" for i in reversed(range(12))]

    assert titles(client.get("/api/posts/")) == newest_first[:10]
    assert titles(client.get("/api/posts/?skip=10")) == newest_first[10:]
    assert titles(client.get("/api/posts/?skip=3&limit=4")) == newest_first[3:7]
    assert titles(client.get("/api/posts/?limit=1")) == newest_first[:1]
    assert titles(client.get("/api/posts/?limit=100")) == newest_first
    assert titles(client.get("/api/posts/published?skip=11&limit=5")) == newest_first[11:]
    assert titles(client.get("/api/posts/?skip=12")) == []


def test_out_of_range_paging_is_refused(client: TestClient) -> None:
    for url in ("/api/posts/", "/api/posts/published"):
        for query in (
            "limit=0",
            "limit=101",
            "limit=-1",
            "skip=-1",
            "limit=abc",
            "skip=1.5",
            f"skip={2**31}",
        ):
            response = client.get(f"{url}?{query}")

            assert response.status_code == 422, (url, query)
            assert response.json()["detail"][0]["loc"][0] == "query"


# --- Update -----------------------------------------------------------------------------------------


def test_an_update_changes_only_what_is_sent(
    client: TestClient, make_user: MakeUser, make_post: MakePost
) -> None:
    ada = make_user()
    post = make_post(ada, title="Old title", content="Old words", is_published=False, tags=["keep"])

    response = client.put(f"/api/posts/{post['id']}", json={"title": "New title"}, headers=ada.headers)

    assert response.status_code == 200
    updated = response.json()
    assert updated["title"] == "New title"
    assert (updated["content"], updated["is_published"], updated["tags"]) == ("Old words", False, ["keep"])
    assert updated["author"]["username"] == ada.username
    assert client.get(f"/api/posts/{post['id']}", headers=ada.headers).json() == updated


def test_publishing_a_draft_makes_it_public(
    client: TestClient, make_user: MakeUser, make_post: MakePost
) -> None:
    ada = make_user()
    post = make_post(ada, title="Soon", is_published=False, tags=["news"])

    client.put(f"/api/posts/{post['id']}", json={"is_published": True}, headers=ada.headers)

    assert client.get(f"/api/posts/{post['id']}").status_code == 200
    assert titles(client.get("/api/posts/published")) == ["Soon"]
    assert client.get("/api/tags/").json() == [{"name": "news", "post_count": 1}]

    client.put(f"/api/posts/{post['id']}", json={"is_published": False}, headers=ada.headers)

    assert client.get(f"/api/posts/{post['id']}").status_code == 404
    assert client.get("/api/tags/").json() == []


def test_sent_tags_replace_the_whole_set(
    client: TestClient, make_user: MakeUser, make_post: MakePost
) -> None:
    ada = make_user()
    post = make_post(ada, tags=["old", "kept"])
    url = f"/api/posts/{post['id']}"

    assert client.put(url, json={"tags": ["Kept", " new "]}, headers=ada.headers).json()["tags"] == [
        "kept",
        "new",
    ]
    assert client.get(url).json()["tags"] == ["kept", "new"]
    assert client.get("/api/tags/").json() == [
        {"name": "kept", "post_count": 1},
        {"name": "new", "post_count": 1},
    ]
    assert titles(client.get("/api/posts/?tag=old")) == []


def test_an_empty_tag_list_clears_the_tags(
    client: TestClient, app: FastAPI, make_user: MakeUser, make_post: MakePost
) -> None:
    ada = make_user()
    post = make_post(ada, tags=["a", "b"])

    response = client.put(f"/api/posts/{post['id']}", json={"tags": []}, headers=ada.headers)

    assert response.json()["tags"] == []
    assert client.get(f"/api/posts/{post['id']}").json()["tags"] == []
    assert count_rows(client, app)["post_tags"] == 0
    assert client.get("/api/tags/").json() == []


def test_an_update_moves_updated_at_forward_and_keeps_created_at(
    client: TestClient, app: FastAPI, make_user: MakeUser, make_post: MakePost
) -> None:
    ada = make_user()
    post = make_post(ada)
    set_times(client, app, post["id"], created_at=T0, updated_at=T0 + timedelta(minutes=5))

    first = client.put(f"/api/posts/{post['id']}", json={"title": "Edited"}, headers=ada.headers).json()

    assert datetime.fromisoformat(first["created_at"]) == T0
    assert datetime.fromisoformat(first["updated_at"]) > T0 + timedelta(minutes=5)
    assert client.get(f"/api/posts/{post['id']}").json()["updated_at"] == first["updated_at"]


def test_updated_at_moves_forward_even_when_the_clock_does_not(
    client: TestClient, app: FastAPI, make_user: MakeUser, make_post: MakePost
) -> None:
    """Servers' clocks disagree and step back; an edit must still be later than the one before."""
    ada = make_user()
    post = make_post(ada)
    future = datetime.now(T0.tzinfo) + timedelta(days=1)
    set_times(client, app, post["id"], created_at=T0, updated_at=future)

    edited = client.put(f"/api/posts/{post['id']}", json={"content": "Edited"}, headers=ada.headers).json()

    assert datetime.fromisoformat(edited["updated_at"]) > future
    assert datetime.fromisoformat(edited["created_at"]) == T0


def test_only_the_author_or_a_superuser_may_edit(
    client: TestClient, make_user: MakeUser, make_post: MakePost
) -> None:
    ada, bob, admin = make_user(), make_user(), make_user(superuser=True)
    url = f"/api/posts/{make_post(ada, title='mine')['id']}"

    assert client.put(url, json={"title": "anon"}).status_code == 401
    forbidden = client.put(url, json={"title": "bob's now"}, headers=bob.headers)
    assert forbidden.status_code == 403
    assert forbidden.json() == {"detail": "Only the author can change this post"}
    assert client.get(url).json()["title"] == "mine"

    by_admin = client.put(url, json={"title": "moderated"}, headers=admin.headers)

    assert by_admin.status_code == 200
    assert by_admin.json()["title"] == "moderated"
    assert by_admin.json()["author_id"] == ada.id


def test_someone_elses_draft_cannot_be_edited_and_does_not_exist_for_them(
    client: TestClient, make_user: MakeUser, make_post: MakePost
) -> None:
    ada, bob, admin = make_user(), make_user(), make_user(superuser=True)
    url = f"/api/posts/{make_post(ada, is_published=False)['id']}"

    response = client.put(url, json={"title": "found it"}, headers=bob.headers)

    assert response.status_code == 404
    assert response.json() == {"detail": "Post not found"}
    assert client.put(url, json={"title": "by admin"}, headers=admin.headers).status_code == 200
    assert client.get(url, headers=ada.headers).json()["title"] == "by admin"


def test_updating_a_missing_post_is_not_found(client: TestClient, make_user: MakeUser) -> None:
    ada = make_user()

    response = client.put("/api/posts/424242", json={"title": "x"}, headers=ada.headers)

    assert response.status_code == 404
    assert response.json() == {"detail": "Post not found"}


BAD_UPDATES: list[dict[str, Any]] = [
    {"title": None},
    {"content": None},
    {"is_published": None},
    {"tags": None},
    {"title": ""},
    {"title": "T" * 201},
    {"content": "c" * 100_001},
    {"tags": [f"t{i}" for i in range(11)]},
    {"tags": [" "]},
    {"author_id": 2},
    {"created_at": "2020-01-01T00:00:00Z"},
    {"title": "fine", "is_published": None},
]


def test_a_bad_update_is_refused_and_changes_nothing(
    client: TestClient, make_user: MakeUser, make_post: MakePost
) -> None:
    ada = make_user()
    post = make_post(ada, tags=["kept"])

    for fields in BAD_UPDATES:
        response = client.put(f"/api/posts/{post['id']}", json=fields, headers=ada.headers)

        assert response.status_code == 422, fields
    assert client.get(f"/api/posts/{post['id']}").json() == post


# --- Delete -----------------------------------------------------------------------------------------


def test_a_deleted_post_is_gone_and_takes_its_tag_links(
    client: TestClient, app: FastAPI, make_user: MakeUser, make_post: MakePost
) -> None:
    ada = make_user()
    gone = make_post(ada, tags=["python", "rare"])
    make_post(ada, tags=["python"])

    response = client.delete(f"/api/posts/{gone['id']}", headers=ada.headers)

    assert response.status_code == 204
    assert response.content == b""
    assert client.get(f"/api/posts/{gone['id']}", headers=ada.headers).status_code == 404
    assert client.delete(f"/api/posts/{gone['id']}", headers=ada.headers).status_code == 404
    assert client.get("/api/tags/").json() == [{"name": "python", "post_count": 1}]
    assert count_rows(client, app)["post_tags"] == 1


def test_only_the_author_or_a_superuser_may_delete(
    client: TestClient, make_user: MakeUser, make_post: MakePost
) -> None:
    ada, bob, admin = make_user(), make_user(), make_user(superuser=True)
    url = f"/api/posts/{make_post(ada)['id']}"

    assert client.delete(url).status_code == 401
    assert client.delete(url, headers=bob.headers).status_code == 403
    assert client.get(url).status_code == 200

    assert client.delete(url, headers=admin.headers).status_code == 204
    assert client.get(url).status_code == 404


def test_someone_elses_draft_cannot_be_deleted(
    client: TestClient, make_user: MakeUser, make_post: MakePost
) -> None:
    ada, bob = make_user(), make_user()
    url = f"/api/posts/{make_post(ada, is_published=False)['id']}"

    assert client.delete(url, headers=bob.headers).status_code == 404
    assert client.get(url, headers=ada.headers).status_code == 200
    assert client.delete(url, headers=ada.headers).status_code == 204


def test_deleting_a_missing_post_is_not_found(client: TestClient, make_user: MakeUser) -> None:
    ada = make_user()

    response = client.delete("/api/posts/424242", headers=ada.headers)

    assert response.status_code == 404
    assert response.json() == {"detail": "Post not found"}


def test_deleting_an_author_deletes_their_posts(
    client: TestClient, app: FastAPI, make_user: MakeUser, make_post: MakePost
) -> None:
    ada, bob = make_user(), make_user()
    gone = make_post(ada, tags=["shared"])
    make_post(bob, tags=["shared"])

    assert client.delete(f"/api/users/{ada.id}", headers=ada.headers).status_code == 204

    assert client.get(f"/api/posts/{gone['id']}").status_code == 404
    assert client.get("/api/tags/").json() == [{"name": "shared", "post_count": 1}]
    assert count_rows(client, app) == {"posts": 1, "tags": 1, "post_tags": 1}
