"""Kaira's schema: UTC timestamps, cascades in the database, case-blind emails, tags, list indexes.

Works on a fresh database and on one adopted from the tutorial (rows kept: NULL flags get their
defaults, naive timestamps are read as the UTC they were written in, emails are folded to lower case).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from alembic.operations import BatchOperations

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMPS = ("created_at", "updated_at")
AUTOINCREMENT = {"sqlite_autoincrement": True}


def _is_postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    op.execute("UPDATE users SET is_active = TRUE WHERE is_active IS NULL")
    op.execute("UPDATE users SET updated_at = created_at WHERE updated_at IS NULL")
    op.execute("UPDATE users SET email = lower(email)")
    op.execute("UPDATE posts SET is_published = FALSE WHERE is_published IS NULL")
    op.execute("UPDATE posts SET updated_at = created_at WHERE updated_at IS NULL")
    for table in ("users", "posts"):
        op.drop_index(f"ix_{table}_id", table_name=table)
    op.drop_index("ix_users_email", table_name="users")
    op.drop_index("ix_posts_title", table_name="posts")
    if _is_postgresql():
        op.execute("ALTER TABLE users RENAME CONSTRAINT users_pkey TO pk_users")
        op.execute("ALTER TABLE posts RENAME CONSTRAINT posts_pkey TO pk_posts")

    # On SQLite the tables are rebuilt anyway; AUTOINCREMENT keeps deleted ids from being reused.
    with op.batch_alter_table("users", table_kwargs=AUTOINCREMENT) as batch:
        batch.add_column(sa.Column("is_superuser", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch.alter_column("is_active", existing_type=sa.Boolean(), nullable=False, server_default=sa.true())
        _to_utc(batch)
    op.create_index("ix_users_email_lower", "users", [sa.text("lower(email)")], unique=True)

    with op.batch_alter_table("posts", table_kwargs=AUTOINCREMENT) as batch:
        batch.drop_constraint("posts_author_id_fkey", type_="foreignkey")
        batch.create_foreign_key(
            "fk_posts_author_id_users", "users", ["author_id"], ["id"], ondelete="CASCADE"
        )
        batch.alter_column(
            "is_published", existing_type=sa.Boolean(), nullable=False, server_default=sa.false()
        )
        _to_utc(batch)
    op.create_index("ix_posts_created_at_id", "posts", ["created_at", "id"])
    op.create_index("ix_posts_author_id_created_at_id", "posts", ["author_id", "created_at", "id"])
    op.create_index(
        "ix_posts_published_created_at_id",
        "posts",
        ["created_at", "id"],
        postgresql_where=sa.text("is_published"),
        sqlite_where=sa.text("is_published"),
    )

    op.create_table(
        "tags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(30), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_tags"),
        sa.UniqueConstraint("name", name="uq_tags_name"),
    )
    op.create_table(
        "post_tags",
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("tag_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["post_id"], ["posts.id"], name="fk_post_tags_post_id_posts", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["tag_id"], ["tags.id"], name="fk_post_tags_tag_id_tags", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("post_id", "tag_id", name="pk_post_tags"),
    )
    op.create_index("ix_post_tags_tag_id_post_id", "post_tags", ["tag_id", "post_id"])


def _to_utc(batch: BatchOperations) -> None:
    """Naive timestamps become timestamptz, read as the UTC the tutorial wrote (datetime.utcnow)."""
    for column in TIMESTAMPS:
        batch.alter_column(
            column,
            existing_type=sa.DateTime(),
            type_=sa.DateTime(timezone=True),
            nullable=False,
            postgresql_using=f"{column} AT TIME ZONE 'UTC'",
        )


def downgrade() -> None:
    op.drop_table("post_tags")
    op.drop_table("tags")
    for index in (
        "ix_posts_published_created_at_id",
        "ix_posts_author_id_created_at_id",
        "ix_posts_created_at_id",
    ):
        op.drop_index(index, table_name="posts")
    op.drop_index("ix_users_email_lower", table_name="users")
    with op.batch_alter_table("posts") as batch:
        batch.drop_constraint("fk_posts_author_id_users", type_="foreignkey")
        batch.create_foreign_key("posts_author_id_fkey", "users", ["author_id"], ["id"])
        batch.alter_column("is_published", existing_type=sa.Boolean(), nullable=True, server_default=None)
        _to_naive(batch)
    with op.batch_alter_table("users") as batch:
        batch.drop_column("is_superuser")
        batch.alter_column("is_active", existing_type=sa.Boolean(), nullable=True, server_default=None)
        _to_naive(batch)
    if _is_postgresql():
        op.execute("ALTER TABLE users RENAME CONSTRAINT pk_users TO users_pkey")
        op.execute("ALTER TABLE posts RENAME CONSTRAINT pk_posts TO posts_pkey")
    op.create_index("ix_users_id", "users", ["id"])
    op.create_index("ix_users_email", "users", ["email"], unique=True)
    op.create_index("ix_posts_id", "posts", ["id"])
    op.create_index("ix_posts_title", "posts", ["title"])


def _to_naive(batch: BatchOperations) -> None:
    for column in TIMESTAMPS:
        batch.alter_column(
            column,
            existing_type=sa.DateTime(timezone=True),
            type_=sa.DateTime(),
            nullable=column != "created_at",
            postgresql_using=f"{column} AT TIME ZONE 'UTC'",
        )
