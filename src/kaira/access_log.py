"""One line per request (uvicorn's own access log is off, so there is exactly one), and its metrics.

The line names the route template, never the raw path: paths and query strings are the client's text,
and may hold anything, tokens included. The caller's id is what the auth dependency that resolved the
caller left in the request's state (`USER_ID`), so the line costs no query.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from starlette.types import Scope

from kaira import metrics
from kaira.logs import FIELDS

log = logging.getLogger("kaira.access")
USER_ID = "user_id"
"""The key in the request's state (`request.state.user_id`) under which the auth dependency leaves
the id of the caller it resolved."""

Finished = Callable[[Scope, int, float], None]
"""Called by `kaira.middleware.RequestContext` once a request is answered: scope, status, seconds."""


def request_finished(*, count: bool) -> Finished:
    """What to do when a request is answered: log it, and `count` it for `/metrics`."""

    def finished(scope: Scope, status: int, seconds: float) -> None:
        route = route_template(scope)
        method = scope["method"]
        if count:
            metrics.observe_request(method, route, status, seconds)
        if log.isEnabledFor(logging.INFO):
            _log_line(method, route, status, seconds, scope["state"].get(USER_ID))

    return finished


def route_template(scope: Scope) -> str:
    """The matched route's template; for a mounted app (the web page), its prefix and `/{path}`."""
    route = scope.get("route")
    if route is not None:
        path: str = route.path
        return path
    if "app_root_path" in scope:  # set by a Mount, which makes `root_path` longer by its prefix
        prefix: str = scope["root_path"][len(scope["app_root_path"]) :]
        return prefix + "/{path}"
    return metrics.UNMATCHED


def _log_line(method: str, route: str, status: int, seconds: float, user_id: int | None) -> None:
    milliseconds = round(seconds * 1000, 1)
    fields = {"method": method, "route": route, "status": status, "duration_ms": milliseconds}
    caller = ""
    if user_id is not None:
        fields["user_id"] = user_id
        caller = f" user {user_id}"
    log.info("%s %s %d %.1f ms%s", method, route, status, milliseconds, caller, extra={FIELDS: fields})
