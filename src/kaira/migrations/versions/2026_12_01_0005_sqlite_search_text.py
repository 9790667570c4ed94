"""SQLite: each post's title and content folded to lower case once, when written, for search.

Search ignores case in every script, and SQLite's own `lower()` and `LIKE` fold ASCII only, so each
Kaira connection replaces `lower()` with Python's (`kaira.database.engines`). Called on every row a
search walks, that function was most of a search's cost: choosing a page of posts took 0.44 ms
instead of 0.08 ms, and 3.2 ms instead of 0.8 ms for a word no post holds, on 1,000 posts (`sqlite3`);
all of it with the event loop held, since SQLite's reads run in the loop's thread.

So `post_search` keeps, per post, `lower(title) || char(10) || lower(content)` (`FOLDED`), and search is
a plain `LIKE` on it. A search word never holds a line break (the words are split on white space), so a
match never spans the two. Triggers keep it current whoever writes `posts` (the API, `kaira db restore`,
a cascade from a deleted user), each through the connection's own `lower()`: Python's in Kaira (a row
written from the `sqlite3` shell is folded in ASCII only, as SQLite's own search would be). It is
derived data: backups leave it out, and restoring rebuilds it (`kaira.models.DERIVED_TABLES`). A later
migration that rebuilds `posts` in batch mode drops its triggers with it, and must make them again.

PostgreSQL folds case itself and has trigram indexes for search (0003): nothing here.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


FOLDED = "lower(new.title) || char(10) || lower(new.content)"
"""The one folding of a post `new`: the triggers' row, and the alias of each post in the backfill."""


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("CREATE TABLE post_search (post_id INTEGER PRIMARY KEY, folded TEXT NOT NULL)")
    # S608: FOLDED is this file's constant; nothing here comes from outside.
    op.execute(f"INSERT INTO post_search (post_id, folded) SELECT new.id, {FOLDED} FROM posts AS new")  # noqa: S608
    op.execute(
        "CREATE TRIGGER post_search_insert AFTER INSERT ON posts BEGIN "  # noqa: S608
        f"INSERT INTO post_search (post_id, folded) VALUES (new.id, {FOLDED}); END"
    )
    op.execute(
        "CREATE TRIGGER post_search_update AFTER UPDATE OF title, content ON posts BEGIN "  # noqa: S608
        f"UPDATE post_search SET folded = {FOLDED} WHERE post_id = new.id; END"
    )
    op.execute(
        "CREATE TRIGGER post_search_delete AFTER DELETE ON posts BEGIN "
        "DELETE FROM post_search WHERE post_id = old.id; END"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for trigger in ("post_search_delete", "post_search_update", "post_search_insert"):
        op.execute(f"DROP TRIGGER {trigger}")
    op.execute("DROP TABLE post_search")
