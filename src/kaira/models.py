"""The models registry: every model is imported here, and every entry point goes through it.

Relationships name each other by string (`relationship("Post")`), resolved when the mappers are
configured; a process that imported only some models (the command line creating a user, say) would
fail there with a traceback. So the app factory, the command line, the migration environment, the
seeder and the bench call `configure_models()` before anything touches the database, and the mappers
are complete and checked at start-up rather than at the first query.
"""

from __future__ import annotations

from sqlalchemy.orm import configure_mappers

from kaira.auth.models import LoginSession
from kaira.database.base import Base
from kaira.posts.models import POST_SEARCH, Post
from kaira.tags.models import Tag, post_tags
from kaira.users.models import User

__all__ = [
    "DERIVED_TABLES",
    "Base",
    "LoginSession",
    "Post",
    "Tag",
    "User",
    "configure_models",
    "post_tags",
]

DERIVED_TABLES = frozenset({POST_SEARCH.name})
"""Tables the database keeps itself (triggers) from other tables' rows: not models, so not compared
with the migrations, and not in backups (restoring the rows they derive from rebuilds them)."""


def configure_models() -> None:
    configure_mappers()
