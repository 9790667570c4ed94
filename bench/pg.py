"""PostgreSQL housekeeping: database URLs, creating a database that is missing.

The bench owns its databases (`kaira_bench`, `kaira_bench_deep`, `kaira_bench_seedref`), so it may create
them; it never drops one, so pointing `BENCH_DATABASE_URL` at the wrong server cannot destroy a database.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import asyncpg  # type: ignore[import-untyped]

MAINTENANCE_DATABASE = "postgres"


class DatabaseUrlError(Exception):
    """A database URL the bench cannot use."""


def database_name(url: str) -> str:
    name = urlsplit(url).path.lstrip("/")
    if not name:
        raise DatabaseUrlError(f"{redact(url)} names no database: add /DBNAME after the host")
    return name


def with_database(url: str, *, name: str | None = None, suffix: str = "") -> str:
    """The same server and credentials, another database: `name`, or this one's name plus `suffix`."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + (name or database_name(url) + suffix)))


def redact(url: str) -> str:
    """The URL as it may be printed or recorded: never with its password."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def asyncpg_dsn(url: str) -> str:
    """asyncpg wants plain `postgresql://`; Kaira also accepts `postgresql+asyncpg://`."""
    scheme, _, rest = url.partition("://")
    if scheme not in ("postgresql", "postgres", "postgresql+asyncpg"):
        raise DatabaseUrlError(f"{redact(url)} is not a PostgreSQL URL: the bench measures PostgreSQL")
    return "postgresql://" + rest


async def ensure_database(url: str) -> bool:
    """Create the URL's database when it does not exist; True when it was created."""
    name = database_name(url)
    conn = await asyncpg.connect(asyncpg_dsn(with_database(url, name=MAINTENANCE_DATABASE)))
    try:
        if await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            return False
        quoted = '"' + name.replace('"', '""') + '"'
        try:
            await conn.execute(f"CREATE DATABASE {quoted}")
        except asyncpg.DuplicateDatabaseError:  # created meanwhile by another run: just as good
            return False
        return True
    finally:
        await conn.close()
