"""Who is calling, as far as the rules need to know: an id and whether they are a superuser.

Visibility rules (drafts, private emails) and rights (whose post may change) need nothing more (and
log-out its session), so every
endpoint gets the caller as this small record, looked up in one Core statement, not as an ORM `User`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Caller:
    id: int
    is_superuser: bool
    session_id: int
    """The log-in session the caller's token belongs to (log-out ends it; a new password keeps it)."""

    def may_act_for(self, user_id: int) -> bool:
        """Acting on `user_id`'s behalf (their account, their posts): themself, or a superuser."""
        return self.is_superuser or self.id == user_id
