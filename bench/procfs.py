"""What /proc says about processes: parents, CPU time, memory. Linux only, like taskset and wrk."""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

TICKS_PER_S = os.sysconf("SC_CLK_TCK")


class Proc(NamedTuple):
    pid: int
    ppid: int
    name: str
    ticks: int
    """User + system CPU time so far, in clock ticks (all threads)."""


def processes() -> dict[int, Proc]:
    """Every process now; one that ends while being read is left out."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            proc = read(int(entry.name))
            if proc is not None:
                found[proc.pid] = proc
    return found


def read(pid: int) -> Proc | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    name, _, rest = stat.partition(" (")[2].rpartition(")")  # the name may hold spaces and parentheses
    fields = rest.split()
    # After the name: state, ppid, …; utime and stime are fields 14 and 15 of proc_pid_stat(5).
    return Proc(pid, int(fields[1]), name, int(fields[11]) + int(fields[12]))


def tree(root: int, procs: dict[int, Proc] | None = None) -> list[int]:
    """`root` and its descendants (workers, their helpers)."""
    children: dict[int, list[int]] = {}
    for proc in (procs or processes()).values():
        children.setdefault(proc.ppid, []).append(proc.pid)
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def status_kb(pid: int, field: str) -> int:
    """A kB field of /proc/PID/status such as `VmRSS:` (0 when the process is gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith(field):
            return int(line.split()[1])
    return 0
