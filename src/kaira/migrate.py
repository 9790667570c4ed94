"""Alembic driven from code: `kaira serve` and `kaira db …` need no alembic.ini and no working directory."""

from __future__ import annotations

import io
from collections.abc import Callable
from contextlib import redirect_stdout

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import URL, Connection

from kaira.config import ConfigError
from kaira.database.engines import make_engine
from kaira.models import DERIVED_TABLES

# Any constant both sides agree on: instances starting together take turns to migrate.
MIGRATION_LOCK_KEY = 0x6B61697261  # "kaira"
TUTORIAL_REVISION = "0001"

SEARCH_INDEXES = frozenset({"ix_posts_title_trgm", "ix_posts_content_trgm"})
"""Made by migration 0003 only where PostgreSQL offers `pg_trgm`, so the models cannot declare them."""


def include_in_comparison(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Alembic's `include_object`: the models and the database are compared without the search indexes
    and the derived tables."""
    if type_ == "index":
        return name not in SEARCH_INDEXES
    return not (type_ == "table" and name in DERIVED_TABLES)


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", "kaira:migrations")
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def in_migration_transaction(url: URL, action: Callable[[Config], None]) -> str:
    """Run Alembic commands (and any work beside them) in one transaction, under PostgreSQL's advisory
    lock; return what they printed."""
    engine = make_engine(url, for_migrations=True)
    output = io.StringIO()

    def on_connection(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        config.stdout = output
        with redirect_stdout(output):
            action(config)

    try:
        async with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                await connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
                )
            await connection.run_sync(on_connection)
    finally:
        await engine.dispose()
    return output.getvalue()


async def upgrade(url: URL, revision: str = "head") -> str:
    return await in_migration_transaction(url, lambda config: command.upgrade(config, revision))


async def downgrade(url: URL, revision: str) -> str:
    return await in_migration_transaction(url, lambda config: command.downgrade(config, revision))


def history() -> str:
    """The migration history; read from the scripts, so it needs no database."""
    output = io.StringIO()
    config = alembic_config()
    config.stdout = output
    command.history(config)
    return output.getvalue()


class NotAdoptable(ConfigError):
    """The database is not one the tutorial made, or its rows cannot fit Kaira's rules as they are."""


async def adopt(url: URL) -> str:
    """Take over a database the original tutorial made: mark it as the tutorial's schema, then upgrade."""

    def stamp_then_upgrade(config: Config) -> None:
        _check_adoptable(config.attributes["connection"])
        command.stamp(config, TUTORIAL_REVISION)
        command.upgrade(config, "head")

    return await in_migration_transaction(url, stamp_then_upgrade)


def _check_adoptable(connection: Connection) -> None:
    """Refuse, before touching anything, what the upgrade would otherwise stop on halfway."""
    current = MigrationContext.configure(connection).get_current_revision()
    if current is not None:
        raise NotAdoptable(
            f"DATABASE_URL names a database already under migrations (at {current}): "
            "nothing to adopt; run `kaira db upgrade`"
        )
    if not {"users", "posts"} <= set(inspect(connection).get_table_names()):
        raise NotAdoptable(
            "DATABASE_URL names a database without the tutorial's tables users and posts: "
            "nothing to adopt; for a new database run `kaira db upgrade`"
        )
    clashes = connection.scalars(
        text("SELECT lower(email) FROM users GROUP BY lower(email) HAVING count(*) > 1 ORDER BY 1")
    ).all()
    if clashes:
        raise NotAdoptable(
            "Emails are unique regardless of case here; merge the accounts that share "
            f"{', '.join(clashes)}, then adopt again"
        )


async def current_revision(url: URL) -> str | None:
    engine = make_engine(url, for_migrations=True)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(
                lambda sync: MigrationContext.configure(sync).get_current_revision()
            )
    finally:
        await engine.dispose()
