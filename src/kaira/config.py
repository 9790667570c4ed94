"""Settings from the environment and `.env`, validated once at start-up.

Every bad value must end start-up with one line naming the variable, so validation lives here and
`ConfigError` carries a message meant for a person, not a traceback.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import secrets
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

import limits
from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

MIN_SECRET_LENGTH = 32
SECRET_KEY_FILE = ".kaira-secret-key"  # noqa: S105 - a file name

_ASYNC_DRIVERS = {"postgresql": "postgresql+asyncpg", "sqlite": "sqlite+aiosqlite"}
_ACCEPTED_DRIVERS = {"postgresql+asyncpg", "sqlite+aiosqlite", *_ASYNC_DRIVERS}


_BAD_PORT = "DATABASE_URL has an invalid port: use a number from 1 to 65535"


class ConfigError(Exception):
    """A setting that cannot work; the message names the variable and what to do."""


def parse_database_url(raw: str) -> URL:
    """Turn the original design's `postgresql://…` or `sqlite:///…` into the async driver's URL."""
    try:
        url = make_url(raw)
    except ArgumentError:
        raise ConfigError(
            "DATABASE_URL is malformed: expected sqlite:///FILE or postgresql://USER:PASSWORD@HOST:PORT/DB"
        ) from None
    except ValueError:  # raised by make_url for a port that is not a number
        raise ConfigError(_BAD_PORT) from None
    if url.port is not None and not 0 < url.port < 65536:
        raise ConfigError(_BAD_PORT)
    if url.drivername not in _ACCEPTED_DRIVERS:
        raise ConfigError(
            f"DATABASE_URL has an unsupported scheme {url.drivername!r}: use sqlite:/// or postgresql://"
        )
    url = url.set(drivername=_ASYNC_DRIVERS.get(url.drivername, url.drivername))
    if url.get_backend_name() == "postgresql" and not url.database:
        raise ConfigError("DATABASE_URL names no database: add /DBNAME after the host")
    return url


def redact(url: URL) -> str:
    """The URL as it may appear in logs and messages: never with its password."""
    return url.render_as_string(hide_password=True)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", env_file_encoding="utf-8")

    database_url: str = "sqlite:///./kaira.db"
    secret_key: str | None = None
    environment: Literal["development", "production", "test"] = "development"
    access_token_expire_minutes: int = Field(default=15, ge=1, le=60 * 24)
    refresh_token_expire_days: int = Field(default=30, ge=1, le=365)
    redis_url: str = ""
    """`redis://host:6379/0`: abuse-limit counters shared by every worker and instance; empty: in memory."""
    rate_limits: bool = True
    login_limit_per_account: str = "10/minute"
    login_limit_per_address: str = "60/minute"
    signup_limit_per_address: str = "20/minute"
    forwarded_allow_ips: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["127.0.0.1"])
    """Proxies whose `X-Forwarded-For` names the client: addresses or networks, or `*` for any."""
    rate_limit_key_prefix: str = Field(default="kaira", pattern=r"^[A-Za-z0-9_.:\-]{1,50}$")
    """Where the counters live in Redis: several deployments (or test runs) may share one server."""
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    sql_echo: bool = False
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    log_format: Literal["text", "json"] = "text"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    db_pool_size: int = Field(default=10, ge=1, le=200)
    db_timeout_seconds: float = Field(default=2.5, gt=0, le=60)
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    metrics_enabled: bool = True
    """Serve `/metrics` (Prometheus) and count every request for it."""
    shutdown_timeout_seconds: int = Field(default=10, ge=1, le=3600)
    """How long SIGTERM may take: requests in flight get all of it but the last second (`kaira.serving`)."""
    telemetry: bool = False
    """FastAPI's native OpenTelemetry spans, metrics and logs, sent to the providers the OpenTelemetry
    SDK configures. Off by default: with no SDK they record nothing, and checking costs every request."""

    @field_validator("cors_origins", "forwarded_allow_ips", mode="before")
    @classmethod
    def _split_list(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("forwarded_allow_ips")
    @classmethod
    def _addresses(cls, proxies: list[str]) -> list[str]:
        for proxy in proxies:
            if proxy != "*":
                try:
                    ipaddress.ip_network(proxy, strict=False)
                except ValueError:
                    raise ValueError(f"{proxy!r} is not an IP address or network (or '*')") from None
        return proxies

    @field_validator("login_limit_per_account", "login_limit_per_address", "signup_limit_per_address")
    @classmethod
    def _rate(cls, value: str) -> str:
        try:
            limits.parse(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a rate such as 10/minute") from None
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str) -> str:
        if value and not value.startswith(("redis://", "rediss://")):
            raise ValueError("use redis://HOST:PORT/DB (or rediss://), or leave it empty")
        return value

    @field_validator("cors_origins")
    @classmethod
    def _no_wildcard(cls, origins: list[str]) -> list[str]:
        if "*" in origins:
            raise ValueError("'*' is not allowed: list the origins (tokens are credentials)")
        return origins

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @property
    def db_url(self) -> URL:
        return parse_database_url(self.database_url)

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    def resolved_secret_key(self) -> str:
        """The signing key: configured, or in development one generated once and kept beside the data.

        Workers and restarts must agree on the key, or every token dies with the process that signed it.
        """
        if self.secret_key:
            if len(self.secret_key) < MIN_SECRET_LENGTH and self.is_production:
                raise ConfigError(
                    f"SECRET_KEY is too short for production: use at least {MIN_SECRET_LENGTH} characters "
                    '(python -c "import secrets; print(secrets.token_urlsafe(48))")'
                )
            return self.secret_key
        if self.is_production:
            raise ConfigError(
                "SECRET_KEY is not set: with ENVIRONMENT=production a secret key of at least "
                f"{MIN_SECRET_LENGTH} characters is required"
            )
        path = self._data_dir() / SECRET_KEY_FILE
        try:
            return _development_key(path)
        except OSError as error:
            raise ConfigError(
                f"SECRET_KEY is not set, and the generated key cannot be kept in {path} ({error.strerror}): "
                f"set SECRET_KEY, or make {path.parent} an existing, writable directory"
            ) from None

    def _data_dir(self) -> Path:
        url = self.db_url
        if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
            return Path(url.database).resolve().parent
        return Path.cwd()


def _development_key(path: Path) -> str:
    """Read the key file, or create it with mode 0600.

    The key is written to a private temporary file first and then linked into place, which fails if the
    name is taken: workers starting together all end up reading the one whole key, never a half-written one.
    """
    try:
        return _read_key(path)
    except FileNotFoundError:
        pass
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f"{path.name}.")  # mode 0600
    temporary = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(secrets.token_urlsafe(48))
        with contextlib.suppress(FileExistsError):  # another worker was first: its key wins
            path.hardlink_to(temporary)
    finally:
        temporary.unlink()
    return _read_key(path)


def _read_key(path: Path) -> str:
    key = path.read_text(encoding="utf-8").strip()
    if len(key) < MIN_SECRET_LENGTH:
        raise ConfigError(f"The key file {path} is damaged: delete it, and a new key will be made")
    return key


def load_settings(**overrides: object) -> Settings:
    """Build settings, turning pydantic's report into one line per bad variable."""
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        first = error.errors()[0]
        name = str(first["loc"][0]).upper() if first["loc"] else "settings"
        raise ConfigError(f"{name} is invalid: {first['msg']}") from None
    settings.db_url  # noqa: B018 - fail now on a bad URL, not at the first request
    return settings


@lru_cache
def get_settings() -> Settings:
    return load_settings()
