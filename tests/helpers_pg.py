"""Real processes for the infrastructure tests: throwaway PostgreSQL clusters and databases, live servers.

Everything here is started by a test and stopped by the same test, whatever happens in between.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2
from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import create_async_engine

from kaira.config import Settings

KAIRA = Path(sys.executable).parent / "kaira"
REPO_ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for(check: Callable[[], bool], *, seconds: float, what: str) -> None:
    """Poll `check` until it holds; fail with `what` when `seconds` have passed."""
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} within {seconds} s")
        time.sleep(0.05)


def clean_env(**values: str) -> dict[str, str]:
    """This process's environment without any Kaira setting, plus `values` (as upper-case variables)."""
    names = {name.upper() for name in Settings.model_fields}
    env = {key: value for key, value in os.environ.items() if key.upper() not in names}
    env.update({key.upper(): value for key, value in values.items()})
    return env


def plain(url: URL) -> str:
    """The URL as a user would write it in DATABASE_URL (password included)."""
    return url.render_as_string(hide_password=False)


# --- databases -------------------------------------------------------------------------------------------


async def execute_on(url: URL, *statements: str, autocommit: bool = False) -> None:
    """Run SQL on the database at `url`: in one transaction, or each statement on its own
    (`autocommit`: CREATE/DROP DATABASE cannot run inside a transaction)."""
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT" if autocommit else None)
    try:
        async with engine.begin() as connection:
            for statement in statements:
                await connection.execute(text(statement))
    finally:
        await engine.dispose()


async def _admin(server: URL, statement: str) -> None:
    await execute_on(server.set(database="postgres"), statement, autocommit=True)


@contextmanager
def fresh_database(server: URL, directory: Path) -> Iterator[URL]:
    """A new, empty database on the same server as `server` (a new file for SQLite); dropped afterwards."""
    name = f"kaira_fresh_{uuid.uuid4().hex[:12]}"
    if server.get_backend_name() == "sqlite":
        yield server.set(database=str(directory / f"{name}.db"))
        return
    asyncio.run(_admin(server, f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name)
    finally:
        asyncio.run(_admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


# --- a PostgreSQL cluster of our own ---------------------------------------------------------------------


def _pg_bin() -> Path:
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    if candidates:
        return candidates[-1].parent
    found = shutil.which("initdb")
    if found is None:  # pragma: no cover - depends on the machine
        raise RuntimeError("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    return Path(found).parent


@dataclass
class Cluster:
    """A PostgreSQL server owned by one test module: stop it to see the service without a database."""

    directory: Path
    port: int
    bin: Path = field(default_factory=_pg_bin)

    @property
    def url(self) -> URL:
        return URL.create("postgresql+asyncpg", username="postgres", host="127.0.0.1", port=self.port)

    def _run(self, *args: str) -> None:
        as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*as_postgres, *args], check=True, capture_output=True, timeout=60)

    def init(self) -> None:
        self._run(str(self.bin / "initdb"), "-D", str(self.directory / "data"), "-U", "postgres",
                  "-A", "trust", "--no-sync", "-E", "UTF8")  # fmt: skip

    def start(self) -> None:
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.directory / "data"), "-o", options,
                  "-l", str(self.directory / "server.log"), "-w", "-t", "30", "start")  # fmt: skip

    def stop(self, mode: str = "immediate") -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.directory / "data"), "-m", mode, "-w", "stop")

    def is_running(self) -> bool:
        return (self.directory / "data" / "postmaster.pid").exists()

    @contextmanager
    def frozen(self) -> Iterator[None]:
        """The server and its backends paused (SIGSTOP): connections stay open but nothing answers."""
        postmaster = int((self.directory / "data" / "postmaster.pid").read_text().split()[0])
        children = Path(f"/proc/{postmaster}/task/{postmaster}/children").read_text().split()
        pids = [postmaster, *map(int, children)]
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):  # a backend that was just ending
                os.kill(pid, signal.SIGSTOP)
        try:
            yield
        finally:
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):  # reaped once the postmaster went on
                    os.kill(pid, signal.SIGCONT)


@contextmanager
def throwaway_cluster() -> Iterator[Cluster]:
    """initdb refuses to run as root, so the cluster belongs to the `postgres` user when we are root."""
    directory = Path(tempfile.mkdtemp(prefix="kaira-pg-"))
    if os.geteuid() == 0:
        shutil.chown(directory, user="postgres", group="postgres")
    cluster = Cluster(directory=directory, port=free_port())
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        if cluster.is_running():
            cluster.stop()
        shutil.rmtree(directory, ignore_errors=True)


# --- a live `kaira serve` --------------------------------------------------------------------------------


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def get(self, path: str, **kwargs: Any) -> httpx2.Response:
        return httpx2.get(self.base_url + path, timeout=5, **kwargs)

    def is_healthy(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"kaira serve exited with {self.process.returncode}:\n{self.output()}")
        try:
            return self.get("/health").status_code == 200
        except httpx2.TransportError:
            return False

    def wait_healthy(self, seconds: float = 30) -> None:
        wait_for(self.is_healthy, seconds=seconds, what="kaira serve did not answer /health with 200")

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:  # pragma: no cover - only when the server hangs
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


@contextmanager
def kaira_serve(env: dict[str, str], directory: Path, *args: str) -> Iterator[Server]:
    """`kaira serve` on a free port, its output in a file (a pipe nobody reads could fill and block it)."""
    port = free_port()
    log = directory / f"serve-{port}.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [str(KAIRA), "serve", "--port", str(port), *args],
            env=env,
            cwd=directory,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    server = Server(process=process, port=port, log=log)
    try:
        yield server
    finally:
        server.stop()


# --- a Redis of our own ----------------------------------------------------------------------------------


@dataclass
class RedisServer:
    """A throwaway `redis-server` on a free port, nothing kept on disk: stop it and start it again to see
    the service lose Redis and find it back (empty)."""

    directory: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        with (self.directory / f"redis-{self.port}.log").open("ab") as sink:
            self.process = subprocess.Popen(
                [
                    "redis-server",
                    "--port",
                    str(self.port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                ],
                cwd=self.directory,
                stdout=sink,
                stderr=subprocess.STDOUT,
            )
        wait_for(self._answers, seconds=10, what=f"redis-server did not answer on port {self.port}")

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


@contextmanager
def throwaway_redis(directory: Path) -> Iterator[RedisServer]:
    server = RedisServer(directory)
    server.start()
    try:
        yield server
    finally:
        server.stop()
