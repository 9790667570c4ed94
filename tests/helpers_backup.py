"""What the backup tests share: a database with a little of everything, and everything the API says of it."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.engine import URL

from kaira.backup.format import Reader
from tests.helpers_pg import KAIRA, clean_env, plain
from tests.test_cli import api, login


@dataclass(frozen=True)
class Person:
    username: str
    password: str


ROOT = Person("root", "root's long password")
ADA = Person("ada", "ada's long password")
BOB = Person("bob", "bob's long password")
PEOPLE = (ROOT, ADA, BOB)


def run_kaira(
    *args: str, url: URL, cwd: Path, stdin: str | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    """The installed `kaira`, in a fresh interpreter, as cron or an operator runs it."""
    return subprocess.run(
        [str(KAIRA), *args],
        env=clean_env(database_url=plain(url), **env),
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def populate(url: URL, cwd: Path) -> None:
    """Accounts (a superuser among them), posts in both languages with tags, drafts, an edit, and a
    deleted post (whose id must never be handed out again)."""
    made = run_kaira(
        "users", "create", "--username", ROOT.username, "--email", "root@example.com", "--superuser",
        "--password-stdin", url=url, cwd=cwd, stdin=ROOT.password,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    with api(url) as client:
        for person in (ADA, BOB):
            body = {"username": person.username, "email": f"{person.username}@example.com",
                    "password": person.password, "full_name": person.username.title()}  # fmt: skip
            assert client.post("/api/users/", json=body).status_code == 201
        ada, bob = login(client, ADA.username, ADA.password), login(client, BOB.username, BOB.password)
        posts = [
            (ada, {"title": "안녕하세요", "content": "# 첫 글\n\n반갑습니다", "is_published": True,
                   "tags": ["인사", "Intro"]}),
            (ada, {"title": "Draft", "content": "not yet", "is_published": False, "tags": ["intro"]}),
            (bob, {"title": "Bob's", "content": "- Öl\n- two", "is_published": True, "tags": ["python"]}),
            (bob, {"title": "Gone", "content": "soon deleted", "is_published": True}),
            (bob, {"title": "Bob's draft", "content": "`code`", "is_published": False,
                   "tags": ["python", "초안"]}),
        ]  # fmt: skip
        ids = []
        for headers, body in posts:
            response = client.post("/api/posts/", json=body, headers=headers)
            assert response.status_code == 201, response.text
            ids.append(response.json()["id"])
        assert (
            client.put(f"/api/posts/{ids[0]}", json={"content": "고쳤습니다"}, headers=ada).status_code == 200
        )
        assert client.delete(f"/api/posts/{ids[3]}", headers=bob).status_code == 204
        assert client.delete(f"/api/posts/{ids[4]}", headers=bob).status_code == 204  # the newest id


def answers(url: URL) -> dict[str, Any]:
    """Every answer the API gives about the data, to each kind of caller: anonymous, each user
    (who logs in with the password they chose: hashes must survive), and the superuser."""
    found: dict[str, Any] = {}
    with api(url) as client:
        callers = {"anonymous": {}} | {p.username: login(client, p.username, p.password) for p in PEOPLE}

        def ask(path: str, caller: str) -> Any:
            response = client.get(path, headers=callers[caller])
            found[f"{caller} {path}"] = (response.status_code, response.json(), response.headers.get("link"))
            return response.json()

        for caller in callers:
            users = ask("/api/users/?limit=100", caller)
            posts = ask("/api/posts/?limit=100", caller)
            ask("/api/posts/?limit=2", caller)
            ask("/api/posts/published?limit=100", caller)
            ask("/api/posts/?tag=intro&limit=100", caller)
            ask("/api/posts/?q=%EC%95%88%EB%85%95&limit=100", caller)  # 안녕
            assert ask("/api/posts/?q=%C3%B6L&limit=100", caller)  # öL: case folded beyond ASCII
            ask("/api/tags/", caller)
            if caller != "anonymous":
                ask("/api/users/me", caller)
            for user in users:
                ask(f"/api/users/{user['id']}", caller)
            for post_id in range(1, max((post["id"] for post in posts), default=0) + 2):
                ask(f"/api/posts/{post_id}", caller)
    return found


def rows_of(path: Path) -> dict[str, list[dict[str, Any]]]:
    """A backup's rows by table, read (and checked) by the same reader restore uses."""
    reader = Reader(path)
    try:
        rows: dict[str, list[dict[str, Any]]] = {name: [] for name in reader.header.tables}
        for name, batch in reader.batches():
            rows[name].extend(batch)
        return rows
    finally:
        reader.close()


def new_post_id(client: TestClient, person: Person) -> int:
    headers = login(client, person.username, person.password)
    response = client.post("/api/posts/", json={"title": "After", "content": "restored"}, headers=headers)
    assert response.status_code == 201, response.text
    post_id: int = response.json()["id"]
    return post_id
