"""Put the benchmark's data in a database: create it, migrate it with Kaira's own command, bulk-load it.

Loading is skipped when the data are already there, and redone (truncate, COPY) when a previous run's
writes (created posts, sign-ups) changed them, so every run starts from the same rows. COPY loads
100,000 posts in seconds where INSERTs through the API would take many minutes.

The SQLite database of `--database sqlite` is a copy of the PostgreSQL one made with Kaira's own
portable backup and restore (`kaira db backup`, `kaira db restore`), not by a second loader: the same
rows, ids and times, so the same request gets the same answer from both.

Run alone: `python -m bench.seed [--deep] [--sqlite] [--force]`.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
import typer
from pwdlib import PasswordHash
from rich.console import Console

from bench import dataset
from bench.dataset import DatasetSpec, PostRow, UserRow
from bench.pg import asyncpg_dsn, ensure_database, redact
from bench.settings import ROOT, Settings, load_settings

console = Console(stderr=True)


class SeedError(Exception):
    """The database could not be prepared; the message says what to do."""


@dataclass(frozen=True)
class Layout:
    """Which tables and columns a server's schema has: Kaira's, or the tutorial's (no tags, naive times)."""

    name: str
    user_columns: tuple[str, ...]
    post_columns: tuple[str, ...]
    with_tags: bool
    aware_times: bool


KAIRA = Layout(
    name="kaira",
    user_columns=UserRow._fields,
    post_columns=PostRow._fields,
    with_tags=True,
    aware_times=True,
)
SEEDREF = Layout(
    name="seedref",
    user_columns=tuple(c for c in UserRow._fields if c != "is_superuser"),
    post_columns=PostRow._fields,
    with_tags=False,
    aware_times=False,
)


@cache
def password_hash() -> str:
    """One Argon2id hash for every user, computed once: hashing 100 times would only slow seeding."""
    return PasswordHash.recommended().hash(dataset.PASSWORD)


def migrate(settings: Settings, url: str) -> None:
    """Bring the schema to Kaira's newest migration with the command users run (`kaira db upgrade`)."""
    kaira(settings, url, "db", "upgrade")


def kaira(settings: Settings, url: str, *args: str) -> None:
    """`kaira ARGS` on `url`, from the repository root as a user runs it.

    The key is set (and thrown away) because these commands sign nothing, and without one the
    development fallback would write a key file into the repository.
    """
    command = settings.kaira_command
    if not command.exists():
        raise SeedError(
            f"{command.name} not found beside the interpreter: install the project (`make`) first"
        )
    env = {"DATABASE_URL": url, "LOG_LEVEL": "WARNING", "SECRET_KEY": secrets.token_urlsafe(48)}
    done = subprocess.run(
        [str(command), *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        output = (done.stderr or done.stdout).strip()
        raise SeedError(f"`kaira {' '.join(args)}` failed on {redact(url)}:\n{output}")


async def load(url: str, spec: DatasetSpec, layout: Layout, *, force: bool = False) -> bool:
    """Load `spec`'s rows unless they are already there; True when rows were (re)loaded."""
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        if not force and await _already_loaded(conn, spec, layout):
            return False
        now = dataset.now_utc()
        async with conn.transaction():
            tables = ["users", "posts", *(["tags", "post_tags"] if layout.with_tags else [])]
            await conn.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
            await _copy(conn, "users", layout.user_columns, dataset.users(spec, password_hash(), now), layout)
            await _copy(conn, "posts", layout.post_columns, dataset.posts(spec, now), layout)
            if layout.with_tags:
                tags = enumerate(dataset.TAG_NAMES, start=1)
                await conn.copy_records_to_table("tags", records=tags, columns=("id", "name"))
                await conn.copy_records_to_table(
                    "post_tags", records=dataset.post_tags(spec), columns=("post_id", "tag_id")
                )
            for table in ("users", "posts", *(["tags"] if layout.with_tags else [])):
                await conn.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                )
        await conn.execute(f"ANALYZE {', '.join(tables)}")  # the planner must see 100,000 rows, not 0
        return True
    finally:
        await conn.close()


async def _already_loaded(conn: asyncpg.Connection, spec: DatasetSpec, layout: Layout) -> bool:
    """Same row counts and the same last post as this spec would load: nothing wrote since the last load."""
    for query, expected in _loaded_checks(spec, layout):
        if await conn.fetchval(query) != expected:
            return False
    return True


def _loaded_checks(spec: DatasetSpec, layout: Layout) -> Iterator[tuple[str, object]]:
    """(query, the value it gives right after a load): the same on PostgreSQL and SQLite."""
    counts = {"users": spec.users, "posts": spec.posts}
    if layout.with_tags:
        counts |= {"tags": len(dataset.TAG_NAMES), "post_tags": spec.posts * spec.tags_per_post}
    for table, expected in counts.items():
        yield f"SELECT count(*) FROM {table}", expected
    yield "SELECT max(id) FROM posts", spec.posts
    yield "SELECT title FROM posts WHERE id = 1", next(dataset.posts(spec, dataset.now_utc())).title


LOAD_STAMP = "SELECT created_at FROM users WHERE id = 1"
"""Which load the rows come from: every time of a load follows from the moment it ran (`now_utc`)."""


async def _copy(
    conn: asyncpg.Connection,
    table: str,
    columns: tuple[str, ...],
    rows: Iterable[UserRow] | Iterable[PostRow],
    layout: Layout,
) -> None:
    await conn.copy_records_to_table(table, records=_project(rows, columns, layout), columns=columns)


def _project(
    rows: Iterable[UserRow] | Iterable[PostRow], columns: tuple[str, ...], layout: Layout
) -> Iterator[tuple[object, ...]]:
    """Keep the layout's columns; a `timestamp without time zone` column gets naive UTC."""
    for row in rows:
        values = row._asdict()
        yield tuple(_plain_time(values[c], layout) for c in columns)


def _plain_time(value: object, layout: Layout) -> object:
    if isinstance(value, datetime) and not layout.aware_times:
        return value.replace(tzinfo=None)
    return value


async def prepare_kaira(settings: Settings, url: str, spec: DatasetSpec, *, force: bool = False) -> bool:
    """Create, migrate and load one of Kaira's bench databases; True when rows were loaded."""
    await ensure_database(url)
    await asyncio.to_thread(migrate, settings, url)
    return await load(url, spec, KAIRA, force=force)


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


@dataclass(frozen=True)
class SqliteCopy:
    """A SQLite file of the bench's that holds a copy of one PostgreSQL bench database."""

    source: str
    path: Path
    spec: DatasetSpec


def sqlite_copies(settings: Settings, *, deep: bool) -> list[SqliteCopy]:
    """`--database sqlite`'s copies: of the everyday data set, and with `deep` of the 100,000 posts."""
    copies = [SqliteCopy(settings.database_url, settings.sqlite_path, dataset.SMALL)]
    if deep:
        copies.append(SqliteCopy(settings.deep_database_url, settings.deep_sqlite_path, dataset.DEEP))
    return copies


async def prepare_sqlite(settings: Settings, copy: SqliteCopy, *, force: bool = False) -> bool:
    """Make `copy.path` a copy of `copy.source` (prepared first); True when the copy was (re)made.

    The copy is made again when its rows differ from a fresh load (a run's writes), or when it comes
    from an earlier load of PostgreSQL than the one there now: its times would differ from PostgreSQL's.
    """
    conn = await asyncpg.connect(asyncpg_dsn(copy.source))
    try:
        stamp = await conn.fetchval(LOAD_STAMP)
    finally:
        await conn.close()
    if not force and await asyncio.to_thread(_sqlite_is_copy, copy.path, copy.spec, stamp):
        return False
    await asyncio.to_thread(_copy_to_sqlite, settings, copy.source, copy.path)
    return True


def _sqlite_is_copy(path: Path, spec: DatasetSpec, stamp: datetime) -> bool:
    if not path.exists():
        return False
    try:
        with closing(sqlite3.connect(path)) as conn:
            for query, expected in _loaded_checks(spec, KAIRA):
                if conn.execute(query).fetchone() != (expected,):
                    return False
            made = conn.execute(LOAD_STAMP).fetchone()
    except sqlite3.Error:  # no such table, not a database: not a copy
        return False
    return made is not None and _utc(made[0]) == stamp


def _utc(stored: str) -> datetime:
    """SQLite keeps UTC times as text without a zone (SQLAlchemy's format); PostgreSQL gives them aware."""
    moment = datetime.fromisoformat(stored)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _copy_to_sqlite(settings: Settings, source: str, path: Path) -> None:
    """`kaira db backup` of PostgreSQL, `kaira db restore` of it into a new file (the old one removed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):  # a new file: no free pages or old WAL from an earlier run
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="kaira-bench-") as folder:
        backup = Path(folder) / "kaira_bench.jsonl.gz"
        kaira(settings, source, "db", "backup", str(backup))
        kaira(settings, sqlite_url(path), "db", "restore", str(backup))


app = typer.Typer(add_completion=False, help="Create, migrate and load the bench databases.")


@app.command()
def main(
    deep: bool = typer.Option(False, "--deep", help="Also the 100,000-post database for deep pages."),
    sqlite: bool = typer.Option(False, "--sqlite", help="Also their SQLite copies, for --database sqlite."),
    force: bool = typer.Option(False, "--force", help="Reload even when the data are already there."),
) -> None:
    settings = load_settings()
    targets = [(settings.database_url, dataset.SMALL)]
    if deep:
        targets.append((settings.deep_database_url, dataset.DEEP))
    for url, spec in targets:
        loaded = asyncio.run(prepare_kaira(settings, url, spec, force=force))
        state = "loaded" if loaded else "already there"
        console.print(f"{redact(url)}: {spec.users} users, {spec.posts} posts: {state}")
    if sqlite:
        for copy in sqlite_copies(settings, deep=deep):
            copied = asyncio.run(prepare_sqlite(settings, copy, force=force))
            state = "copied" if copied else "already a copy"
            console.print(f"{copy.path.name}, a copy of {redact(copy.source)}: {state}")


if __name__ == "__main__":
    app()
