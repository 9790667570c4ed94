"""The "floor" peer of `make bench-peers`: the ceiling's reads written the plainest FastAPI way.

The ceiling (`../shared/peers/ceiling/app.py`) answers without a framework; this app runs its very SQL
and builds its very JSON (imported from it, `CEILING_MODE=kaira`) behind FastAPI's routing, a validated
path parameter and a `Response`: nothing of Kaira. Kaira over the floor is what Kaira's own layers cost
(SQLAlchemy, its middleware, the access line, the caller's token check, ETags); the floor over the
ceiling is what FastAPI costs. It runs from the peers' virtualenv, as the ceiling does.

    DATABASE_URL=… CEILING_DIR=…/peers/ceiling uvicorn app:app --port 8003
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from types import ModuleType
from typing import Annotated, Any

import asyncpg  # type: ignore[import-untyped]
import orjson
from fastapi import FastAPI
from fastapi import Path as InPath
from fastapi.responses import Response

MAX_ID = 2**31 - 1


def _ceiling() -> ModuleType:
    """The ceiling's module, by its file (both are called `app`), in the mode of Kaira's contract."""
    os.environ["CEILING_MODE"] = "kaira"
    spec = importlib.util.spec_from_file_location("ceiling_app", Path(os.environ["CEILING_DIR"]) / "app.py")
    if spec is None or spec.loader is None:
        raise ImportError(f"no ceiling app in {os.environ['CEILING_DIR']}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ceiling = _ceiling()
pools: dict[str, Any] = {}


@asynccontextmanager
async def lifespan(_: FastAPI) -> AsyncIterator[None]:
    pools["db"] = await asyncpg.create_pool(
        ceiling.DSN, min_size=ceiling.POOL_SIZE, max_size=ceiling.POOL_SIZE
    )
    yield
    await pools["db"].close()


app = FastAPI(lifespan=lifespan)


def _json(body: bytes, status_code: int = 200) -> Response:
    return Response(body, status_code=status_code, media_type="application/json")


@app.get("/api/posts/{post_id}")
async def get_post(post_id: Annotated[int, InPath(ge=1, le=MAX_ID)]) -> Response:
    row = await pools["db"].fetchrow(ceiling.SQL_GET_POST, post_id)
    if row is None:
        return _json(ceiling.NOT_FOUND_POST, 404)
    return _json(orjson.dumps(ceiling._post(row)))


@app.get("/api/posts/")
async def list_posts(skip: int = 0, limit: int = 10) -> Response:
    rows = await pools["db"].fetch(ceiling.SQL_LIST_POSTS, limit, skip)
    return _json(orjson.dumps([ceiling._post(row) for row in rows]))


@app.get("/api/users/{user_id}")
async def get_user(user_id: Annotated[int, InPath(ge=1, le=MAX_ID)]) -> Response:
    row = await pools["db"].fetchrow(ceiling.SQL_GET_USER, user_id)
    if row is None:
        return _json(ceiling.NOT_FOUND_USER, 404)
    user = ceiling._user(row, 0)
    del user["email"]  # private in Kaira's contract, as the ceiling's Kaira mode leaves it out
    return _json(orjson.dumps(user))


@app.get("/health")
async def health() -> Response:
    return _json(b'{"status":"healthy"}')
