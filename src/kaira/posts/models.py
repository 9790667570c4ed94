from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, column, false, table, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kaira.database.base import Base, UTCDateTime, utcnow
from kaira.tags.models import Tag, post_tags
from kaira.users.models import User


class Post(Base):
    __tablename__ = "posts"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    content: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    is_published: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    # lazy="raise": under asyncio a lazy load cannot happen; a query that forgets to load a relation
    # fails loudly in the tests instead of in production.
    author: Mapped[User] = relationship(back_populates="posts", lazy="raise")
    tags: Mapped[list[Tag]] = relationship(secondary=post_tags, passive_deletes=True, lazy="raise")

    # Every list is newest first (created_at, id): these serve all posts, published ones, one author's.
    __table_args__ = (
        Index("ix_posts_created_at_id", "created_at", "id"),
        Index(
            "ix_posts_published_created_at_id",
            "created_at",
            "id",
            # As each dialect writes the test in a statement, or the index is never used (0006).
            postgresql_where=text("is_published"),
            sqlite_where=text("is_published = 1"),
        ),
        Index("ix_posts_author_id_created_at_id", "author_id", "created_at", "id"),
        {"sqlite_autoincrement": True},  # a deleted post's URL never shows another post later
    )

    def __repr__(self) -> str:
        return f"<Post id={self.id} title={self.title!r}>"


POST_SEARCH = table("post_search", column("post_id", Integer), column("folded", Text))
"""SQLite only: each post's title and content in lower case, kept by triggers, for search (migration
0005 says why). Not a model: no code writes it, and PostgreSQL has no such table."""
