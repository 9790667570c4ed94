"""What `/openapi.json` says besides what FastAPI derives: every error status an operation can answer,
with its body and headers, declared here once; routers only name the statuses (`responses=errors(...)`).

A client generated from the document, or a fuzzer reading it, must meet no undocumented answer. The 422s
FastAPI documents itself (`HTTPValidationError`), and every 422 of ours has that shape.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel

from kaira.auth.dependencies import current_caller, oauth2_scheme


class ErrorBody(BaseModel):
    """Every error but a 422: one English sentence."""

    detail: str


def _header(description: str, *, required: bool = True) -> dict[str, Any]:
    return {"description": description, "required": required, "schema": {"type": "string"}}


_ERRORS: dict[int, dict[str, Any]] = {
    400: {
        "description": "Already taken (says which), conflicts with the current data, or an inactive account"
    },
    401: {
        "description": "No token where one is needed, or a token that is malformed, expired or forged",
        "headers": {"WWW-Authenticate": _header("`Bearer`")},
    },
    403: {"description": "The caller may not do this to someone else's account or post"},
    404: {"description": "No such user or post (or a draft of someone else's)"},
    413: {"description": "The request body is over the limit (1 MiB)"},
    429: {
        "description": "Too many requests: try again after `Retry-After` seconds",
        "headers": {"Retry-After": _header("Seconds to wait")},
    },
    503: {"description": "Database unavailable"},
}

RATE_LIMITED: tuple[int, ...] = (429,)
"""The statuses of the operations abuse limits guard (log-in, sign-up)."""

_NEXT_PAGE = _header('`<URL>; rel="next"` when there is a next page: its URL holds `cursor`', required=False)


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The declarations of these error statuses, for a route's `responses=`."""
    return {status: {"model": ErrorBody, **_ERRORS[status]} for status in statuses}


_VALIDATORS = {
    "ETag": _header("The answer's version: send it back in `If-None-Match` to be told it is unchanged"),
    "Cache-Control": _header(
        "`no-cache` for what anyone may read, `private, no-cache` for an answer to a token, "
        "`no-store` for an answer that shows a draft"
    ),
}
_CACHED = {**_VALIDATORS, "Vary": _header("`Authorization`")}


def read_responses(
    *statuses: int, content_type: str | None = None, description: str | None = None
) -> dict[int | str, dict[str, Any]]:
    """A GET's answers: its success with the caching headers (`kaira.http_cache`), the 304 it gives a
    client that already has the answer, and these error statuses."""
    success: dict[str, Any] = {"headers": _CACHED}
    if content_type is not None:
        success["content"] = {content_type: {}}
    if description is not None:
        success["description"] = description
    not_modified = {
        "description": "Unchanged since the `If-None-Match` ETag: no body",
        "headers": _VALIDATORS,
    }
    return {200: success, 304: not_modified, **errors(*statuses)}


def list_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The same for a list, whose success tells the next page, if any, in `Link`."""
    responses = read_responses(*statuses)
    responses[200] = {"headers": {**_CACHED, "Link": _NEXT_PAGE}}
    return responses


_REQUEST_ID = {
    "X-Request-ID": _header("The caller's id for this request if it sent a sane one, else a new one")
}
_REQUIRES_CALLER: frozenset[Callable[..., Any]] = frozenset({current_caller})


def document_extras(app: FastAPI) -> None:
    """Finish the document FastAPI builds: `X-Request-ID` on every answer, and anonymous access shown as
    allowed (`{}` among the security requirements) where a token is optional."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            for route in iter_route_contexts(app.routes):  # as FastAPI walks them for the document
                if isinstance(route.original_route, APIRoute) and route.include_in_schema:
                    for method in route.methods or ():
                        _finish(schema["paths"][route.path_format][method.lower()], route.dependant)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _finish(operation: dict[str, Any], dependant: Dependant) -> None:
    for response in operation["responses"].values():
        response.setdefault("headers", {}).update(_REQUEST_ID)
    calls = {dependency.call for dependency in _dependencies(dependant)}
    if oauth2_scheme in calls and not calls & _REQUIRES_CALLER:
        operation["security"] = [{}, *operation.get("security", [])]


def _dependencies(dependant: Dependant) -> Iterator[Dependant]:
    for dependency in dependant.dependencies:
        yield dependency
        yield from _dependencies(dependency)
