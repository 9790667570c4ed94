"""What test_users and test_auth share: SQL beside the API, reading `Link` headers, hand-made cursors."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from typing import Any, Protocol

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Executable, text

_NEXT_LINK = re.compile(r'^<(?P<url>[^>]+)>; rel="next"$')


class _Response(Protocol):
    @property
    def headers(self) -> Mapping[str, str]: ...


def run_sql(
    client: TestClient, app: FastAPI, statement: str | Executable, **params: Any
) -> list[tuple[Any, ...]]:
    """Run one statement on the service's own database, in its own committed transaction."""
    rows: list[tuple[Any, ...]] = client.portal.call(_run_sql, app, statement, params)  # type: ignore[union-attr]
    return rows


async def _run_sql(
    app: FastAPI, statement: str | Executable, params: dict[str, Any]
) -> list[tuple[Any, ...]]:
    async with app.state.engines.transactional.begin() as connection:
        executable = text(statement) if isinstance(statement, str) else statement
        result = await connection.execute(executable, params)
        return [tuple(row) for row in result] if result.returns_rows else []


def next_url(response: _Response) -> str | None:
    """The URL of the next page, or None on the last one; a malformed `Link` header fails the test."""
    header = response.headers.get("link")
    if header is None:
        return None
    match = _NEXT_LINK.match(header)
    assert match is not None, f"malformed Link header: {header!r}"
    return match["url"]


def handmade_cursor(value: Any) -> str:
    """A cursor as a client could forge one: unpadded url-safe base64 of any JSON value."""
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")
