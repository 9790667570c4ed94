"""Turn start-up failures into one line that names the problem and the fix, never a traceback.

These are the original tutorial's troubleshooting cases: PostgreSQL not running, the database
missing, wrong credentials, migrations not applied, a malformed URL.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

from sqlalchemy.engine import URL

from kaira.config import ConfigError


def _chain(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        pending.extend([current.__cause__, current.__context__, getattr(current, "orig", None)])


def explain(error: BaseException, url: URL | None) -> str | None:
    """A one-line explanation of `error`, or None if it is not a known start-up problem."""
    if isinstance(error, ConfigError):
        return str(error)
    where = f"{url.host or 'localhost'}:{url.port or 5432}" if url is not None else "the database"
    database = url.database if url is not None else "?"
    names = {type(link).__name__ for link in _chain(error)}
    links = list(_chain(error))
    if "InvalidCatalogNameError" in names:
        return (
            f"DATABASE_URL names database {database!r}, which does not exist on {where}: "
            f"create it (createdb {database})"
        )
    if names & {"InvalidPasswordError", "InvalidAuthorizationSpecificationError"}:
        return f"DATABASE_URL: PostgreSQL at {where} refused the user name or password"
    if any(isinstance(link, socket.gaierror) for link in links):
        return f"DATABASE_URL: the host {url.host if url else '?'!r} is unknown"
    if (
        any(isinstance(link, ConnectionRefusedError | TimeoutError) for link in links)
        or "CannotConnectNowError" in names
    ):
        return (
            f"DATABASE_URL: cannot connect to PostgreSQL at {where}: is it running? "
            "(start it, e.g. `pg_ctlcluster 15 main start` or `systemctl start postgresql`)"
        )
    if (
        url is not None
        and url.get_backend_name() == "sqlite"
        and any("unable to open database file" in str(link) for link in links)
    ):
        return (
            f"DATABASE_URL: cannot open the SQLite file {url.database!r}: "
            "does its directory exist, and is it writable?"
        )
    if names & {"UndefinedTableError"} or any("no such table" in str(link) for link in links):
        return "The database schema is missing or old: run `kaira db upgrade`"
    return None
