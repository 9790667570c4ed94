"""The issue's performance targets as checks: each says what was measured, against which limit, PASS or MISS.

A miss does not fail the command: the bench measures, people decide; the record keeps every check.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rich.console import Console

from bench.measure import Result

READ_TAIL_LIMIT = 3.0
"""p99 of a read (and of creating a post) ≤ 3 × its p50: no long tail from pauses, pool waits or
blocking calls."""
STORM_LIMIT = 2.0
"""p99 of get-a-post while 8 clients log in ≤ 2 × its p99 alone."""
RSS_LIMIT_MB = 150.0
GROWTH_LIMIT = 0.05
CURSOR_LIMIT = 1.5
"""Page 5,000 by cursor costs within 1.5 × page 1."""


@dataclass(frozen=True)
class Target:
    name: str
    measured: float
    limit: float
    at_least: bool
    """True: the measured value must reach the limit; False: it must stay at or below it."""
    unit: str = "×"
    detail: str = ""
    digits: int = 2
    """Decimals shown: 0 for counts (errors, log lines)."""

    @property
    def passed(self) -> bool:
        return self.measured >= self.limit if self.at_least else self.measured <= self.limit

    def describe(self) -> str:
        sign = "≥" if self.at_least else "≤"
        fmt = ".0%" if self.unit == "%" else f".{self.digits}f"
        unit = "" if self.unit == "%" else self.unit
        text = f"{self.name}: {self.measured:{fmt}}{unit} (target {sign} {self.limit:{fmt}}{unit})"
        return f"{text}; {self.detail}" if self.detail else text

    def as_record(self) -> dict[str, object]:
        return {
            "name": self.name,
            "measured": round(self.measured, 4),
            "limit": self.limit,
            "at_least": self.at_least,
            "passed": self.passed,
            "text": self.describe(),
        }


def tail(title: str, p50_ms: float, p99_ms: float) -> Target:
    """A read's p99 against its p50: a long tail means pauses, pool waits or a blocked event loop."""
    return Target(
        f"{title}: p99/p50",
        p99_ms / p50_ms if p50_ms else float("inf"),
        READ_TAIL_LIMIT,
        at_least=False,
        detail=f"p50 {p50_ms:.2f} ms, p99 {p99_ms:.2f} ms",
    )


def read_tails(results: Iterable[Result], reads: set[str]) -> list[Target]:
    return [tail(r.title, r.measurement.p50_ms, r.measurement.p99_ms) for r in results if r.workload in reads]


def ratio(name: str, numerator: float, denominator: float, limit: float, *, detail: str = "") -> Target:
    """A throughput ratio that must reach `limit` (Kaira's requests/s over a peer's)."""
    return Target(name, numerator / denominator if denominator else 0.0, limit, at_least=True, detail=detail)


def none_of(name: str, count: float, *, detail: str = "") -> Target:
    """Something that must not happen at all: errors, alarming log lines."""
    return Target(name, count, 0, at_least=False, unit="", detail=detail, digits=0)


def print_targets(console: Console, targets: Iterable[Target]) -> None:
    for target in targets:
        mark = "[bold green]PASS[/]" if target.passed else "[bold red]MISS[/]"
        console.print(f"{mark} {target.describe()}")
