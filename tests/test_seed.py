"""`kaira seed`: demo data that looks like a real blog's, in Korean and English, seen through the API."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import URL

from tests.test_cli import api, clean_environment, kaira, login  # noqa: F401 - clean_environment: autouse

HANGUL = re.compile("[가-힣]")


def _all_posts(url: URL) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    root = kaira(
        "users", "create", "--username", "root", "--email", "root@example.com", "--superuser",
        "--password-stdin", url=url, stdin="root's long password\n",
    )  # fmt: skip
    assert root.exit_code == 0
    with api(url) as client:
        headers = login(client, "root", "root's long password")
        posts = [
            post
            for skip in range(0, 400, 100)
            for post in client.get(f"/api/posts/?limit=100&skip={skip}", headers=headers).json()
        ]
        users = [
            user
            for skip in range(0, 40, 10)
            for user in client.get(f"/api/users/?limit=10&skip={skip}").json()
        ]
        tags = client.get("/api/tags/?limit=100").json()
    return posts, users, tags


def test_seed_writes_a_realistic_blog(current_url: URL) -> None:
    result = kaira("seed", "--users", "30", "--posts", "400", url=current_url)
    posts, users, tags = _all_posts(current_url)

    assert result.exit_code == 0
    assert result.stdout == "Seeded 30 users and 400 posts (password: demo-password)\n"
    assert len(posts) == 400
    korean = [post for post in posts if HANGUL.search(post["title"])]
    assert 0.2 < len(korean) / len(posts) < 0.8  # both languages, neither rare
    assert all(HANGUL.search(post["content"]) for post in korean)
    contents = "\n".join(post["content"] for post in posts)
    for markdown in ("\n## ", "\n- ", "```python\n", "](https://", "**"):
        assert markdown in contents
    drafts = [post for post in posts if not post["is_published"]]
    assert 0.05 < len(drafts) / len(posts) < 0.17
    assert all(1 <= len(post["tags"]) <= 3 for post in posts)
    names = [tag["name"] for tag in tags]
    assert any(HANGUL.search(name) for name in names)
    assert any(name.isascii() for name in names)
    assert len({post["author_id"] for post in posts}) > 10
    created = [datetime.fromisoformat(post["created_at"]) for post in posts]
    assert max(created) - min(created) > timedelta(days=300)
    ids = [post["id"] for post in posts]  # newest first
    assert ids == sorted(ids, reverse=True)  # so ids follow time, as if written one by one
    joined = {user["id"]: datetime.fromisoformat(user["created_at"]) for user in users}
    assert all(datetime.fromisoformat(post["created_at"]) >= joined[post["author_id"]] for post in posts)
    assert HANGUL.search("".join(user["full_name"] or "" for user in users))  # root has none


def test_seeding_again_adds_to_what_is_there(current_url: URL) -> None:
    first = kaira("seed", "--users", "3", "--posts", "5", url=current_url)
    again = kaira("seed", "--users", "2", "--posts", "4", url=current_url)

    assert (first.exit_code, again.exit_code) == (0, 0)
    with api(current_url) as client:
        users = client.get("/api/users/?limit=100").json()
        headers = login(client, users[-1]["username"], "demo-password")
        mine = client.post("/api/posts/", json={"title": "mine", "content": "new"}, headers=headers)
    assert [user["id"] for user in users] == [1, 2, 3, 4, 5]
    assert mine.status_code == 201
    assert mine.json()["id"] == 10  # the id sequence continues after seeded rows
