"""Reading pages as a client does: `Link: <…>; rel="next"` headers, cursors read and forged."""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from typing import Any, Protocol

import orjson
from fastapi.testclient import TestClient

LINK = re.compile(r'^<(?P<url>[^>]+)>; rel="next"$')


class _Response(Protocol):
    @property
    def headers(self) -> Mapping[str, str]: ...


def next_url(response: _Response) -> str | None:
    """The URL of the next page, or None on the last one; a malformed `Link` header fails the test."""
    header = response.headers.get("link")
    if header is None:
        return None
    match = LINK.match(header)
    assert match is not None, f"malformed Link header: {header!r}"
    return match["url"]


def follow(client: TestClient, url: str, headers: dict[str, str] | None = None) -> list[list[Any]]:
    """Every page from `url` on, by following `Link: rel="next"` until a page has none."""
    pages: list[list[Any]] = []
    next_page: str | None = url
    while next_page is not None:
        response = client.get(next_page, headers=headers)
        assert response.status_code == 200, response.text
        pages.append(response.json())
        next_page = next_url(response)
        assert len(pages) < 1000, "the Link chain does not end"
    return pages


def by_skip(client: TestClient, url: str, limit: int, headers: dict[str, str] | None = None) -> list[Any]:
    """Every item of a list, read with skip/limit pages until one comes back short."""
    items: list[Any] = []
    separator = "&" if "?" in url else "?"
    while True:
        page = client.get(f"{url}{separator}skip={len(items)}&limit={limit}", headers=headers)
        assert page.status_code == 200, page.text
        items.extend(page.json())
        if len(page.json()) < limit:
            return items


def forged_cursor(value: Any) -> str:
    """A cursor as a client could make one: unpadded URL-safe base64 of any JSON value (the service's
    own are a JSON array naming the list, then the sort key)."""
    return base64.urlsafe_b64encode(orjson.dumps(value)).decode().rstrip("=")


def read_cursor(url: str) -> list[Any]:
    cursor = re.search(r"[?&]cursor=([^&]+)", url)
    assert cursor, url
    raw = cursor[1]
    decoded: list[Any] = orjson.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    return decoded
