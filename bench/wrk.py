"""Drive a server with wrk, pinned to the load generator's CPU, and read back what it measured.

The numbers come from the JSON line printed by the Lua `done()` (bench/lua/common.lua), not from wrk's
report meant for people, so that non-2xx answers count as errors and the percentiles keep their precision.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import orjson

LUA_DIR = Path(__file__).resolve().parent / "lua"
MARKER = "BENCH_JSON "
TIMEOUT_S = 10
"""wrk's request timeout: a login queued behind 31 others on a slow hash takes seconds and still succeeds."""


class WrkError(Exception):
    """wrk missing, failing, or printing no result."""


@dataclass(frozen=True)
class Load:
    """One wrk invocation: which script, against which URL path, how hard and for how long."""

    script: str
    path: str
    connections: int
    duration_s: int
    env: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Measurement:
    requests: int
    duration_s: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float
    non_2xx: int
    socket_errors: int

    @property
    def rps(self) -> float:
        return self.requests / self.duration_s if self.duration_s else 0.0

    @property
    def errors(self) -> int:
        return self.non_2xx + self.socket_errors

    def as_record(self) -> dict[str, float | int]:
        return {
            "rps": round(self.rps, 1),
            "p50_ms": round(self.p50_ms, 3),
            "p90_ms": round(self.p90_ms, 3),
            "p99_ms": round(self.p99_ms, 3),
            "mean_ms": round(self.mean_ms, 3),
            "max_ms": round(self.max_ms, 3),
            "requests": self.requests,
            "errors": self.errors,
            "non_2xx": self.non_2xx,
            "socket_errors": self.socket_errors,
        }


def require_tools() -> None:
    """Fail early with the install command rather than in the middle of a run."""
    missing = [tool for tool in ("wrk", "taskset") if shutil.which(tool) is None]
    if "wrk" in missing:
        raise WrkError("wrk is not installed: install it with `apt-get install wrk` (Debian/Ubuntu)")
    if missing:
        raise WrkError("taskset is not installed: install it with `apt-get install util-linux`")


def require_cpus(*cpus: int) -> None:
    """Server and load generator each need a CPU of their own, or they measure each other."""
    usable = os.sched_getaffinity(0)
    absent = sorted(set(cpus) - usable)
    if absent:
        raise WrkError(
            f"CPU {absent} is not available to this process (usable: {sorted(usable)}): the bench pins the "
            "server and wrk to different CPUs; set BENCH_SERVER_CPU and BENCH_CLIENT_CPU"
        )
    if len(set(cpus)) < len(cpus):
        raise WrkError("BENCH_SERVER_CPU and BENCH_CLIENT_CPU must differ")


class WrkRun:
    """A wrk process started in the background, so that two can run at once (the login storm)."""

    def __init__(self, load: Load, base_url: str, *, cpu: int) -> None:
        self.load = load
        script = LUA_DIR / load.script
        if not script.exists():
            raise WrkError(f"no wrk script {script.name} in {LUA_DIR.name}/")
        command = [
            "taskset", "-c", str(cpu),
            "wrk", "-t1", f"-c{load.connections}", f"-d{load.duration_s}s", "--latency",
            "--timeout", f"{TIMEOUT_S}s", "-s", str(script), base_url + load.path,
        ]  # fmt: skip
        env = {**os.environ, "LUA_PATH": f"{LUA_DIR}/?.lua;;", **load.env}
        self._process = subprocess.Popen(
            command,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def result(self) -> Measurement:
        """Wait for wrk to finish and parse its JSON line."""
        try:
            stdout, stderr = self._process.communicate(timeout=self.load.duration_s + TIMEOUT_S + 30)
        except BaseException:
            self.kill()
            raise
        if self._process.returncode != 0:
            raise WrkError(f"wrk {self.load.script} failed ({self._process.returncode}): {stderr.strip()}")
        for line in stdout.splitlines():
            if line.startswith(MARKER):
                return _measurement(orjson.loads(line[len(MARKER) :]))
        raise WrkError(f"wrk {self.load.script} printed no result line:\n{stdout}\n{stderr}")

    def __enter__(self) -> WrkRun:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.kill()

    def kill(self) -> None:
        if self._process.poll() is None:
            self._process.kill()
            self._process.wait()


def run(load: Load, base_url: str, *, cpu: int) -> Measurement:
    with WrkRun(load, base_url, cpu=cpu) as wrk:
        return wrk.result()


def _measurement(data: dict[str, float]) -> Measurement:
    return Measurement(
        requests=int(data["requests"]),
        duration_s=data["duration_us"] / 1e6,
        p50_ms=data["p50_us"] / 1e3,
        p90_ms=data["p90_us"] / 1e3,
        p99_ms=data["p99_us"] / 1e3,
        mean_ms=data["mean_us"] / 1e3,
        max_ms=data["max_us"] / 1e3,
        non_2xx=int(data["non_2xx"]),
        socket_errors=int(data["connect"] + data["read"] + data["write"] + data["timeout"]),
    )
