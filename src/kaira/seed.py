"""Demo data for trying the service and measuring it: people, Korean and English posts in Markdown, tags.

Rows are generated here and loaded by the backup's bulk loader (`kaira.backup.load.insert_rows`), the one
way rows go into the database in bulk; this module holds no SQL. Ids follow time, as they would had the
posts been written one by one: authors sign up before they write, about one post in ten is a draft.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from collections.abc import Iterator
from datetime import datetime, timedelta

from sqlalchemy import Connection, Table

from kaira import seed_text
from kaira.auth.security import hash_password
from kaira.backup.format import BATCH
from kaira.backup.load import Row, insert_rows
from kaira.backup.progress import progress_bar
from kaira.backup.repository import analyze, continue_ids, id_by, indexes_deferred, reflect_tables, top_ids
from kaira.config import Settings
from kaira.database.base import utcnow
from kaira.database.engines import make_engine
from kaira.models import configure_models

DEMO_PASSWORD = "demo-password"  # noqa: S105 - documented demo account password
SPAN = timedelta(days=730)
"""How far back the demo history goes."""
DRAFT_SHARE = 0.1
BULK_TIMEOUT = 600.0


async def seed_demo(settings: Settings, *, users: int, posts: int) -> tuple[int, int]:
    """Adds USERS users and POSTS posts in one transaction, whatever is there already."""
    configure_models()
    password_hash = hash_password(DEMO_PASSWORD)  # once: hashing per user would take minutes
    engine = make_engine(settings.db_url, timeout=BULK_TIMEOUT)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_seed, users, posts, password_hash)
    finally:
        await engine.dispose()
    return users, posts


def _seed(connection: Connection, users: int, posts: int, password_hash: str) -> None:
    tables = {str(table.name): table for table in reflect_tables(connection)}
    users_table, posts_table, tags_table = tables["users"], tables["posts"], tables["tags"]
    start = top_ids(connection, [users_table, posts_table, tags_table])
    rng = random.Random(20261125)  # noqa: S311 - demo data, not secrets
    now = utcnow()
    tag_ids = id_by(connection, tags_table, "name")
    new_tags = [name for name in seed_text.TAG_NAMES if name not in tag_ids]
    tag_ids.update({name: start["tags"] + number for number, name in enumerate(new_tags, start=1)})
    insert_rows(connection, tags_table, ({"id": tag_ids[name], "name": name} for name in new_tags))
    people = _users(rng, users, start["users"] + 1, now, password_hash)
    joined = [person["created_at"] for person in people]
    loaded: list[Table] = list(tables.values())
    with (
        indexes_deferred(connection, loaded),
        progress_bar("Seeding posts", total=posts, counted=True) as bar,
    ):
        insert_rows(connection, users_table, people)
        for post_rows, link_rows in _posts(rng, posts, start["posts"] + 1, people, joined, tag_ids, now):
            insert_rows(connection, posts_table, post_rows)
            insert_rows(connection, tables["post_tags"], link_rows)
            bar.advance(len(post_rows))
    continue_ids(connection, loaded, {})
    analyze(connection, loaded)


def _users(rng: random.Random, count: int, first_id: int, now: datetime, password_hash: str) -> list[Row]:
    """Sign-ups spread over the span, the first at its start (so every post has someone to write it)."""
    times = sorted(now - SPAN * rng.random() for _ in range(count - 1))
    rows = []
    for offset, joined in enumerate([now - SPAN, *times]):
        username, full_name = seed_text.person(rng, first_id + offset)
        rows.append(
            {
                "id": first_id + offset,
                "username": username,
                "email": f"{username}@example.com",
                "password_hash": password_hash,
                "full_name": full_name,
                "is_active": True,
                "is_superuser": False,
                "created_at": joined,
                "updated_at": joined,
            }
        )
    return rows


def _posts(
    rng: random.Random,
    count: int,
    first_id: int,
    people: list[Row],
    joined: list[datetime],
    tag_ids: dict[str, int],
    now: datetime,
) -> Iterator[tuple[list[Row], list[Row]]]:
    """Posts in batches, with their tag links; evenly spread over the span, oldest first, each by
    someone who had joined by then (the early members write more)."""
    step = SPAN / max(count, 1)
    posts: list[Row] = []
    links: list[Row] = []
    for offset in range(count):
        created = now - SPAN + step * (offset + rng.random())
        eligible = max(bisect_right(joined, created), 1)
        author = people[int(eligible * rng.random() ** 2)]
        updated = min(created + timedelta(hours=rng.random() * 240), now) if rng.random() < 0.3 else created
        title, content, tags = seed_text.post(rng)
        post_id = first_id + offset
        posts.append(
            {
                "id": post_id,
                "title": title,
                "content": content,
                "author_id": author["id"],
                "is_published": rng.random() >= DRAFT_SHARE,
                "created_at": created,
                "updated_at": updated,
            }
        )
        links.extend({"post_id": post_id, "tag_id": tag_ids[name]} for name in tags)
        if len(posts) == BATCH:
            yield posts, links
            posts, links = [], []
    if posts:
        yield posts, links
