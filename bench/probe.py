"""One look at each read workload's answer before the load.

A benchmark of 404s or of empty pages measures the wrong thing: wrk would report the first only as
errors after the fact, and the second not at all.
"""

from __future__ import annotations

from collections.abc import Iterable

import httpx

from bench.workloads import Workload


def problems(base_url: str, workloads: Iterable[Workload]) -> list[str]:
    """What looks wrong: an answer other than 200, or a list page thinner than the workload expects."""
    found = []
    with httpx.Client(base_url=base_url, timeout=30.0) as client:
        for workload in workloads:
            if not workload.read:
                continue
            path = workload.sample_path()
            response = client.get(path)
            if response.status_code != 200:
                found.append(f"{workload.title}: GET {path} answered {response.status_code}")
                continue
            if workload.page_size is not None:
                items = response.json()
                if not isinstance(items, list) or len(items) < workload.page_size:
                    count = len(items) if isinstance(items, list) else "no list"
                    found.append(f"{workload.title}: GET {path} gave {count}, not {workload.page_size} items")
    return found
