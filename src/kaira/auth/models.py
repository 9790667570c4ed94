"""A log-in session: what every token of one log-in descends from, and what ends them all at once.

Access tokens name their session (`sid`), so ending the row ends them on their next request. The
refresh token is kept only as its SHA-256 (it is random and long: a slow hash would add nothing), with
the generation it was issued in: a genuine token of an older generation is a spent one coming back,
which is how a stolen refresh token is recognised (RFC 9700 §4.14).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from kaira.database.base import Base, UTCDateTime, utcnow

CLIENT_ADDRESS_LENGTH = 100
USER_AGENT_LENGTH = 500


class LoginSession(Base):
    __tablename__ = "sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    """When a token of it was last issued (log-in or refresh): not written on every request."""
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    """The end of the refresh token's life; set to the moment it ended when it ends, so that one
    index finds every session that may be purged."""
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    client_address: Mapped[str | None] = mapped_column(String(CLIENT_ADDRESS_LENGTH))
    user_agent: Mapped[str | None] = mapped_column(String(USER_AGENT_LENGTH))
    refresh_token_hash: Mapped[str] = mapped_column(String(64))
    generation: Mapped[int] = mapped_column(default=0)
    """How many times the refresh token was rotated; it is part of the token."""

    # AUTOINCREMENT on SQLite: a session id is never handed out again, so an old token cannot name
    # someone else's new session.
    __table_args__ = ({"sqlite_autoincrement": True},)

    def __repr__(self) -> str:
        return f"<LoginSession id={self.id} user_id={self.user_id}>"
