"""The `kaira` command: serve, migrate, back up and restore, create users, make demo data.

Every failure a user can cause or meet (bad settings, database down or missing, schema not applied)
ends with one line on stderr and exit status 1, never a traceback, and never a URL's password.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Coroutine
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console

from kaira import migrate
from kaira.backup import CRON_EXAMPLE
from kaira.config import ConfigError, Settings, get_settings
from kaira.troubleshoot import explain

T = TypeVar("T")

app = typer.Typer(help="Kaira: users, posts and tags.", no_args_is_help=True, pretty_exceptions_enable=False)
db_app = typer.Typer(help="Database schema (Alembic migrations) on DATABASE_URL.", no_args_is_help=True)
users_app = typer.Typer(help="User accounts.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")

out = Console()
err = Console(stderr=True)


@app.callback()
def start() -> None:
    """Users, posts and tags over HTTP, on SQLite or PostgreSQL."""
    # Every command may touch the models: configure them all now, whatever the command imports.
    from kaira.models import configure_models

    configure_models()


def fail(message: str) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}", highlight=False, markup=True, soft_wrap=True)
    return typer.Exit(1)


def load() -> Settings:
    try:
        settings = get_settings()
        settings.resolved_secret_key()
    except ConfigError as error:
        raise fail(str(error)) from None
    return settings


def run(settings: Settings, work: Coroutine[Any, Any, T]) -> T:
    """Run database work, explaining the usual failures in one line."""
    with asyncio.Runner() as runner:
        try:
            return runner.run(work)
        except Exception as error:
            _let_driver_threads_finish()
            message = explain(error, settings.db_url)
            if message is None:
                raise
            raise fail(message) from None


def _let_driver_threads_finish() -> None:
    """Wait, while the event loop is still open, for aiosqlite's worker threads to end.

    aiosqlite 0.22 stops the thread of a connection that failed to open without waiting for it, and the
    thread then reports to the loop; were the loop closed by then, a thread traceback would follow the
    one-line error (omnilib/aiosqlite#241, fixed by the still open #389).
    """
    for thread in threading.enumerate():
        if thread is not threading.current_thread() and "_connection_worker_thread" in thread.name:
            thread.join(timeout=1)


@app.command()
def serve(
    host: Annotated[
        str | None, typer.Option(help="Interface to listen on [default: HOST or 127.0.0.1]")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port [default: PORT or 8000]")] = None,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes")] = 1,
    reload: Annotated[bool, typer.Option(help="Restart on code changes (development)")] = False,
) -> None:
    """Upgrade the schema to the newest migration, then serve the API."""
    from kaira.serving import serve as serve_api

    settings = load()
    applied = run(settings, migrate.upgrade(settings.db_url))
    if applied.strip():
        out.print(applied.strip())
    serve_api(
        settings, host=host or settings.host, port=port or settings.port, workers=workers, reload=reload
    )


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision")] = "head") -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    settings = load()
    run(settings, migrate.upgrade(settings.db_url, revision))
    out.print(f"Schema at {run(settings, migrate.current_revision(settings.db_url))}")


# `-1` is a revision, not an option: as with `alembic downgrade -1`, no `--` is needed before it.
@db_app.command("downgrade", context_settings={"ignore_unknown_options": True})
def db_downgrade(revision: Annotated[str, typer.Argument(help="Target revision, e.g. -1 or base")]) -> None:
    """Undo migrations down to REVISION."""
    settings = load()
    run(settings, migrate.downgrade(settings.db_url, revision))
    out.print(f"Schema at {run(settings, migrate.current_revision(settings.db_url)) or 'base (empty)'}")


@db_app.command("current")
def db_current() -> None:
    """Show the revision the database is at, and whether it is the newest."""
    settings = load()
    current = run(settings, migrate.current_revision(settings.db_url))
    head = migrate.head_revision()
    state = "up to date" if current == head else f"behind: run `kaira db upgrade` to reach {head}"
    out.print(f"{current or 'base (empty)'} ({state})")


@db_app.command("history")
def db_history() -> None:
    """List the migrations."""
    out.print(migrate.history().rstrip(), highlight=False)


@db_app.command("adopt")
def db_adopt() -> None:
    """Take over a database made by the original tutorial (its create_all tables), keeping its rows."""
    settings = load()
    run(settings, migrate.adopt(settings.db_url))
    out.print("Adopted: schema at " + str(run(settings, migrate.current_revision(settings.db_url))))


@db_app.command("backup", epilog=CRON_EXAMPLE)
def db_backup(file: Annotated[Path, typer.Argument(help="Where to write, e.g. kaira.jsonl.gz")]) -> None:
    """Copy every table into FILE (gzip-compressed JSON lines) from one snapshot, while the service serves."""
    from kaira.backup.dump import backup

    settings = load()
    out.print(run(settings, backup(settings.db_url, file)), highlight=False, soft_wrap=True)


@db_app.command("restore")
def db_restore(
    file: Annotated[Path, typer.Argument(help="A file made by `kaira db backup`")],
    force: Annotated[bool, typer.Option("--force", help="Replace a database that holds rows")] = False,
) -> None:
    """Load FILE into an empty database (migrated to FILE's revision, then to the newest), all or nothing."""
    from kaira.backup.load import restore

    settings = load()
    out.print(run(settings, restore(settings.db_url, file, force=force)), highlight=False, soft_wrap=True)


@users_app.command("create")
def users_create(
    username: Annotated[str, typer.Option(help="Login name")],
    email: Annotated[str, typer.Option(help="Email address")],
    full_name: Annotated[str | None, typer.Option(help="Display name")] = None,
    superuser: Annotated[bool, typer.Option("--superuser", help="May edit and delete anything")] = False,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin")
    ] = False,
) -> None:
    """Create an account; the password is asked without echo, or read from stdin."""
    from kaira.users.schemas import UserCreate

    settings = load()
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        data = UserCreate(username=username, email=email, password=password, full_name=full_name)
    except ValidationError as error:
        first = error.errors()[0]
        raise fail(f"{first['loc'][0]}: {first['msg']}") from None
    user_id = run(settings, _create_user(settings, data, superuser))
    kind = "superuser" if superuser else "user"
    out.print(f"Created {kind} {data.username!r} with id {user_id}")


async def _create_user(settings: Settings, data: Any, superuser: bool) -> int:
    from kaira.database.engines import Engines
    from kaira.database.sessions import make_sessionmaker
    from kaira.errors import Conflict
    from kaira.users.service import create_user

    await _require_current_schema(settings)
    engines = Engines.open(settings)
    try:
        async with make_sessionmaker(engines.transactional)() as session, session.begin():
            try:
                user = await create_user(session, data, is_superuser=superuser)
            except Conflict as error:
                raise fail(error.detail) from None
            user_id: int = user["id"]
            return user_id
    finally:
        await engines.dispose()


async def _require_current_schema(settings: Settings) -> None:
    current = await migrate.current_revision(settings.db_url)
    if current != migrate.head_revision():
        raise fail(
            f"The database schema is at {current or 'nothing'}, not the newest: run `kaira db upgrade`"
        )


@app.command()
def seed(
    users: Annotated[int, typer.Option(min=1, max=100_000, help="Users to create")] = 10,
    posts: Annotated[int, typer.Option(min=0, max=1_000_000, help="Posts to create")] = 100,
) -> None:
    """Demo data: USERS users (password `demo-password`) and POSTS posts with tags."""
    from kaira.seed import seed_demo

    settings = load()

    async def work() -> tuple[int, int]:
        await _require_current_schema(settings)
        return await seed_demo(settings, users=users, posts=posts)

    made_users, made_posts = run(settings, work())
    out.print(f"Seeded {made_users} users and {made_posts} posts (password: demo-password)")
