"""Client threads against live servers, each request's outcome kept: what an outage or a stop did to it.

Every request goes on a new connection (no keep-alive), so that a request either reached a server or
never connected, and a connection the server closed while idle cannot be mistaken for a cut-off answer.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx2

Request = tuple[str, str, dict[str, Any]]
"""method, URL, and httpx keyword arguments."""
NextRequest = Callable[[int], Request]
"""The request to send, given the number of the request (0, 1, 2 … across all threads)."""


@dataclass(frozen=True)
class Outcome:
    request: Request
    started: float
    ended: float
    status: int | None = None
    """None when no answer came (`error` says why)."""
    body: bytes = b""
    request_id: str = ""
    error: str = ""
    """The transport error's class and message, when no answer came."""

    @property
    def seconds(self) -> float:
        return self.ended - self.started

    @property
    def worker(self) -> str:
        """Which process answered: request ids begin with a random prefix per process."""
        return self.request_id[:16]

    def during(self, moment: float) -> bool:
        return self.started < moment < self.ended

    @property
    def never_answered(self) -> bool:
        """No byte of an answer came: refused, reset, or closed without a response. Whether the
        server had read the request is for the test to find out from what it left behind."""
        return self.status is None and (
            self.error.startswith("ConnectError")
            or "without sending a response" in self.error
            or (self.error.startswith("ReadError") and "reset" in self.error)
        )


@dataclass
class Load:
    outcomes: list[Outcome] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def since(self, moment: float) -> list[Outcome]:
        """The requests sent after `moment`."""
        return [outcome for outcome in list(self.outcomes) if outcome.started > moment]

    def wait_for_requests(self, count: int, *, after: float, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while len([o for o in self.since(after) if o.ended]) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"fewer than {count} requests answered within {seconds} s")
            time.sleep(0.02)


def send(client: httpx2.Client, request: Request) -> Outcome:
    method, url, options = request
    started = time.monotonic()
    try:
        response = client.request(method, url, **options)
    except httpx2.TransportError as error:
        return Outcome(request, started, time.monotonic(), error=f"{type(error).__name__}: {error}")
    return Outcome(
        request,
        started,
        time.monotonic(),
        status=response.status_code,
        body=response.content,
        request_id=response.headers.get("x-request-id", ""),
    )


@contextmanager
def load(next_request: NextRequest, *, threads: int, timeout: float = 10) -> Iterator[Load]:
    """`threads` clients sending requests one after another until the block ends, or until their
    connection is refused."""
    running = Load()
    numbers = itertools.count()

    def client_loop() -> None:
        limits = httpx2.Limits(max_keepalive_connections=0)
        with httpx2.Client(timeout=timeout, limits=limits) as client:
            while not running.stop.is_set():
                outcome = send(client, next_request(next(numbers)))
                running.outcomes.append(outcome)
                if outcome.error.startswith("ConnectError"):
                    return  # nobody listens any more: hammering the port would only take CPU

    workers = [threading.Thread(target=client_loop, daemon=True) for _ in range(threads)]
    for worker in workers:
        worker.start()
    try:
        yield running
    finally:
        running.stop.set()
        for worker in workers:
            worker.join(timeout=timeout + 5)


def sign_up_and_log_in(base_url: str, username: str, password: str) -> tuple[int, str]:
    """A new account on a live server, through the API: its id and an access token."""
    user = {"username": username, "email": f"{username}@example.com", "password": password}
    created = httpx2.post(f"{base_url}/api/users/", json=user, timeout=10)
    assert created.status_code == 201, created.text
    token = httpx2.post(
        f"{base_url}/api/auth/token", data={"username": username, "password": password}, timeout=10
    )
    assert token.status_code == 200, token.text
    return created.json()["id"], token.json()["access_token"]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Written:
    """What `write_posts_at_once` saw: the new posts' ids, and every answer that was not what it should be."""

    ids: list[int] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


def write_posts_at_once(
    base_url: str, token: str, *, writers: int, posts_each: int, post: Callable[[int, int], dict[str, Any]]
) -> Written:
    """`writers` threads, released together, each creating `posts_each` posts (`post(writer, index)`)
    one after another on a connection of its own, and reading each back at once after its 201."""
    written = Written()
    start = threading.Barrier(writers)

    def writer(number: int) -> None:
        with httpx2.Client(base_url=base_url, headers=bearer(token), timeout=30) as client:
            start.wait()
            for index in range(posts_each):
                sent = post(number, index)
                created = client.post("/api/posts/", json=sent)
                if created.status_code != 201:
                    written.failures.append(f"create: {created.status_code} {created.text}")
                    continue
                post_id = created.json()["id"]
                written.ids.append(post_id)
                read = client.get(f"/api/posts/{post_id}")
                if read.status_code != 200 or read.json()["title"] != sent["title"]:
                    written.failures.append(f"read after write: {read.status_code} {read.text}")

    threads = [threading.Thread(target=writer, args=(number,)) for number in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return written
