"""`skip`/`limit` pages and opaque keyset cursors, shared by every list endpoint.

A cursor carries the sort key of the last row shown, so the next page is an index range scan that
costs the same at page 5,000 as at page 1. Its first element names the list it came from, so a
cursor given to another list is refused instead of silently returning nonsense.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

import orjson
from fastapi import Depends, Query

from kaira.errors import InvalidCursor
from kaira.schemas import PlainInteger, Text

MAX_SKIP = 2**31 - 1
Cursor = Annotated[str, Text(max_length=512)]


@dataclass(frozen=True, slots=True)
class Page:
    skip: int
    limit: int
    cursor: str | None


async def page_params(  # async: FastAPI would run a plain `def` in a worker thread, per request
    skip: Annotated[int, Query(ge=0, le=MAX_SKIP, description="Rows to skip"), PlainInteger] = 0,
    limit: Annotated[int, Query(ge=1, le=100, description="Rows in a page"), PlainInteger] = 10,
    cursor: Annotated[Cursor | None, Query(description="Opaque, from the previous page's Link")] = None,
) -> Page:
    return Page(skip=skip, limit=limit, cursor=cursor)


PageDep = Annotated[Page, Depends(page_params)]


def encode_cursor(kind: str, *key: Any) -> str:
    values = [value.isoformat() if isinstance(value, datetime) else value for value in key]
    return base64.urlsafe_b64encode(orjson.dumps([kind, *values])).decode().rstrip("=")


def decode_cursor(raw: str, kind: str, types: Sequence[type]) -> list[Any]:
    """The key inside a cursor of list `kind`, each value checked against `types`; 422 otherwise."""
    try:
        decoded = orjson.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    except (binascii.Error, ValueError):
        raise InvalidCursor("The cursor is malformed") from None
    if not isinstance(decoded, list) or not decoded or decoded[0] != kind:
        raise InvalidCursor("The cursor belongs to another list")
    values = decoded[1:]
    if len(values) != len(types):
        raise InvalidCursor("The cursor is malformed")
    try:
        return [_parse(value, wanted) for value, wanted in zip(values, types, strict=True)]
    except (TypeError, ValueError):
        raise InvalidCursor("The cursor is malformed") from None


def _parse(value: Any, wanted: type) -> Any:
    if wanted is datetime:
        if not isinstance(value, str):
            raise TypeError
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            raise ValueError
        return parsed
    if wanted is int and (not isinstance(value, int) or isinstance(value, bool) or abs(value) > MAX_SKIP):
        raise TypeError
    if not isinstance(value, wanted):
        raise TypeError
    return value


@dataclass(frozen=True, slots=True)
class PageOf:
    """A page of answers, and the cursor of the next page if there is one."""

    items: Sequence[dict[str, Any]]
    next_cursor: str | None

    @classmethod
    def split(
        cls, items: Sequence[dict[str, Any]], limit: int, *, cursor_of: Callable[[dict[str, Any]], str]
    ) -> PageOf:
        """Queries fetch one row more than the page; its presence says whether a next page exists."""
        if len(items) <= limit:
            return cls(items, None)
        shown = items[:limit]
        return cls(shown, cursor_of(shown[-1]))
