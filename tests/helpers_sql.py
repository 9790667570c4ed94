"""SQL beside the API: what a test checks or prepares in the service's own database."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Executable, text


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
