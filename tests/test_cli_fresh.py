"""The command line as a new user meets it: each command a fresh interpreter, on a fresh database.

In-process tests share one interpreter that has imported the whole app, so they cannot see a command
that fails on its own: `kaira users create` once crashed on an unconfigured mapper while every test
passed. Here every command is the installed console script, and the account it makes is used over
real HTTP against `kaira serve`.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx2
import pytest
from sqlalchemy.engine import URL

from kaira import migrate
from tests.conftest import BEFORE_HEAD
from tests.helpers_pg import KAIRA, REPO_ROOT, clean_env, kaira_serve, plain

HEAD = migrate.head_revision()
ROOT_PASSWORD = "root's long password"


def run(command: list[str], env: dict[str, str], cwd: Path, stdin: str | None = None) -> str:
    """A command in a fresh interpreter; it must succeed, and say nothing on stderr but progress."""
    result = subprocess.run(
        command, env=env, cwd=cwd, input=stdin, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, f"{command} failed:\n{result.stdout}\n{result.stderr}"
    assert "Traceback" not in result.stderr
    return result.stdout


def test_a_new_user_makes_a_superuser_and_uses_it_over_http(empty_url: URL, tmp_path: Path) -> None:
    env = clean_env(database_url=plain(empty_url))

    run([str(KAIRA), "db", "upgrade"], env, tmp_path)
    created = run(
        [str(KAIRA), "users", "create", "--username", "root", "--email", "root@example.com", "--superuser",
         "--password-stdin"], env, tmp_path, stdin=f"{ROOT_PASSWORD}\n",
    )  # fmt: skip
    seeded = run([str(KAIRA), "seed", "--users", "2", "--posts", "20"], env, tmp_path)
    current = run([str(KAIRA), "db", "current"], env, tmp_path)

    assert created.startswith("Created superuser 'root' with id ")
    assert seeded.startswith("Seeded 2 users and 20 posts")
    assert current.strip() == f"{HEAD} (up to date)"
    with kaira_serve(env, tmp_path) as server:
        server.wait_healthy()
        token = httpx2.post(
            server.base_url + "/api/auth/token", data={"username": "root", "password": ROOT_PASSWORD}
        )
        assert token.status_code == 200, token.text
        as_root = {"Authorization": f"Bearer {token.json()['access_token']}"}
        everything = server.get("/api/posts/?limit=100", headers=as_root).json()
        published = server.get("/api/posts/?limit=100").json()
        someone = next(user for user in server.get("/api/users/").json() if user["username"] != "root")
        profile_as_root = server.get(f"/api/users/{someone['id']}", headers=as_root).json()
        draft = next(post for post in everything if not post["is_published"])
        edited = httpx2.put(
            f"{server.base_url}/api/posts/{draft['id']}", json={"title": "Edited by root"}, headers=as_root
        )

    # The superuser sees drafts and emails, and may edit another author's post; a reader sees neither.
    assert len(everything) == 20 > len(published)
    assert "email" in profile_as_root
    assert "email" not in someone
    assert (edited.status_code, edited.json()["title"]) == (200, "Edited by root")

    downgraded = run([str(KAIRA), "db", "downgrade", "-1"], env, tmp_path)
    behind = run([str(KAIRA), "db", "current"], env, tmp_path)
    assert downgraded.strip() == f"Schema at {BEFORE_HEAD}"
    assert behind.strip() == f"{BEFORE_HEAD} (behind: run `kaira db upgrade` to reach {HEAD})"


def test_alembic_itself_migrates_from_the_repository_root(empty_url: URL) -> None:
    """The migration environment is an entry point of its own: it must configure the models itself."""
    env = clean_env(database_url=plain(empty_url))
    alembic = str(Path(sys.executable).parent / "alembic")

    run([alembic, "upgrade", "head"], env, REPO_ROOT)
    current = run([alembic, "current"], env, REPO_ROOT)

    assert f"{HEAD} (head)" in current


ENTRY_POINTS = {
    "the app factory": "from kaira.main import create_app\ncreate_app(Settings(secret_key='k' * 40))",
    "the command line": "from typer.testing import CliRunner\nfrom kaira.cli import app\n"
    "assert CliRunner().invoke(app, ['db', 'history']).exit_code == 0",
    "the seeder": "import asyncio\nfrom kaira.seed import seed_demo\n"
    "asyncio.run(seed_demo(Settings(), users=1, posts=1))",
}


@pytest.mark.parametrize("entry_point", ENTRY_POINTS)
def test_each_entry_point_alone_configures_every_mapper(entry_point: str, tmp_path: Path) -> None:
    """Imported alone in a fresh interpreter, each entry point leaves every mapper configured."""
    url = URL.create("sqlite+aiosqlite", database=str(tmp_path / "alone.db"))
    env = clean_env(database_url=plain(url), secret_key="k" * 40)
    run([str(KAIRA), "db", "upgrade"], env, tmp_path)
    script = (
        "from kaira.config import Settings\n"
        f"{ENTRY_POINTS[entry_point]}\n"
        "from sqlalchemy.orm import Mapper\n"
        "from kaira.users.models import User\n"
        "mappers = [m for m in User.__mapper__.registry.mappers if isinstance(m, Mapper)]\n"
        "assert len(mappers) >= 3 and all(m.configured for m in mappers), mappers\n"
    )

    run([sys.executable, "-c", script], env, tmp_path)
