"""What one request costs inside the process: the app's ASGI callable called in a loop, no server, no socket.

Under load the server's time per request mixes Kaira's work with uvicorn's, the kernel's and the other
programs on a shared machine; minutes apart, the same loop here took 343 and 446 µs a request. So a
change is measured here three ways, each stripped of something the load generator cannot strip:
- wall and CPU µs per request (`--requests`, `--concurrency`): quick, still moved by the machine;
- a profile of the loop (`--profile FILE`, cProfile; or run this module under `py-spy record`);
- instructions per request (`--instructions`): the loop run twice under valgrind's callgrind, with N
  and 3N requests, the difference ÷ 2N; start-up and warm-up cancel out, and the count moves little
  with the rest of the machine: within 0.3 % between runs with one request at a time, about 1 % with
  8 (the event loop's turns follow when the database answers). A change smaller than that is not
  measured here: count each side twice.

    .venv/bin/python -m bench.inproc /api/users/1
    .venv/bin/python -m bench.inproc /api/posts/?limit=20 --instructions
    .venv/bin/python -m bench.inproc /api/posts/ --method POST --status 201 --as-user 3 \
        --body '{"title": "Post {n}", "content": "Text {n}", "is_published": true, "tags": ["sql"]}'
    PYTHONPATH=bench/floor CEILING_DIR=../shared/peers/ceiling \
        .venv/bin/python -m bench.inproc /api/users/1 --app app:app   # the FastAPI floor

The app reads its settings from the environment as `kaira serve` does (DATABASE_URL, LOG_LEVEL, …);
DATABASE_URL defaults to the bench's PostgreSQL database (BENCH_DATABASE_URL, filled by `make bench`).
The request log is written as the service writes it, to a stream nobody reads. Every answer must be a
200 (or the `--status` given): a loop of 404s would measure the wrong thing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import importlib
import itertools
import logging.config
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterator, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlencode, urlsplit

import orjson

from bench import dataset
from bench.settings import DEFAULT_DATABASE_URL

Message = MutableMapping[str, Any]
ASGIApp = Callable[
    [Message, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]
]
KAIRA_APP = "kaira.main:create_app"
T = TypeVar("T")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.inproc", description=__doc__.split("\n\n")[0])
    parser.add_argument("path", help="the request's path and query, e.g. /api/users/1")
    parser.add_argument("--method", default="GET", help="GET unless told (POST with --body)")
    parser.add_argument("--body", default="", help="a JSON body; {n} becomes a number unique to the run")
    parser.add_argument("--as-user", type=int, help="sign in this seeded user first and send its token")
    parser.add_argument("--requests", type=int, default=2000, help="requests measured (2000)")
    parser.add_argument("--concurrency", type=int, default=8, help="requests in flight at once (8)")
    parser.add_argument("--warmup", type=int, default=200, help="requests before the measured ones (200)")
    parser.add_argument("--app", default=KAIRA_APP, help=f"module:attribute of an app ({KAIRA_APP})")
    parser.add_argument("--status", type=int, default=200, help="the status every answer must have (200)")
    parser.add_argument("--header", action="append", default=[], help="'Name: value', repeatable")
    parser.add_argument("--profile", type=Path, help="write a cProfile of the measured requests here")
    parser.add_argument("--instructions", action="store_true", help="count instructions under callgrind")
    argv = sys.argv[1:] if argv is None else argv
    args = parser.parse_args(argv)
    os.environ.setdefault("DATABASE_URL", os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL))
    if args.instructions:
        return _count_instructions(args, [option for option in argv if option != "--instructions"])
    wall_s, cpu_s = _event_loop_runner()(_measure(args))
    print(
        f"{args.method} {args.path}: {wall_s / args.requests * 1e6:,.0f} µs wall, "
        f"{cpu_s / args.requests * 1e6:,.0f} µs CPU per request "
        f"({args.requests} requests, {args.concurrency} at once)"
    )
    return 0


@dataclass(frozen=True)
class Call:
    """One kind of request, sent again and again; `{n}` in the body is numbered afresh each time."""

    method: str
    path: str
    headers: list[tuple[bytes, bytes]]
    body: str
    status: int
    numbers: Iterator[int] = field(default_factory=lambda: itertools.count(time.time_ns()))

    def scope(self) -> Message:
        parts = urlsplit(self.path)
        headers = [(b"host", b"127.0.0.1:8010"), (b"user-agent", b"bench.inproc"), *self.headers]
        if self.body:
            headers.append((b"content-type", b"application/json"))
        return {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": self.method,
            "scheme": "http",
            "path": parts.path,
            "raw_path": parts.path.encode(),
            "root_path": "",
            "query_string": parts.query.encode(),
            "headers": headers,
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8010),
            "state": {},
        }

    def next_body(self) -> bytes:
        return self.body.replace("{n}", str(next(self.numbers))).encode()


async def _measure(args: argparse.Namespace) -> tuple[float, float]:
    app = _load(args.app)
    headers = [_header(raw) for raw in args.header]
    async with _lifespan(app):
        if args.as_user is not None:
            headers.append((b"authorization", b"Bearer " + (await _sign_in(app, args.as_user)).encode()))
        call = Call(args.method, args.path, headers, args.body, args.status)
        await _run(app, call, args.warmup, args.concurrency)
        profiler = cProfile.Profile() if args.profile is not None else None
        wall, cpu = time.perf_counter(), time.process_time()
        with profiler or contextlib.nullcontext():
            await _run(app, call, args.requests, args.concurrency)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    if profiler is not None:
        profiler.dump_stats(args.profile)
    return wall, cpu


def _event_loop_runner() -> Callable[[Coroutine[Any, Any, T]], T]:
    """The event loop `kaira serve` would run on the configured database (`kaira.serving.event_loop`)."""
    from kaira.config import get_settings
    from kaira.serving import event_loop

    if event_loop(get_settings()) == "asyncio":
        return asyncio.run
    import uvloop

    return uvloop.run


def _load(spec: str) -> ASGIApp:
    """The app, and for Kaira its request log configured as `kaira serve` configures it, into /dev/null."""
    module_name, _, attribute = spec.partition(":")
    target = getattr(importlib.import_module(module_name), attribute or "app")
    if spec != KAIRA_APP:
        app: ASGIApp = target
        return app
    from kaira.config import get_settings
    from kaira.logs import logging_config

    settings = get_settings()
    config = logging_config(settings.log_level, settings.log_format)
    config["handlers"]["default"]["stream"] = Path(os.devnull).open("w")  # noqa: SIM115 (lives as long as the run)
    logging.config.dictConfig(config)
    kaira: ASGIApp = target(settings)
    return kaira


@contextlib.asynccontextmanager
async def _lifespan(app: ASGIApp) -> Any:
    """The lifespan protocol as uvicorn speaks it: startup before the first request, shutdown after."""
    to_app: asyncio.Queue[Message] = asyncio.Queue()
    from_app: asyncio.Queue[Message] = asyncio.Queue()
    scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
    task = asyncio.ensure_future(app(scope, to_app.get, from_app.put))
    await to_app.put({"type": "lifespan.startup"})
    started = await from_app.get()
    if started["type"] != "lifespan.startup.complete":
        raise RuntimeError(f"the app did not start: {started}")
    try:
        yield
    finally:
        await to_app.put({"type": "lifespan.shutdown"})
        await from_app.get()
        await task


async def _sign_in(app: ASGIApp, user_id: int) -> str:
    """A seeded user's access token, from the app's own sign-in endpoint."""
    form = urlencode({"username": dataset.username(user_id), "password": dataset.PASSWORD})
    headers = [(b"content-type", b"application/x-www-form-urlencoded")]
    status, body = await _call(app, Call("POST", "/api/auth/token", headers, "", 200).scope(), form.encode())
    if status != 200:
        raise SystemExit(f"signing in user {user_id} answered {status}: {body.decode(errors='replace')}")
    token: str = orjson.loads(body)["access_token"]
    return token


async def _run(app: ASGIApp, call: Call, count: int, concurrency: int) -> None:
    """`count` calls, `concurrency` of them in flight at once; any other status than the one asked ends it."""
    scope = call.scope()
    remaining = count

    async def client() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            status, body = await _call(app, {**scope, "state": {}}, call.next_body())
            if status != call.status:
                answer = body[:300].decode(errors="replace")
                raise SystemExit(f"{call.method} {call.path} answered {status}, not {call.status}: {answer}")

    await asyncio.gather(*(client() for _ in range(concurrency)))


async def _call(app: ASGIApp, scope: Message, body: bytes) -> tuple[int, bytes]:
    """One request through the app's ASGI callable: its status and body."""
    answer: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Message) -> None:
        answer.append(message)

    await app(scope, receive, send)
    status = next((m["status"] for m in answer if m["type"] == "http.response.start"), 0)
    return status, b"".join(m.get("body", b"") for m in answer if m["type"] == "http.response.body")


def _header(raw: str) -> tuple[bytes, bytes]:
    name, separator, value = raw.partition(":")
    if not separator:
        raise SystemExit(f"--header {raw!r}: write it 'Name: value'")
    return name.strip().lower().encode(), value.strip().encode()


def _count_instructions(args: argparse.Namespace, options: list[str]) -> int:
    """(instructions of 3N requests − of N) ÷ 2N, each loop a fresh process under callgrind, given the
    same options as this one (a `--requests` appended last is the one argparse keeps)."""
    counts = [_callgrind_total([*options, f"--requests={n}"]) for n in (args.requests, 3 * args.requests)]
    per_request = (counts[1] - counts[0]) / (2 * args.requests)
    print(f"{args.method} {args.path}: {per_request:,.0f} instructions per request (callgrind)")
    return 0


def _callgrind_total(argv: list[str]) -> int:
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "callgrind.out"
        command = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"]
        command += [sys.executable, "-m", "bench.inproc", *argv]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        match = re.search(r"^(?:summary|totals): (\d+)", out.read_text(), re.MULTILINE)
        if match is None:
            raise SystemExit(f"callgrind wrote no total into {out}")
        return int(match.group(1))


if __name__ == "__main__":
    sys.exit(main())
