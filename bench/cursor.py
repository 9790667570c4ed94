"""Reach a deep page the way a client does: follow `Link: <…>; rel="next"` from page 1.

The cursor is opaque, so the only honest way to get page 5,000's URL is to walk there. Only the path and
query of each link are kept: the walk always talks to the server under test on 127.0.0.1, whatever host
a link might name.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx


class CursorError(Exception):
    """The walk could not reach the page: no next link, or an error answer."""


def walk(base_url: str, first_path: str, page: int) -> str:
    """The path (with query) of page `page`, starting from `first_path` as page 1."""
    path = first_path
    with httpx.Client(base_url=base_url, timeout=30.0) as client:
        for number in range(1, page):
            response = client.get(path)
            if response.status_code != 200:
                raise CursorError(
                    f"page {number} ({path}) answered {response.status_code}: {response.text[:200]}"
                )
            link = response.links.get("next")
            if not link or not link.get("url"):
                raise CursorError(f'page {number} ({path}) has no Link rel="next" header')
            path = local_path(link["url"])
    return path


def local_path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def first_ids(base_url: str, *paths: str) -> list[list[int]]:
    """The post ids each page answers: page 5,000 by cursor and by skip must hold the same posts."""
    with httpx.Client(base_url=base_url, timeout=30.0) as client:
        pages = []
        for path in paths:
            response = client.get(path)
            response.raise_for_status()
            pages.append([int(post["id"]) for post in response.json()])
        return pages
