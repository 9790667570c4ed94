"""Deep pages on 100,000 posts: page 1, page 5,000 by `skip`, and page 5,000 by cursor, one client.

With one client the requests/s are the inverse of one request's cost, which is what keyset pagination is
about: page 5,000 by cursor should cost about what page 1 does, where `skip` makes the database walk
past 99,980 rows first.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.console import Console

from bench import cursor, dataset, kaira
from bench.measure import Result, measure
from bench.server import Server
from bench.settings import Settings
from bench.workloads import LIST_POSTS

PAGE = 5_000
PAGE_SIZE = 20


@dataclass
class DeepRun:
    results: list[Result] = field(default_factory=list)
    consistent: bool | None = None
    """Page 5,000 by cursor holds the same posts as by skip (None: not compared)."""
    error: str | None = None

    def mean_ms(self, key: str) -> float | None:
        found = [r.measurement.mean_ms for r in self.results if r.workload == key]
        return found[0] if found else None

    def as_record(self) -> dict[str, object]:
        return {
            "results": [r.as_record() for r in self.results],
            "consistent": self.consistent,
            "error": self.error,
        }


def run(settings: Settings, console: Console) -> DeepRun:
    deep = DeepRun()
    first = f"/api/posts/?limit={PAGE_SIZE}"
    by_skip = f"/api/posts/?skip={(PAGE - 1) * PAGE_SIZE}&limit={PAGE_SIZE}"
    spec = kaira.server_spec(settings, settings.deep_database_url, name="kaira-deep")
    with Server(spec, cpu=settings.server_cpu) as server:
        console.print(f"Deep pages: walking to page {PAGE:,} by cursor…")
        by_cursor: str | None = None
        try:
            by_cursor = cursor.walk(server.spec.base_url, first, PAGE)
        except cursor.CursorError as error:
            deep.error = f"no cursor walk: {error}"
        pages = [("deep_page_1", "page 1", first), ("deep_skip", f"page {PAGE:,} by skip", by_skip)]
        if by_cursor:
            cursor_ids, skip_ids = cursor.first_ids(server.spec.base_url, by_cursor, by_skip)
            deep.consistent = cursor_ids == skip_ids
            pages.append(("deep_cursor", f"page {PAGE:,} by cursor", by_cursor))
        for key, title, path in pages:
            console.print(f"  {title}")
            deep.results.append(
                measure(
                    server, LIST_POSTS, dataset.DEEP, settings, path=path, connections=1, title=title, key=key
                )
            )
    return deep
