"""`kaira serve` after the migrations: uvicorn, one process or several, and how they stop.

SIGTERM: uvicorn stops listening, lets the requests in flight finish, runs the app's shutdown (the
pools are closed) and ends, all within SHUTDOWN_TIMEOUT_SECONDS. Its access log is off: `kaira.access_log`
writes the one line per request.

Several workers: uvicorn's supervisor binds the socket and hands it to each worker. On SIGTERM it tells
the workers to stop, but keeps its own copy of the socket open until they have, so the kernel would go
on accepting connections nobody will ever answer; here the supervisor closes its copy first, and a new
connection is refused as soon as the workers stop listening. The workers also share a private
directory for their metrics (`kaira.metrics`), made afresh for each serve and removed after it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from typing import Any

import uvicorn
from uvicorn.supervisors import Multiprocess

from kaira.config import Settings
from kaira.logs import logging_config
from kaira.metrics import MULTIPROCESS_DIR

APP = "kaira.main:create_app"
EXIT_SECONDS = 1
"""Of SHUTDOWN_TIMEOUT_SECONDS, what is kept for after the requests: the supervisor noticing the
signal (it looks twice a second), closing the pools, ending. A process manager that kills after the
same timeout then finds the process gone (measured under heavy load: 11.1 s for a 10 s timeout when
the requests had all of it)."""
WORKER_START_SECONDS = 30
"""How long the supervisor waits for a worker to answer its health check before it kills it and
starts another. uvicorn's 5 s is shorter than a worker's start on a busy machine (a new interpreter
importing the app): measured on two loaded cores, workers were killed at start twice in a row and the
service took 30 s to come up."""


def serve(settings: Settings, *, host: str, port: int, workers: int, reload: bool) -> None:
    options: dict[str, Any] = {
        "factory": True,
        "host": host,
        "port": port,
        "log_config": logging_config(settings.log_level, settings.log_format),
        "access_log": False,
        "proxy_headers": False,
        "server_header": False,
        "timeout_graceful_shutdown": max(1, settings.shutdown_timeout_seconds - EXIT_SECONDS),
        "loop": event_loop(settings),
    }
    if reload or workers == 1:
        uvicorn.run(APP, reload=reload, **options)
        return
    with _shared_metrics(enabled=settings.metrics_enabled):
        config = uvicorn.Config(
            APP, workers=workers, timeout_worker_healthcheck=WORKER_START_SECONDS, **options
        )
        _Supervisor(config, sockets=[config.bind_socket()]).run()  # what uvicorn.run does, but for it


def event_loop(settings: Settings) -> str:
    """uvloop on PostgreSQL; asyncio's own loop on SQLite.

    On SQLite a read runs in the loop's thread and never waits (`kaira.database.engines.InProcessSQLite`),
    so a request is answered in one uninterrupted step. Under uvloop, steps like these serve the
    connections unevenly: with 32 clients listing posts, p99 was 10 to 14 times p50 (the server's own
    times stayed under 3 ms), while asyncio's loop kept p99 within 1.5 times p50 at the same rate.
    Requests on PostgreSQL wait for the network, and uvloop serves them faster and evenly."""
    return "asyncio" if settings.db_url.get_backend_name() == "sqlite" else "auto"


class _Supervisor(Multiprocess):
    def terminate_all(self) -> None:
        for sock in self.sockets:
            sock.close()
        super().terminate_all()


@contextlib.contextmanager
def _shared_metrics(*, enabled: bool) -> Iterator[None]:
    """A new private (0700) directory for the workers' metric files, named in their environment.

    An inherited PROMETHEUS_MULTIPROC_DIR is replaced: files left by an earlier serve, or shared with
    another, would add counts that are not this service's."""
    if not enabled:
        yield
        return
    directory = tempfile.mkdtemp(prefix="kaira-metrics-")
    previous = os.environ.get(MULTIPROCESS_DIR)
    os.environ[MULTIPROCESS_DIR] = directory  # the workers inherit the environment when they start
    try:
        yield
    finally:
        if previous is None:
            del os.environ[MULTIPROCESS_DIR]
        else:
            os.environ[MULTIPROCESS_DIR] = previous
        shutil.rmtree(directory, ignore_errors=True)
