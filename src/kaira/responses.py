"""JSON bodies for the read endpoints, written by orjson straight from plain data.

The read side builds each answer as plain dicts from rows already shaped like the response models
(`PostRead`, `UserPublic`…), which still document the endpoints and are checked against these bodies
in the tests. Validating the dicts through pydantic again and encoding them with FastAPI's encoder
cost more than the query on a page of 20 posts, and added nothing the shapes have not fixed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import orjson
from fastapi import Request, Response

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


def next_link(request: Request, cursor: str) -> str:
    """The `Link` header value for the page after this one: the same query, with `cursor`, no `skip`."""
    kept = [(name, value) for name, value in request.query_params.multi_items() if name not in _REPLACED]
    url = request.url.replace(query=urlencode([*kept, ("cursor", cursor)]))
    return f'<{url}>; rel="next"'
