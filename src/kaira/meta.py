from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from kaira.database.engines import ping

router = APIRouter(tags=["meta"])
HEALTH_GRACE_SECONDS = 0.25


def package_version() -> str:
    try:
        return version("kaira")
    except PackageNotFoundError:  # pragma: no cover - only when run from a source tree never installed
        return "0.0.0"


@router.get("/")
async def root() -> dict[str, str]:
    return {"message": "Kaira: users, posts and tags", "version": package_version(), "docs": "/docs"}


class Health(BaseModel):
    status: str
    database: str


@router.get(
    "/health",
    response_model=Health,
    responses={503: {"model": Health, "description": "The database did not answer"}},
)
async def health(request: Request) -> JSONResponse:
    """Really asks the database, within the configured timeout, so a load balancer sees the truth.

    The driver's own timeouts (connect, query) come first: they drop a hung connection at once. The outer
    one, a little later, only catches waits the driver does not time (a pool with no free connection);
    were it first, cancelling a query midway would cost SQLAlchemy's 2 s polite close on top.
    """
    seconds = request.app.state.settings.db_timeout_seconds + HEALTH_GRACE_SECONDS
    try:
        await ping(request.app.state.engines.transactional, seconds=seconds)
    except Exception as error:  # any failure means unhealthy; the reason is reported
        reason = "timeout" if isinstance(error, TimeoutError) else type(error).__name__
        return JSONResponse({"status": "unhealthy", "database": reason}, status_code=503)
    return JSONResponse({"status": "healthy", "database": "ok"})
