"""Pure ASGI middleware (no BaseHTTPMiddleware: it costs a task per request and breaks streaming).

`RequestContext` is the outermost layer of ours: it names every request, puts the id on every
response, refuses a path that holds a control character, tab and line feed included (the fields of
bodies, queries and forms are checked by their type, `kaira.schemas.Text`; a path can reach files and
routes before any type sees it), turns anything unhandled into a JSON 500 with one logged line, and
times every request for its access log line and metrics (`kaira.access_log`).
`BodyLimit` refuses bodies over the limit, declared or chunked, before they are read whole. FastAPI's
own `max_body_size` sits outside every middleware of ours: its 413 is plain text without `X-Request-ID`,
and for a route that never reads its body it replaces a response already started and signals it with a
private exception, so the request is logged as the route's 200 with an "Unhandled error" traceback.
"""

from __future__ import annotations

import itertools
import logging
import re
import secrets
from time import perf_counter

import orjson
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kaira.access_log import Finished
from kaira.logs import request_id_var
from kaira.schemas import forbidden_character_error

log = logging.getLogger("kaira.request")
_SANE_ID = re.compile(r"[A-Za-z0-9._\-]{1,128}")
_INTERNAL_ERROR = orjson.dumps({"detail": "Internal server error"})


class RequestContext:
    def __init__(self, app: ASGIApp, finished: Finished) -> None:
        self.app = app
        self.finished = finished

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        began = perf_counter()
        request_id = _incoming_id(scope) or _new_id()
        token = request_id_var.set(request_id)
        scope.setdefault("state", {})["request_id"] = request_id
        header = (b"x-request-id", request_id.encode())
        started = False
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal started, status
            if message["type"] == "http.response.start":
                started = True
                status = message["status"]
                message["headers"] = [*message.get("headers", []), header]
            await send(message)

        try:
            if (refused := _refused_path(scope["path"])) is not None:
                await _send_json(send_with_id, 422, refused)
                return
            await self.app(scope, receive, send_with_id)
        except Exception:
            log.exception("Unhandled error in %s %s", scope["method"], scope["path"])
            if not started:
                await _send_json(send_with_id, 500, _INTERNAL_ERROR)
        finally:
            self.finished(scope, status, perf_counter() - began)
            request_id_var.reset(token)


def _refused_path(path: str) -> bytes | None:
    """FastAPI's 422 for a path with a forbidden character (`%00` decodes to NUL), or None."""
    error = forbidden_character_error(path, in_path=True)
    if error is None:
        return None
    return orjson.dumps({"detail": [{"loc": ["path"], "msg": error.message(), "type": error.type}]})


_ID_PREFIX = secrets.token_hex(8)
_id_numbers = itertools.count(1)


def _new_id() -> str:
    """32 hex digits, unique across processes and restarts: a random prefix per process and a count.

    A uuid4 per request reads the kernel's random source every time, a measurable share of a small
    read; ids only need to be unique, not unpredictable."""
    return f"{_ID_PREFIX}{next(_id_numbers):016x}"


def _incoming_id(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            candidate = value.decode("latin-1")
            return candidate if _SANE_ID.fullmatch(candidate) else None  # not `$`: it lets "id\n" through
    return None


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await _send_json(send, 413, self._too_large())
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise HTTPException(413, self._detail())
            return message

        await self.app(scope, counting_receive, send)

    def _detail(self) -> str:
        return f"Request body is larger than {self.max_bytes} bytes"

    def _too_large(self) -> bytes:
        return orjson.dumps({"detail": self._detail()})


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _send_json(send: Send, status: int, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
