"""Markdown tables of the latest recorded runs, for `docs/benchmarks.md`: `python -m bench.markdown`.

The document's tables are then copies of recorded numbers, never numbers typed by hand.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import typer

from bench.machine import OTHERS_WARNING
from bench.record import RESULTS
from bench.tables import rate

TITLES = {
    "get_post": "get a post",
    "get_post_login_storm": "get a post while 8 clients log in",
    "login_storm": "the 8 logging in meanwhile",
    "get_user": "get a user",
    "get_one_post": "get post 1",
    "get_one_post_304": "get post 1, unchanged (304)",
    "list_posts": "list posts (20)",
    "list_published": "list published posts (20)",
    "list_by_tag": "list posts by tag (20)",
    "search": "search (20)",
    "create_post": "create a post (2 tags)",
    "health_alone": "/health alone",
    "health_beside_searches": "/health while 2 clients search",
    "search_missing": "the searches meanwhile (a word no post holds)",
    "sign_up": "sign up",
    "login": "log in",
    "deep_page_1": "page 1",
    "deep_skip": "page 5,000 by skip",
    "deep_cursor": "page 5,000 by cursor",
}


def latest(suite: str, path: Path = RESULTS) -> dict[str, Any] | None:
    found = None
    if path.exists():
        for line in path.read_bytes().splitlines():
            if line.strip():
                record = orjson.loads(line)
                if record.get("suite") == suite:
                    found = record
    return found


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _others(cpus: float) -> str:
    return f" (others used {cpus:.1f} CPU)" if cpus > OTHERS_WARNING else ""


def _results(results: list[dict[str, Any]]) -> Iterator[str]:
    yield _row(["workload", "clients", "requests/s", "p50 ms", "p99 ms", "errors", "RSS MB"])
    yield _row(["---", "--:", "--:", "--:", "--:", "--:", "--:"])
    for r in results:
        yield _row(
            [
                TITLES.get(r["workload"], r["workload"]) + _others(r.get("other_cpu", 0.0)),
                str(r["connections"]),
                rate(r["rps"]),
                f"{r['p50_ms']:.2f}",
                f"{r['p99_ms']:.2f}",
                str(r["errors"]) if r["requests"] else "no answer",
                f"{r['rss_mb']:.0f}",
            ]
        )


def _targets(targets: list[dict[str, Any]]) -> Iterator[str]:
    for t in targets:
        yield f"- {'PASS' if t['passed'] else 'MISS'} {t['text']}"


def bench_section(record: dict[str, Any]) -> Iterator[str]:
    dirty = " with uncommitted changes" if record["dirty"] else ""
    yield f"`make bench` at {record['time']}, commit {record['commit']}{dirty}, {record['duration_s']} s per"
    yield f"workload; the machine was {record['busy_before']:.0%} busy before the run."
    yield ""
    for number, one in enumerate(record["sets"], start=1):
        if len(record["sets"]) > 1:
            yield f"Set {number} (RSS after it: {one['rss_mb']:.0f} MB):"
            yield ""
        yield from _results(one["results"])
        yield ""
    last = record["sets"][-1]
    yield f"Server RSS: {record['start_rss_mb']:.0f} MB at start, {last['rss_mb']:.0f} MB after the run,"
    yield f"{last.get('peak_rss_mb', 0):.0f} MB at most (VmHWM)."
    yield ""
    if record.get("deep"):
        yield "Deep pages, 100,000 posts, one client:"
        yield ""
        yield from _results(record["deep"]["results"])
        yield ""
    yield from _targets(record["targets"])


def turns_section(record: dict[str, Any]) -> Iterator[str]:
    """`make bench-peers`: its turns (`turns_table`), then its targets."""
    yield from turns_table(record, command="make bench-peers")
    yield from _targets(record["targets"])


def turns_table(record: dict[str, Any], *, command: str) -> Iterator[str]:
    """A suite of servers taking turns (`bench.turns`): medians per workload and server, and ratios."""
    dirty = " with uncommitted changes" if record["dirty"] else ""
    base = record.get("base", "kaira")
    yield f"`{command}` at {record['time']}, commit {record['commit']}{dirty}, {record['rounds']}"
    yield f"rounds of {record['duration_s']} s per workload and server, medians over the rounds; the"
    yield f"machine was {record['busy_before']:.0%} busy before the run."
    yield ""
    yield _row(["workload", "server", "requests/s", "p50 ms", "p99 ms", "errors", f"{base} ÷ this"])
    yield _row(["---", "---", "--:", "--:", "--:", "--:", "--:"])
    for workload, by_server in record["summary"].items():
        order = [s for s in record.get("servers", by_server) if s in by_server]
        for index, server in enumerate(order):
            s = by_server[server]
            ratio = record["ratios"].get(workload, {}).get(server)
            yield _row(
                [
                    TITLES.get(workload, workload) if index == 0 else "",
                    server + _others(s.get("other_cpu", 0.0)),
                    rate(s["rps"]),
                    f"{s['p50_ms']:.2f}",
                    f"{s['p99_ms']:.2f}",
                    str(s["errors"]) if s["rps"] else "no answer",
                    "" if ratio is None else f"{ratio:.2f}×",
                ]
            )
    yield ""


def sqlite_section(record: dict[str, Any]) -> Iterator[str]:
    """`--database sqlite`: its turns, then long reads beside short ones when they were measured."""
    yield from turns_table(record, command='make bench BENCH_ARGS="--database sqlite"')
    if record.get("long_reads"):
        yield "Long reads on SQLite, 100,000 posts (`bench.long_reads`):"
        yield ""
        yield from _results(record["long_reads"])
        yield ""
    yield from _targets(record["targets"])


SECTIONS: dict[str, Callable[[dict[str, Any]], Iterator[str]]] = {
    "bench": bench_section,
    "peers": turns_section,
    "sqlite": sqlite_section,
}


def main() -> None:
    """Print the latest record of each suite (`make bench`, `make bench-peers`, `--database sqlite`)."""
    for suite, section in SECTIONS.items():
        record = latest(suite)
        if record is None:
            typer.echo(f"(no {suite} record in bench/{RESULTS.name})\n")
            continue
        typer.echo("\n".join(section(record)) + "\n")


if __name__ == "__main__":
    typer.run(main)
