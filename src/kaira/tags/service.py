"""The tag cloud: tags of published posts, most used first."""

from __future__ import annotations

from kaira.database.core import CoreReader
from kaira.pagination import Page, PageOf, decode_cursor, encode_cursor
from kaira.tags import repository
from kaira.tags.schemas import TAG_COUNT

CURSOR_KIND = "tags"


async def list_tags(db: CoreReader, page: Page) -> PageOf:
    after = None
    if page.cursor is not None:
        count, name = decode_cursor(page.cursor, CURSOR_KIND, [int, str])
        after = (count, name)
    rows = await repository.read_cloud_page(db, skip=page.skip, limit=page.limit + 1, after=after)
    return PageOf.split(
        TAG_COUNT.read_all(rows),
        page.limit,
        cursor_of=lambda tag: encode_cursor(CURSOR_KIND, tag["post_count"], tag["name"]),
    )
