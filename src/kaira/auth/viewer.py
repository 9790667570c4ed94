"""Who is reading, as far as what they may see is concerned: an id and whether they are a superuser.

Visibility rules (drafts, private emails) need nothing more, so read endpoints take the caller as this
small record instead of an ORM `User` bound to a session; write endpoints pass their `User`, which fits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class Viewer(Protocol):
    @property
    def id(self) -> int: ...

    @property
    def is_superuser(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class SignedInViewer:
    id: int
    is_superuser: bool
