from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Index, String, false, func, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kaira.database.base import Base, UTCDateTime, utcnow

if TYPE_CHECKING:
    from kaira.posts.models import Post


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(50), unique=True, index=True)
    email: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(255))
    full_name: Mapped[str | None] = mapped_column(String(100))
    is_active: Mapped[bool] = mapped_column(default=True, server_default=true())
    is_superuser: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    posts: Mapped[list[Post]] = relationship(
        back_populates="author", cascade="all, delete-orphan", passive_deletes=True, lazy="raise"
    )

    # One address, whatever its case: enforced by the database, not only by the service.
    # AUTOINCREMENT on SQLite: an id is never handed out again after its row is deleted.
    __table_args__ = (
        Index("ix_users_email_lower", func.lower(email), unique=True),
        {"sqlite_autoincrement": True},
    )

    def __repr__(self) -> str:
        return f"<User id={self.id} username={self.username!r}>"
