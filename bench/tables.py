"""The tables people read at the end of a run (Rich); the JSON record holds the same numbers."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping, Sequence

from rich.console import Console
from rich.table import Table

from bench.machine import OTHERS_WARNING
from bench.measure import Result, Summary


def rate(rps: float) -> str:
    """Requests/s as people read them: 1,932 and 126, but 0.6 rather than 1 for the slow ones."""
    return f"{rps:,.0f}" if rps >= 10 else f"{rps:.1f}"


def console() -> Console:
    """A terminal's own width; 120 columns when the output goes to a file or a pipe (80 would wrap)."""
    return Console() if sys.stdout.isatty() else Console(width=120)


def _notes(settled: bool, other_cpu: float) -> str:
    """Why a number may be off: the server was still busy, or other processes took CPU meanwhile."""
    notes = [] if settled else ["server was busy"]
    if other_cpu > OTHERS_WARNING:
        notes.append(f"others used {other_cpu:.1f} CPU")
    return f" [yellow]({', '.join(notes)})[/]" if notes else ""


def results_table(title: str, results: Iterable[Result]) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("workload", no_wrap=True)
    table.add_column("clients", justify="right")
    table.add_column("req/s", justify="right")
    table.add_column("p50 ms", justify="right")
    table.add_column("p99 ms", justify="right")
    table.add_column("errors", justify="right")
    table.add_column("RSS MB", justify="right")
    for result in results:
        m = result.measurement
        errors = f"[bold red]{m.errors}[/]" if m.errors else "0"
        if not m.requests:
            errors = "[bold red]no answer[/]"
        title = result.title + _notes(result.settled, result.other_cpu)
        table.add_row(
            title,
            str(result.connections),
            rate(m.rps),
            f"{m.p50_ms:.2f}",
            f"{m.p99_ms:.2f}",
            errors,
            f"{result.rss_bytes / 2**20:.0f}",
        )
    return table


def peers_table(
    title: str,
    servers: Sequence[str],
    rows: Mapping[str, Mapping[str, Summary]],
    ratios: Mapping[str, Mapping[str, float]],
    *,
    base: str = "kaira",
) -> Table:
    """One line per workload and server (medians over rounds), with `base`'s requests/s over the other's."""
    table = Table(title=title, title_justify="left")
    table.add_column("workload", no_wrap=True)
    table.add_column("server", no_wrap=True)
    table.add_column("req/s", justify="right")
    table.add_column("p50 ms", justify="right")
    table.add_column("p99 ms", justify="right")
    table.add_column("errors", justify="right")
    table.add_column(f"{base} ÷ this", justify="right")
    for workload, by_server in rows.items():
        present = [s for s in servers if s in by_server]
        for index, server in enumerate(present):
            m = by_server[server]
            ratio = ratios.get(workload, {}).get(server)
            errors = f"[bold red]{m.errors}[/]" if m.errors else "0"
            if not m.rps:
                errors = "[bold red]no answer[/]"
            table.add_row(
                m.title if index == 0 else "",
                server + _notes(True, m.other_cpu),
                rate(m.rps),
                f"{m.p50_ms:.2f}",
                f"{m.p99_ms:.2f}",
                errors,
                "" if ratio is None else f"{ratio:.2f}×",
                end_section=index == len(present) - 1,
            )
    return table
