"""Start a server under test pinned to one CPU, wait until it answers, measure its memory, always stop it.

A server runs in a session of its own so that stopping it stops every process it started (workers, a
reloader) and nothing outlives the bench, also after Ctrl-C or an error. Readiness is polled with a
deadline: a fixed sleep is either too short on a slow start or wasted time on a fast one.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import httpx

HOST = "127.0.0.1"
"""The only address the bench sends traffic to."""

LOG_DIR = Path(__file__).resolve().parent / "results"
"""Server logs of the latest run (ignored by git): the place to look when a server fails."""


class ServerError(Exception):
    """A server that did not start, did not answer in time, or whose port is taken."""


@dataclass(frozen=True)
class ServerSpec:
    name: str
    argv: Sequence[str]
    cwd: Path
    port: int
    env: Mapping[str, str] = field(default_factory=dict)
    health_path: str = "/health"
    startup_timeout_s: float = 90.0
    """Kaira migrates the schema before it serves: allow for that."""

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"


class Server:
    """A running server; use as a context manager so that it is stopped whatever happens."""

    def __init__(self, spec: ServerSpec, *, cpu: int) -> None:
        self.spec = spec
        self.cpu = cpu
        self._process: subprocess.Popen[bytes] | None = None
        self.log_path = LOG_DIR / f"{spec.name}.log"

    @property
    def pid(self) -> int:
        if self._process is None:
            raise ServerError(f"{self.spec.name} is not running")
        return self._process.pid

    def __enter__(self) -> Server:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def start(self) -> None:
        if _port_in_use(self.spec.port):
            raise ServerError(
                f"port {self.spec.port} is already in use: stop what listens there, or the bench would "
                f"measure it instead of {self.spec.name}"
            )
        LOG_DIR.mkdir(exist_ok=True)
        with self.log_path.open("wb") as log:
            self._process = subprocess.Popen(
                ["taskset", "-c", str(self.cpu), *self.spec.argv],
                cwd=self.spec.cwd,
                env={**os.environ, **self.spec.env},
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            self._wait_healthy()
        except BaseException:
            self.stop()
            raise

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + self.spec.startup_timeout_s
        url = self.spec.base_url + self.spec.health_path
        last = "no answer yet"
        with httpx.Client(timeout=2.0) as client:
            while time.monotonic() < deadline:
                if self._process is not None and self._process.poll() is not None:
                    raise ServerError(
                        f"{self.spec.name} exited with code {self._process.returncode} before answering; "
                        f"its log ({self.log_path.name}) ends with:\n{self.log_tail()}"
                    )
                try:
                    response = client.get(url)
                except httpx.TransportError as error:
                    last = type(error).__name__
                else:
                    if response.status_code == 200:
                        return
                    last = f"HTTP {response.status_code}"
                time.sleep(0.05)  # polling interval, not a guess at the start-up time
        raise ServerError(
            f"{self.spec.name} did not answer 200 on {self.spec.health_path} within "
            f"{self.spec.startup_timeout_s:.0f} s (last: {last}); log ends with:\n{self.log_tail()}"
        )

    def stop(self, timeout_s: float = 15.0) -> None:
        """SIGTERM to the whole session (graceful shutdown), SIGKILL if it is still there after the timeout."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        _signal_group(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            _signal_group(process.pid, signal.SIGKILL)
            process.wait()
        _signal_group(process.pid, signal.SIGKILL)  # a worker that outlived its parent

    def rss_bytes(self) -> int:
        """Resident memory of the server and every process under it (workers), from /proc."""
        return process_tree_rss(self.pid)

    def log_tail(self, lines: int = 20) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:]) or "(empty log)"


def _signal_group(pid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pid, sig)  # the server leads its own session: its group id is its pid
    except ProcessLookupError:
        pass


def _port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((HOST, port)) == 0


def process_tree_rss(root: int) -> int:
    """Sum of VmRSS over `root` and its descendants, in bytes (0 when the process is gone)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rpartition(")")[2].split()[1])  # the name in parentheses may hold spaces
        children.setdefault(ppid, []).append(int(entry.name))
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += _vm_rss(pid)
        todo.extend(children.get(pid, []))
    return total


def _vm_rss(pid: int) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0
