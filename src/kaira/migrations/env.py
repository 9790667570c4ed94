"""Alembic environment: async engines, the models' metadata, batch mode on SQLite.

A caller may hand over an open connection in `config.attributes["connection"]` (the tests and
`kaira serve` do, to migrate under a lock); otherwise DATABASE_URL from the settings is used.
"""

from __future__ import annotations

import asyncio
import warnings

from alembic import context
from sqlalchemy.engine import Connection

from kaira.config import get_settings
from kaira.database.engines import make_engine
from kaira.migrate import include_in_comparison
from kaira.models import Base, configure_models

config = context.config
configure_models()
# SQLite cannot reflect expression indexes (ix_users_email_lower); the migrations handle it explicitly.
warnings.filterwarnings("ignore", message=".*expression-based index.*")
target_metadata = Base.metadata


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=include_in_comparison,
    )


def _run(connection: Connection) -> None:
    _configure(connection)
    with context.begin_transaction():
        context.run_migrations()


async def _run_with_new_engine() -> None:
    engine = make_engine(get_settings().db_url, for_migrations=True)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
            await connection.commit()
    finally:
        await engine.dispose()


def run_migrations_online() -> None:
    connection: Connection | None = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
    else:
        asyncio.run(_run_with_new_engine())


if context.is_offline_mode():
    context.configure(
        url=get_settings().db_url.render_as_string(hide_password=False), target_metadata=target_metadata
    )
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
