"""Kaira as a user runs it (`kaira serve`, one worker), and the token its authenticated workloads send."""

from __future__ import annotations

import secrets

import httpx

from bench import dataset
from bench.server import ServerSpec
from bench.settings import ROOT, Settings


def server_spec(
    settings: Settings,
    database_url: str,
    *,
    name: str = "kaira",
    metrics: bool = True,
    rate_limits: bool = True,
) -> ServerSpec:
    """`kaira serve --port … --workers 1` on `database_url`, otherwise with the defaults a user gets.

    So the access log line of every request is written (at INFO, into the server's log file), metrics
    are counted and the abuse limits are on, unless the caller turns one off for a reason it gives.
    Two settings cannot be left alone, and neither touches the hot path: SECRET_KEY is set, as in
    production, so that the development fallback does not write a key file into the repository (new
    for every run: tokens never outlive one); and the access token lives a day, so that the run's one
    token outlasts any BENCH_DURATION (the default 15 minutes could end mid-run).
    """
    env = {
        "DATABASE_URL": database_url,
        "SQL_ECHO": "false",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "METRICS_ENABLED": str(metrics).lower(),
        "ACCESS_TOKEN_EXPIRE_MINUTES": "1440",
    }
    if not rate_limits:
        env["RATE_LIMITS"] = "false"
    return ServerSpec(
        name=name,
        argv=[
            str(settings.kaira_command),
            "serve",
            *_flags(host="127.0.0.1", port=settings.kaira_port, workers=1),
        ],
        cwd=ROOT,
        port=settings.kaira_port,
        env=env,
    )


def _flags(**options: object) -> list[str]:
    return [part for name, value in options.items() for part in (f"--{name}", str(value))]


def access_token(base_url: str, user_id: int = 1) -> str:
    """Sign in a seeded user through the API, as a client would, before the load starts."""
    response = httpx.post(
        f"{base_url}/api/auth/token",
        data={"username": dataset.username(user_id), "password": dataset.PASSWORD},
        timeout=30.0,
    )
    response.raise_for_status()
    token = response.json()["access_token"]
    if not isinstance(token, str):
        raise TypeError(f"access_token is {type(token).__name__}, not a string")
    return token
