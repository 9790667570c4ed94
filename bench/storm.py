"""get-a-post under a login storm: does slow password hashing stall everything else?

Argon2 is slow on purpose; if the service hashed on its event loop, every request would wait behind every
login. A second wrk logs in without pause while get-a-post is measured, both on the load generator's CPU,
and the p99 is compared with get-a-post measured alone just before.
"""

from __future__ import annotations

from bench import dataset, workloads
from bench.machine import OtherLoad
from bench.measure import Result
from bench.server import Server
from bench.settings import Settings
from bench.workloads import GET_POST, LOGIN, STORM_CONNECTIONS
from bench.wrk import WrkRun


def login_storm(server: Server, settings: Settings) -> list[Result]:
    """The login wrk starts first and runs a second longer: the storm covers the whole measured run."""
    base = server.spec.base_url
    spec = dataset.SMALL
    settled = server.wait_idle()
    logins = workloads.load(LOGIN, spec, connections=STORM_CONNECTIONS, duration_s=settings.duration_s + 1)
    gets = workloads.load(GET_POST, spec, connections=settings.connections, duration_s=settings.duration_s)
    with OtherLoad() as others, WrkRun(logins, base, cpu=settings.client_cpu) as login_run:
        with WrkRun(gets, base, cpu=settings.client_cpu) as get_run:
            get_result = get_run.result()
        login_result = login_run.result()
    server.wait_idle()
    rss = server.rss_bytes()
    return [
        Result(
            "get_post_login_storm",
            "get a post, logins running",
            get_result,
            rss,
            settings.connections,
            settled,
            others.cpus,
        ),
        Result(
            "login_storm",
            "  the logins meanwhile",
            login_result,
            rss,
            STORM_CONNECTIONS,
            settled,
            others.cpus,
        ),
    ]
