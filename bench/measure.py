"""One measured workload: a short warm-up with the same requests, then the measured run.

The warm-up fills the server's caches (SQLAlchemy's compiled statements, prepared statements on each
pooled connection, the pool itself), so the measured run sees the steady state a long-running service has
rather than its first seconds. Before each run the server is let finish what the previous one left (see
`Server.wait_idle`), so that no workload pays for another's backlog.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from statistics import median
from typing import NamedTuple

import httpx

from bench import wrk
from bench.dataset import DatasetSpec
from bench.machine import OtherLoad
from bench.server import Server
from bench.settings import Settings
from bench.workloads import Workload, load
from bench.wrk import Load, Measurement, WrkRun


@dataclass(frozen=True)
class Result:
    workload: str
    title: str
    measurement: Measurement
    rss_bytes: int
    """The server's memory right after this workload."""
    connections: int
    settled: bool = True
    """The server was idle when the run started (False: it was still busy with earlier work)."""
    other_cpu: float = 0.0
    """CPUs used meanwhile by processes other than the bench's and PostgreSQL (see `machine.OtherLoad`)."""

    def as_record(self) -> dict[str, object]:
        return {
            "workload": self.workload,
            "connections": self.connections,
            "settled": self.settled,
            "other_cpu": round(self.other_cpu, 3),
            **self.measurement.as_record(),
            "rss_mb": round(self.rss_bytes / 2**20, 1),
        }


def current_etag(url: str) -> str:
    """What a client that has read `url` once would send back in `If-None-Match`."""
    response = httpx.get(url, timeout=30.0)
    response.raise_for_status()
    return response.headers["etag"]


def measure(
    server: Server,
    workload: Workload,
    spec: DatasetSpec,
    settings: Settings,
    *,
    token: str | None = None,
    path: str | None = None,
    connections: int | None = None,
    title: str | None = None,
    key: str | None = None,
) -> Result:
    clients = connections or settings.connections
    base = server.spec.base_url
    etag = current_etag(base + (path or workload.path)) if workload.conditional else None
    if settings.warmup_s:
        server.wait_idle()
        warm = load(
            workload,
            spec,
            connections=clients,
            duration_s=settings.warmup_s,
            token=token,
            path=path,
            etag=etag,
        )
        wrk.run(warm, base, cpu=settings.client_cpu)
    settled = server.wait_idle()
    measured = load(
        workload, spec, connections=clients, duration_s=settings.duration_s, token=token, path=path, etag=etag
    )
    with OtherLoad() as others:
        result = wrk.run(measured, base, cpu=settings.client_cpu)
    server.wait_idle()  # memory once the requests left behind are done, not in the middle of them
    return Result(
        workload=key or workload.key,
        title=title or workload.title,
        measurement=result,
        rss_bytes=server.rss_bytes(),
        connections=clients,
        settled=settled,
        other_cpu=others.cpus,
    )


class Named(NamedTuple):
    """A load with the key and title its result is recorded under."""

    key: str
    title: str
    load: Load


def measure_beside(server: Server, settings: Settings, measured: Named, background: Named) -> list[Result]:
    """`measured` while `background` loads the server too (the login storm, long searches), both wrk on
    the client's CPU: the results of both, measured first. The background starts first and runs a
    second longer, so that it covers the whole measured run."""
    base = server.spec.base_url
    settled = server.wait_idle()
    behind_load = replace(background.load, duration_s=measured.load.duration_s + 1)
    with OtherLoad() as others, WrkRun(behind_load, base, cpu=settings.client_cpu) as behind:
        with WrkRun(measured.load, base, cpu=settings.client_cpu) as front:
            in_front = front.result()
        in_background = behind.result()
    server.wait_idle()
    rss = server.rss_bytes()
    return [
        Result(named.key, named.title, result, rss, named.load.connections, settled, others.cpus)
        for named, result in ((measured, in_front), (background, in_background))
    ]


@dataclass(frozen=True)
class Summary:
    """The median over rounds of one workload on one server: one round's luck does not make the ratio."""

    title: str
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    rounds: int
    other_cpu: float
    """The most CPU other processes used during any of the rounds."""

    @classmethod
    def of(cls, results: Sequence[Result]) -> Summary:
        if not results:
            raise ValueError("no results to summarise")
        measurements = [r.measurement for r in results]
        return cls(
            title=results[0].title,
            rps=median(m.rps for m in measurements),
            p50_ms=median(m.p50_ms for m in measurements),
            p99_ms=median(m.p99_ms for m in measurements),
            errors=sum(m.errors for m in measurements),
            rounds=len(results),
            other_cpu=max(r.other_cpu for r in results),
        )

    def as_record(self) -> dict[str, object]:
        return {
            "rps": round(self.rps, 1),
            "p50_ms": round(self.p50_ms, 3),
            "p99_ms": round(self.p99_ms, 3),
            "errors": self.errors,
            "rounds": self.rounds,
            "other_cpu": round(self.other_cpu, 3),
        }
