"""Servers taking turns, one at a time on the server CPU, round after round: the side-by-side suites.

Absolute numbers drift between machines and minutes, ratios measured in one run do not: each server is
started for its turn, measures every workload (warm-up included) and is stopped, then the next one has
its turn, so that a slow minute hurts all of them alike; each ratio is taken between medians over the
rounds. `make bench-peers` (Kaira, the tutorial, the ceiling) and `make bench --database sqlite` (Kaira
on SQLite and on PostgreSQL) both measure this way.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from bench import dataset, kaira, probe
from bench.measure import Result, Summary, measure
from bench.server import Server, ServerSpec
from bench.settings import Settings
from bench.workloads import Workload


@dataclass(frozen=True)
class Contender:
    name: str
    spec: ServerSpec
    authenticated: bool
    """Kaira's writes need a token; the tutorial takes ?author_id= instead."""
    started: Callable[[], None] | None = None
    """Work to do once the server answers, before its load (the tutorial's tables exist only then)."""
    log_alarms: tuple[str, ...] = ()
    """Text that must never appear in the server's log: lines holding it are counted after each turn."""


class Turns:
    """The results of contenders' turns, by server and workload, and what their logs held."""

    def __init__(self, settings: Settings, contenders: Mapping[str, Contender], console: Console) -> None:
        self.settings = settings
        self.contenders = contenders
        self.console = console
        self.results: dict[str, dict[str, list[Result]]] = defaultdict(lambda: defaultdict(list))
        self.runs: list[dict[str, object]] = []
        """Every measured run, in order, with its round and server: the record's raw data."""
        self.alarms: dict[str, dict[str, int]] = {
            name: dict.fromkeys(c.log_alarms, 0) for name, c in contenders.items() if c.log_alarms
        }
        """Per server, how many log lines held each of its alarms, over all its turns."""
        self.taken: dict[str, int] = dict.fromkeys(contenders, 0)
        """Turns each server had."""

    def take(self, names: Sequence[str], chosen: Sequence[Workload]) -> None:
        """`settings.rounds` rounds; in each, every named server in turn measures every chosen workload."""
        for number in range(1, self.settings.rounds + 1):
            for name in names:
                self.console.print(f"Round {number}/{self.settings.rounds}: {name}")
                self.taken[name] += 1
                for result in self._turn(self.contenders[name], chosen):
                    self.results[name][result.workload].append(result)
                    self.runs.append({"round": number, "server": name, **result.as_record()})

    def _turn(self, contender: Contender, chosen: Sequence[Workload]) -> list[Result]:
        """One server's turn: start it, measure each workload (warm-up included), stop it, read its log."""
        with Server(contender.spec, cpu=self.settings.server_cpu) as server:
            if contender.started is not None:
                contender.started()
            for problem in probe.problems(server.spec.base_url, chosen):
                self.console.print(f"[bold yellow]check {contender.name}: {problem}[/]")
            token = kaira.access_token(server.spec.base_url) if contender.authenticated else None
            results = []
            for workload in chosen:
                self.console.print(f"  {workload.title}")
                results.append(measure(server, workload, dataset.SMALL, self.settings, token=token))
        if contender.log_alarms:  # now: the next start of this server overwrites its log
            for alarm, count in lines_holding(server.log_path, contender.log_alarms).items():
                self.alarms[contender.name][alarm] += count
        return results

    def summaries(self, workloads: Sequence[Workload]) -> dict[str, dict[str, Summary]]:
        """Per workload, each server's medians over its rounds (servers in the order they first ran)."""
        return {
            w.key: {name: Summary.of(by[w.key]) for name, by in self.results.items() if by.get(w.key)}
            for w in workloads
        }


def lines_holding(path: Path, texts: Sequence[str]) -> dict[str, int]:
    """How many lines of the file at `path` hold each of `texts`."""
    counts = dict.fromkeys(texts, 0)
    with path.open(encoding="utf-8", errors="replace") as log:
        for line in log:
            for text in texts:
                if text in line:
                    counts[text] += 1
    return counts


def ratios(summaries: Mapping[str, Mapping[str, Summary]], base: str) -> dict[str, dict[str, float]]:
    """Per workload, `base`'s requests/s over each other server's."""
    return {
        key: {other: by[base].rps / by[other].rps for other in by if other != base and by[other].rps}
        for key, by in summaries.items()
        if base in by
    }
