"""`/feed.xml` as a feed reader sees it: parsed by feedparser, which reports any flaw as `bozo`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import feedparser
from fastapi.testclient import TestClient

from kaira.feeds.atom import FeedLinks, atom_feed
from kaira.feeds.router import FEED_SIZE
from tests.conftest import MakeUser

MakePost = Callable[..., dict[str, Any]]


def _read(client: TestClient, path: str = "/feed.xml") -> Any:
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/atom+xml")
    parsed = feedparser.parse(response.content)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    return parsed


def test_the_feed_holds_published_posts_newest_first_and_never_a_draft(
    client: TestClient, make_user: MakeUser, make_post: MakePost
) -> None:
    ada = make_user(username="ada")
    content = "**단풍**과 <b>태그</b> & 기호"
    first = make_post(ada, title="서울의 가을", content=content, tags=["여행", "seoul"])
    make_post(ada, title="비밀 초안", is_published=False)
    second = make_post(ada, title="Second & last", content="English")

    feed = _read(client)

    assert [entry.title for entry in feed.entries] == ["Second & last", "서울의 가을"]
    korean = feed.entries[1]
    assert korean.link == f"http://testserver/static/#/posts/{first['id']}"
    assert korean.author == "ada"
    assert korean.content[0].value == content  # the Markdown, as text
    assert korean.content[0].type == "text/plain"
    assert sorted(tag.term for tag in korean.tags) == ["seoul", "여행"]
    assert korean.updated_parsed is not None
    assert feed.feed.updated == second["updated_at"].replace("+00:00", "Z")
    assert feed.feed.link == "http://testserver/static/"


def test_a_tag_narrows_the_feed(client: TestClient, make_user: MakeUser, make_post: MakePost) -> None:
    ada = make_user()
    make_post(ada, title="여행 이야기", tags=["여행"])
    make_post(ada, title="Other", tags=["work"])
    make_post(ada, title="Hidden trip", tags=["여행"], is_published=False)

    feed = _read(client, "/feed.xml?tag=%EC%97%AC%ED%96%89")  # ?tag=여행, URL-encoded

    assert [entry.title for entry in feed.entries] == ["여행 이야기"]
    assert feed.feed.title == "Kaira — posts tagged 여행"
    assert feed.feed.link == "http://testserver/static/#/tags/여행"


def test_the_feed_stops_at_its_size(client: TestClient, make_user: MakeUser, make_post: MakePost) -> None:
    ada = make_user()
    for number in range(FEED_SIZE + 2):
        make_post(ada, title=f"Post {number}")

    entries = _read(client).entries

    assert len(entries) == FEED_SIZE
    assert entries[0].title == f"Post {FEED_SIZE + 1}"


def test_an_empty_feed_is_still_a_valid_feed(client: TestClient) -> None:
    feed = _read(client, "/feed.xml?tag=nothing")
    assert feed.entries == []


def test_a_bad_tag_is_refused(client: TestClient) -> None:
    response = client.get("/feed.xml", params={"tag": "x" * 31})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "tag"]


def test_characters_xml_cannot_hold_are_replaced_not_fatal() -> None:
    """Rows adopted from the tutorial were never checked for control characters."""
    moment = datetime(2026, 1, 15, 10, 30, tzinfo=UTC)
    author = {"id": 1, "username": "old", "full_name": None}
    post = {"id": 1, "title": "bell\x07", "content": "nul\x00", "author_id": 1, "tags": [], "author": author}
    links = FeedLinks(feed_url="http://example.com/feed.xml", page_url="http://example.com/static/")

    parsed = feedparser.parse(atom_feed([{**post, "created_at": moment, "updated_at": moment}], links))

    assert parsed.bozo == 0
    assert parsed.entries[0].title == "bell\ufffd"
    assert parsed.feed.updated == "2026-01-15T10:30:00Z"
