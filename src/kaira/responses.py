"""JSON answers, written by orjson straight from the dicts that `kaira.shapes` builds from rows.

Every endpoint that answers a user, a post or tags builds its body from rows of the statement that
selects that shape (`kaira.shapes`); the response models still document the endpoints and are checked
against these bodies in the tests. Validating the dicts through pydantic again and encoding them with
FastAPI's encoder cost more than the query on a page of 20 posts, and added nothing the shapes have
not fixed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import orjson
from fastapi import Request, Response

from kaira.http_cache import VARY, cache_control, client_has, etag_of
from kaira.pagination import PageOf

_REPLACED = frozenset({"skip", "cursor"})

# `Z` for UTC, as pydantic writes it in the rest of the API.
_OPTIONS = orjson.OPT_UTC_Z


def json_response(
    content: Any, *, status_code: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    return Response(
        orjson.dumps(content, option=_OPTIONS),
        status_code=status_code,
        media_type="application/json",
        headers=headers,
    )


def read_response(
    request: Request, content: Any, *, holds_draft: bool = False, headers: Mapping[str, str] | None = None
) -> Response:
    """The JSON answer to a GET, as `conditional_response` sends it."""
    body = orjson.dumps(content, option=_OPTIONS)
    return conditional_response(
        request, body, media_type="application/json", holds_draft=holds_draft, headers=headers
    )


def conditional_response(
    request: Request,
    body: bytes,
    *,
    media_type: str,
    holds_draft: bool = False,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """The answer to a GET: with its ETag and caching rules (`kaira.http_cache`), or a 304 without a
    body when the client already has this very answer."""
    etag = etag_of(body)
    validators = {
        "ETag": etag,
        "Cache-Control": cache_control(request, holds_draft=holds_draft),
        "Vary": VARY,
    }
    if client_has(request, etag):
        return Response(status_code=304, headers=validators)
    return Response(body, media_type=media_type, headers={**validators, **(headers or {})})


def next_link(request: Request, cursor: str) -> str:
    """The `Link` header value for the page after this one: the same query, with `cursor`, no `skip`."""
    kept = [(name, value) for name, value in request.query_params.multi_items() if name not in _REPLACED]
    url = request.url.replace(query=urlencode([*kept, ("cursor", cursor)]))
    return f'<{url}>; rel="next"'


def page_response(request: Request, page: PageOf, *, holds_draft: bool = False) -> Response:
    """A list's answer: its items, and a `Link` to the next page when there is one."""
    headers = {"Link": next_link(request, page.next_cursor)} if page.next_cursor is not None else None
    return read_response(request, page.items, holds_draft=holds_draft, headers=headers)
