"""Start a server under test pinned to one CPU, wait until it answers, measure its memory, always stop it.

A server runs in a session of its own so that stopping it stops every process it started (workers, a
reloader) and nothing outlives the bench, also after Ctrl-C or an error. Readiness is polled with a
deadline: a fixed sleep is either too short on a slow start or wasted time on a fast one.
"""

from __future__ import annotations

import contextlib
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

from bench import procfs

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
        """SIGTERM to the whole session (graceful shutdown); SIGKILL if it is not gone in time."""
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
        return sum(procfs.status_kb(pid, "VmRSS:") * 1024 for pid in procfs.tree(self.pid))

    def peak_rss_bytes(self) -> int:
        """The most memory the server's processes held at any moment so far (VmHWM, the high-water mark).

        Memory is read after a workload's leftovers are done; this says what it took in the middle of it.
        """
        return sum(procfs.status_kb(pid, "VmHWM:") * 1024 for pid in procfs.tree(self.pid))

    def wait_idle(self, timeout_s: float = 120.0, window_s: float = 0.3, max_share: float = 0.05) -> bool:
        """Wait until the server stops working; False if it is still busy after `timeout_s`.

        When wrk stops, the server may still be working through requests whose clients are gone (32
        queued password hashes take seconds): measured next, any workload would pay for them. Idle means
        less than `max_share` of one CPU used over a `window_s` sampling window.
        """
        deadline = time.monotonic() + timeout_s
        before, since = self.cpu_ticks(), time.monotonic()
        while time.monotonic() < deadline:
            time.sleep(window_s)  # a sampling window, not a guess at how long the work takes
            now, at = self.cpu_ticks(), time.monotonic()
            if (now - before) / procfs.TICKS_PER_S <= max_share * (at - since):
                return True
            before, since = now, at
        return False

    def cpu_ticks(self) -> int:
        """CPU time used so far by the server's processes, in clock ticks."""
        procs = procfs.processes()
        return sum(procs[pid].ticks for pid in procfs.tree(self.pid, procs) if pid in procs)

    def log_tail(self, lines: int = 20) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:]) or "(empty log)"


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, sig)  # the server leads its own session: its group id is its pid


def _port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((HOST, port)) == 0
