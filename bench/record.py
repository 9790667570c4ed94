"""Results as JSON lines (bench/results.jsonl), one per run, so that runs can be compared over time.

A record says how it was measured (commit, durations, connections, CPUs) next to what was measured, and
never holds a machine's paths or a database password.
"""

from __future__ import annotations

import os
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import orjson

from bench.settings import ROOT, Settings

RESULTS = Path(__file__).resolve().parent / "results.jsonl"


def context(settings: Settings) -> dict[str, object]:
    """Where and how: enough to tell whether two records can be compared."""
    return {
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": _git("rev-parse", "--short", "HEAD"),
        "dirty": bool(_git("status", "--porcelain", "--untracked-files=no")),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "duration_s": settings.duration_s,
        "warmup_s": settings.warmup_s,
        "connections": settings.connections,
        "server_cpu": settings.server_cpu,
        "client_cpu": settings.client_cpu,
    }


def append(record: dict[str, object], path: Path = RESULTS) -> None:
    with path.open("ab") as file:
        file.write(orjson.dumps(record) + b"\n")


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10, check=False
        )
    except OSError:
        return None
    return done.stdout.strip() if done.returncode == 0 else None
