"""The read endpoints write their JSON straight from rows (`kaira.responses`), not through pydantic:
their bodies must still be exactly what the documented response models describe, and read back
exactly what the writes (which do go through pydantic) answered."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel, TypeAdapter

from kaira.posts.schemas import PostRead
from kaira.responses import json_response
from kaira.users.schemas import UserPrivate, UserPublic
from tests.conftest import MakeUser
from tests.helpers_posts import set_times


def exactly(model: type[BaseModel], body: dict[str, Any]) -> dict[str, Any]:
    """`body` as `model` would write it: the same keys, the same values, the same JSON forms."""
    dumped: dict[str, Any] = model.model_validate(body).model_dump(mode="json")
    return dumped


def test_a_post_reads_back_exactly_as_its_creation_answered(client: TestClient, make_user: MakeUser) -> None:
    ada = make_user()
    created = client.post(
        "/api/posts/",
        json={"title": "Ünïcode ✓ 한국어", "content": "Body", "is_published": True, "tags": ["b", "a"]},
        headers=ada.headers,
    ).json()

    one = client.get(f"/api/posts/{created['id']}").json()
    listed = client.get("/api/posts/").json()
    published = client.get("/api/posts/published").json()

    assert one == created
    assert listed == [created]
    assert published == [created]
    assert one == exactly(PostRead, one)
    assert set(one["author"]) == set(UserPublic.model_fields)


def test_a_post_with_whole_second_times_reads_the_same_as_pydantic_writes_it(
    client: TestClient, app: FastAPI, make_user: MakeUser
) -> None:
    ada = make_user()
    post_id = client.post(
        "/api/posts/", json={"title": "t", "content": "c", "is_published": True}, headers=ada.headers
    ).json()["id"]
    whole = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    set_times(client, app, post_id, created_at=whole, updated_at=whole)

    body = client.get(f"/api/posts/{post_id}").json()

    assert body["created_at"] == body["updated_at"] == "2026-01-02T03:04:05Z"
    assert body == exactly(PostRead, body)


def test_a_profile_shows_the_email_to_its_owner_only_in_the_documented_shapes(
    client: TestClient, make_user: MakeUser
) -> None:
    ada, bob = make_user(), make_user()

    own = client.get(f"/api/users/{ada.id}", headers=ada.headers).json()
    seen_by_bob = client.get(f"/api/users/{ada.id}", headers=bob.headers).json()
    anonymous = client.get(f"/api/users/{ada.id}").json()

    assert own == client.get("/api/users/me", headers=ada.headers).json()  # written by pydantic
    assert own == exactly(UserPrivate, own)
    assert own["email"] == ada.email
    assert seen_by_bob == anonymous == exactly(UserPublic, anonymous)
    assert "email" not in anonymous


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 11, 25, 10, 0, 0, tzinfo=UTC),
        datetime(2026, 11, 25, 10, 0, 0, 120, tzinfo=UTC),
        datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    ],
)
def test_instants_are_written_as_pydantic_writes_them(moment: datetime) -> None:
    content = {"at": moment, "text": "é ✓", "none": None, "list": [1, "a"]}

    written = orjson.loads(json_response(content).body)

    assert written == TypeAdapter(dict[str, Any]).dump_python(content, mode="json")
