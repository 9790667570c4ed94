"""What a bench run is configured with: environment variables, overridable from the command line.

One place reads the environment so that every module sees the same values and the JSON record of a run can
say exactly how it was measured.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, replace
from pathlib import Path

from bench.pg import with_database

ROOT = Path(__file__).resolve().parent.parent
"""The repository root: servers and `kaira db upgrade` run from here, as a user would run them."""

DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/kaira_bench"
DEFAULT_SQLITE_PATH = "bench/results/kaira_bench.db"
"""Under bench/results/, which git ignores: the file is made anew whenever it must be reloaded."""


class SettingsError(Exception):
    """A bench setting that cannot work; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    database_url: str
    """The 100 users / 1,000 posts data set, Kaira's database for every workload but deep pages."""
    deep_database_url: str
    """The 100,000 posts data set, for deep pages only."""
    seedref_database_url: str
    """The tutorial peer's own database: it creates different tables in it."""
    sqlite_path: Path
    """`--database sqlite`: the file holding a copy of `database_url`'s rows, owned by the bench."""
    duration_s: int
    warmup_s: int
    connections: int
    rounds: int
    server_cpu: int
    client_cpu: int
    kaira_port: int
    peers_dir: Path

    @property
    def deep_sqlite_path(self) -> Path:
        """`--database sqlite`'s copy of `deep_database_url`, beside `sqlite_path`: for long reads."""
        return self.sqlite_path.with_name(f"{self.sqlite_path.stem}_deep{self.sqlite_path.suffix}")

    @property
    def kaira_command(self) -> Path:
        """The `kaira` script of the interpreter running the bench (the project's venv)."""
        return Path(sys.executable).parent / "kaira"

    def with_overrides(
        self,
        *,
        duration_s: int | None = None,
        warmup_s: int | None = None,
        connections: int | None = None,
        rounds: int | None = None,
    ) -> Settings:
        """Command-line options win over the environment; None keeps the environment's value."""
        return replace(
            self,
            duration_s=self.duration_s if duration_s is None else _positive("--duration", duration_s),
            warmup_s=self.warmup_s if warmup_s is None else _non_negative("--warmup", warmup_s),
            connections=self.connections if connections is None else _positive("--connections", connections),
            rounds=self.rounds if rounds is None else _positive("--rounds", rounds),
        )


def load_settings() -> Settings:
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    peers = Path(os.environ.get("KAIRA_PEERS_DIR", "../shared/peers"))
    sqlite = Path(os.environ.get("BENCH_SQLITE_PATH") or DEFAULT_SQLITE_PATH)
    return Settings(
        database_url=url,
        deep_database_url=os.environ.get("BENCH_DEEP_DATABASE_URL") or with_database(url, suffix="_deep"),
        seedref_database_url=(
            os.environ.get("BENCH_SEEDREF_DATABASE_URL") or with_database(url, suffix="_seedref")
        ),
        sqlite_path=sqlite if sqlite.is_absolute() else ROOT / sqlite,
        duration_s=_positive("BENCH_DURATION", _seconds("BENCH_DURATION", "10")),
        warmup_s=_non_negative("BENCH_WARMUP", _seconds("BENCH_WARMUP", "2")),
        connections=_positive("BENCH_CONNECTIONS", _integer("BENCH_CONNECTIONS", "32")),
        rounds=_positive("BENCH_ROUNDS", _integer("BENCH_ROUNDS", "2")),
        server_cpu=_non_negative("BENCH_SERVER_CPU", _integer("BENCH_SERVER_CPU", "0")),
        client_cpu=_non_negative("BENCH_CLIENT_CPU", _integer("BENCH_CLIENT_CPU", "1")),
        kaira_port=_positive("BENCH_PORT", _integer("BENCH_PORT", "8010")),
        peers_dir=peers if peers.is_absolute() else (ROOT / peers).resolve(),
    )


def _integer(name: str, default: str) -> int:
    raw = os.environ.get(name, default).strip()
    try:
        return int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None


def _seconds(name: str, default: str) -> int:
    """Whole seconds, written `10` or `10s` (wrk's own notation)."""
    raw = os.environ.get(name, default).strip().removesuffix("s")
    try:
        return int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be whole seconds such as 10 or 10s, got {raw!r}") from None


def _positive(name: str, value: int) -> int:
    if value < 1:
        raise SettingsError(f"{name} must be at least 1, got {value}")
    return value


def _non_negative(name: str, value: int) -> int:
    if value < 0:
        raise SettingsError(f"{name} must not be negative, got {value}")
    return value
