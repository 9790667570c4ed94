"""Argon2 off the event loop, and behind it.

Argon2 is slow on purpose: tens of milliseconds of CPU and 64 MiB of memory a hash. In the default
thread pool a burst of logins takes a thread per request, the event loop gets a sliver of the CPU and
every other request waits behind the hashes. Here hashes run in a pool of their own, one thread per
core the process may use (so memory stays bounded), whose threads run at the lowest scheduling
priority: when the event loop has work it gets the CPU first; when it is idle the hashes get all of
it. The price, measured by `make bench`: while reads saturate the CPU, logins slow to a crawl.
Niceness 10 and 15 gave logins more CPU but tripled get-a-post's p99 during a login storm (the hashing
threads, back from C, take the GIL from the event loop every switch interval), so reads keep the
priority. SCHED_IDLE (measured too) starves logins entirely and gains little for reads.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from concurrent.futures import ThreadPoolExecutor

from kaira.auth.security import hash_password, verify_password

HASHING_NICENESS = 19


def _run_behind_the_event_loop() -> None:
    # On Linux the nice value belongs to the thread, so only the hashing threads are lowered.
    with contextlib.suppress(OSError, AttributeError):  # other systems: plain priority
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), HASHING_NICENESS)


def usable_cpus() -> int:
    """The CPUs this process may run on: fewer than the machine's when it is pinned (`taskset`, cgroups);
    a second hashing thread on the event loop's only core would just take turns with the first."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


_executor = ThreadPoolExecutor(
    max_workers=usable_cpus(),
    thread_name_prefix="kaira-argon2",
    initializer=_run_behind_the_event_loop,
)


async def hash_password_in_pool(password: str) -> str:
    return await asyncio.get_running_loop().run_in_executor(_executor, hash_password, password)


async def verify_password_in_pool(password: str, password_hash: str) -> bool:
    return await asyncio.get_running_loop().run_in_executor(
        _executor, verify_password, password, password_hash
    )
