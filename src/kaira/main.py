"""The application factory: settings in, a FastAPI app out; no work at import time."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg  # type: ignore[import-untyped]
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from sqlalchemy import exc as sa_exc

from kaira import metrics
from kaira.access_log import request_finished
from kaira.auth.limits import AbuseLimits, TooManyRequests
from kaira.auth.router import router as auth_router
from kaira.auth.service import TokenPolicy
from kaira.config import Settings, get_settings
from kaira.database.core import ConnectionQueue, CoreReader, CoreWriter
from kaira.database.engines import Engines
from kaira.database.sessions import make_sessionmaker
from kaira.errors import DomainError
from kaira.feeds.router import router as feeds_router
from kaira.logs import collect_only_what_lines_show
from kaira.meta import package_version
from kaira.meta import router as meta_router
from kaira.middleware import BodyLimit, RequestContext
from kaira.models import configure_models
from kaira.openapi import document_extras
from kaira.posts.router import router as posts_router
from kaira.static_site import static_site
from kaira.tags.router import router as tags_router
from kaira.users.router import router as users_router

log = logging.getLogger("kaira")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_models()
    collect_only_what_lines_show()
    secret_key = settings.resolved_secret_key()  # fails now, with a clear line, not at the first login

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engines = Engines.open(settings)
        app.state.engines = engines
        app.state.sessionmaker = make_sessionmaker(engines.transactional)
        queue = ConnectionQueue(engines)
        app.state.core = CoreWriter(engines, queue)
        app.state.reader = CoreReader(engines, queue)
        app.state.limits = AbuseLimits(settings)
        # What exists now lives as long as the process: moving it out of the collector's generations
        # keeps full collections short, and with them the tail latency of requests that trigger one.
        gc.collect()
        gc.freeze()
        try:
            async with metrics.sampling(app):
                yield
        finally:
            await app.state.limits.close()
            await engines.dispose()

    app = FastAPI(
        title="Kaira",
        version=package_version(),
        description="Users, blog posts and tags. Authenticate at `/api/auth/token` (OAuth2 password flow).",
        lifespan=lifespan,
        telemetry=None if settings.telemetry else {"tracing": False, "metrics": False, "logs": False},
    )
    app.state.settings = settings
    app.state.secret_key = secret_key
    app.state.token_policy = TokenPolicy.of(settings, secret_key)

    _add_error_handlers(app)
    document_extras(app)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_credentials=True,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["X-Request-ID", "Link", "ETag"],
        )
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(RequestContext, finished=request_finished(count=settings.metrics_enabled))

    # Routes are matched in this order, one by one: the busiest first.
    app.include_router(posts_router)
    app.include_router(users_router)
    app.include_router(tags_router)
    app.include_router(auth_router)
    app.include_router(meta_router)
    app.include_router(feeds_router)
    if settings.metrics_enabled:
        app.include_router(metrics.router)
    app.mount("/static", static_site(), name="static")
    return app


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, error: RequestValidationError) -> JSONResponse:
        # FastAPI's usual 422, without the `input` it would echo back: a refused sign-up's body holds
        # the password, which no response may contain.
        errors = [{key: value for key, value in item.items() if key != "input"} for item in error.errors()]
        return JSONResponse({"detail": jsonable_encoder(errors)}, status_code=422)

    @app.exception_handler(TooManyRequests)
    async def too_many_requests(_: Request, error: TooManyRequests) -> JSONResponse:
        metrics.record_rate_limit_rejection(error.limit.value)
        headers = {"Retry-After": str(error.retry_after)}
        return JSONResponse({"detail": error.detail}, status_code=error.status_code, headers=headers)

    @app.exception_handler(DomainError)
    async def domain_error(_: Request, error: DomainError) -> JSONResponse:
        return JSONResponse(error.body(), status_code=error.status_code, headers=error.headers)

    @app.exception_handler(sa_exc.IntegrityError)
    async def integrity_error(_: Request, error: sa_exc.IntegrityError) -> JSONResponse:
        # A race the service did not foresee (e.g. the author was deleted meanwhile): the data stay as
        # they were, and the client hears why rather than a 500.
        log.warning("Integrity error: %s", error.orig)
        return JSONResponse({"detail": "The request conflicts with the current data"}, status_code=400)

    async def unavailable(_: Request, error: Exception) -> JSONResponse:
        log.error("Database unavailable: %s", type(error).__name__)
        return JSONResponse({"detail": "Database unavailable"}, status_code=503)

    # asyncpg's own errors while connecting reach here unwrapped by SQLAlchemy: a server that is
    # shutting down or starting up (57P0x), a connection lost mid-handshake (08xxx), no slot left.
    for error_type in (
        asyncpg.PostgresConnectionError,
        asyncpg.exceptions.OperatorInterventionError,
        asyncpg.exceptions.TooManyConnectionsError,
        sa_exc.OperationalError,
        sa_exc.InterfaceError,
        sa_exc.TimeoutError,
        TimeoutError,
        ConnectionError,
        OSError,
    ):
        app.add_exception_handler(error_type, unavailable)

    @app.exception_handler(sa_exc.DBAPIError)
    async def dbapi_error(request: Request, error: sa_exc.DBAPIError) -> JSONResponse:
        if error.connection_invalidated:
            return await unavailable(request, error)
        raise error
