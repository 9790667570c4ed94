"""Is the machine quiet? Other work on the CPUs (a test suite, a build) skews every number of a run.

The bench does not refuse to run on a busy machine, it says so and records how busy it was, so that a
strange record can be explained later.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from types import TracebackType

from rich.console import Console

from bench import procfs

BUSY_WARNING = 0.15
OTHERS_WARNING = 0.1
"""Other processes using more than a tenth of a CPU during a run: its numbers are suspect."""
SERVING = frozenset({"postgres"})
"""Processes that work for the server under test, whoever started them."""
KERNEL_THREADS = 2
"""kthreadd, parent of every kernel thread."""


def _cpu_times() -> tuple[int, int]:
    """(busy, total) jiffies over all CPUs since boot."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


def busy_fraction(sample_s: float = 1.0) -> float:
    """Share of all CPUs' time spent working during `sample_s` seconds, 0.0 to 1.0."""
    busy_0, total_0 = _cpu_times()
    time.sleep(sample_s)  # a measuring window, not a wait for readiness
    busy_1, total_1 = _cpu_times()
    return (busy_1 - busy_0) / max(total_1 - total_0, 1)


def check_quiet(console: Console) -> float:
    busy = busy_fraction()
    if busy > BUSY_WARNING:
        console.print(
            f"[bold yellow]The machine is {busy:.0%} busy before the run: numbers will be low and noisy; "
            "compare ratios from one run only, or run again on a quiet machine.[/]"
        )
    return busy


class OtherLoad:
    """How much CPU everything else used during a run: a test suite started meanwhile shows up here.

    Everything else means processes outside the bench's own tree (the bench, the server, wrk) and other
    than PostgreSQL (which works for the server) and kernel threads. In CPUs: 1.0 is one core kept busy.
    """

    def __init__(self) -> None:
        self.cpus = 0.0
        self._before: dict[int, procfs.Proc] = {}
        self._since = 0.0

    def __enter__(self) -> OtherLoad:
        self._before, self._since = procfs.processes(), time.monotonic()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        after, elapsed = procfs.processes(), time.monotonic() - self._since
        ours = set(procfs.tree(os.getpid(), after))
        ticks = 0
        for proc in after.values():
            if proc.pid in ours or proc.name in SERVING or KERNEL_THREADS in (proc.pid, proc.ppid):
                continue
            earlier = self._before.get(proc.pid)
            started_meanwhile = earlier is None or earlier.name != proc.name  # a pid can be reused
            ticks += proc.ticks - (0 if started_meanwhile or earlier is None else earlier.ticks)
        self.cpus = ticks / procfs.TICKS_PER_S / max(elapsed, 1e-6)
