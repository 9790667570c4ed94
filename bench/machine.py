"""Is the machine quiet? Other work on the CPUs (a test suite, a build) skews every number of a run.

The bench does not refuse to run on a busy machine, it says so and records how busy it was, so that a
strange record can be explained later.
"""

from __future__ import annotations

import time
from pathlib import Path

from rich.console import Console

BUSY_WARNING = 0.15


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
