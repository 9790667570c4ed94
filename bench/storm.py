"""get-a-post under a login storm: does slow password hashing stall everything else?

Argon2 is slow on purpose; if the service hashed on its event loop, every request would wait behind every
login. A second wrk logs in without pause while get-a-post is measured, both on the load generator's CPU,
and the p99 is compared with get-a-post measured alone just before.
"""

from __future__ import annotations

from bench import dataset, workloads
from bench.measure import Named, Result, measure_beside
from bench.server import Server
from bench.settings import Settings
from bench.workloads import GET_POST, LOGIN, STORM_CONNECTIONS


def login_storm(server: Server, settings: Settings) -> list[Result]:
    """Get a post while `STORM_CONNECTIONS` clients log in without pause, and the logins themselves."""
    spec = dataset.SMALL
    logins = workloads.load(LOGIN, spec, connections=STORM_CONNECTIONS, duration_s=settings.duration_s)
    gets = workloads.load(GET_POST, spec, connections=settings.connections, duration_s=settings.duration_s)
    return measure_beside(
        server,
        settings,
        Named("get_post_login_storm", "get a post, logins running", gets),
        Named("login_storm", "  the logins meanwhile", logins),
    )
