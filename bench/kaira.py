"""Kaira as a user runs it (`kaira serve`, one worker), and the token its authenticated workloads send."""

from __future__ import annotations

import secrets

import httpx

from bench import dataset
from bench.server import ServerSpec
from bench.settings import ROOT, Settings


def server_spec(
    settings: Settings, database_url: str, *, name: str = "kaira", metrics: bool = True
) -> ServerSpec:
    """`kaira serve --port … --workers 1` on `database_url`, quiet, with a key of its own.

    SECRET_KEY is set, as in production, so that the development fallback does not write a key file into
    the repository; the key is new for every run because tokens never outlive one. RATE_LIMITS=false: a
    load test's logins all come from one address, and the abuse limits would answer most of them 429.
    The access token lives a day, so that the one token of a run outlasts any BENCH_DURATION (the
    default 15 minutes could end mid-run).
    """
    return ServerSpec(
        name=name,
        argv=[
            str(settings.kaira_command),
            "serve",
            *_flags(host="127.0.0.1", port=settings.kaira_port, workers=1),
        ],
        cwd=ROOT,
        port=settings.kaira_port,
        env={
            "DATABASE_URL": database_url,
            "LOG_LEVEL": "WARNING",
            "SQL_ECHO": "false",
            "SECRET_KEY": secrets.token_urlsafe(48),
            "METRICS_ENABLED": str(metrics).lower(),
            "RATE_LIMITS": "false",
            "ACCESS_TOKEN_EXPIRE_MINUTES": "1440",
        },
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
