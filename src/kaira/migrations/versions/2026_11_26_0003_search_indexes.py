"""Trigram indexes for search on PostgreSQL, where the server offers `pg_trgm`.

Search is `ILIKE '%word%'` on title and content. Without an index it walks the posts newest first
until a page of matches is found: fast for common words, a scan of every post for a rare or missing
one (about 1 s on 100,000 posts). With GIN trigram indexes PostgreSQL picks per word: the newest-first
walk when matches are many, the indexes when they are few.

`pg_trgm` ships with PostgreSQL's contrib package and is a trusted extension: a user who may create
objects in the database may install it. Where it is missing or not allowed, this migration installs
nothing and says so; search keeps working, without the index. SQLite has no such index: nothing here.
The models do not declare these indexes (`kaira.migrate.SEARCH_INDEXES`).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

import logging
from collections.abc import Sequence

from alembic import op
from sqlalchemy import text

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("kaira.migrations")
COLUMNS = ("title", "content")


def _trigrams_usable() -> bool:
    bind = op.get_bind()
    if bind.scalar(text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")):
        return True
    available = bind.scalar(text("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'"))
    allowed = bind.scalar(text("SELECT has_database_privilege(current_database(), 'CREATE')"))
    if not (available and allowed):
        log.warning("pg_trgm is not available to this database user: search works, without an index")
        return False
    op.execute("CREATE EXTENSION pg_trgm")
    return True


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql" or not _trigrams_usable():
        return
    for column in COLUMNS:
        op.create_index(
            f"ix_posts_{column}_trgm",
            "posts",
            [column],
            postgresql_using="gin",
            postgresql_ops={column: "gin_trgm_ops"},
        )


def downgrade() -> None:
    """The extension stays: other objects may use it, and it costs nothing unused."""
    if op.get_bind().dialect.name != "postgresql":
        return
    for column in COLUMNS:
        op.execute(f"DROP INDEX IF EXISTS ix_posts_{column}_trgm")
