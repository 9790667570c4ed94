"""Settings as a person writes them: URLs in the original design's form, secrets, origins, log format."""

from __future__ import annotations

import io
import json
import logging
import logging.config
import stat
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import URL

from kaira.config import SECRET_KEY_FILE, ConfigError, Settings, load_settings, parse_database_url, redact
from kaira.logs import logging_config
from kaira.main import create_app

PASSWORD = "s3cret-Pa55word"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No Kaira variable from the caller's shell, and no `.env` from the repository."""
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.chdir(tmp_path)


# --- DATABASE_URL ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "driver", "database"),
    [
        (f"postgresql://kaira:{PASSWORD}@db.example:5433/kaira_db", "postgresql+asyncpg", "kaira_db"),
        (f"postgresql+asyncpg://kaira:{PASSWORD}@db.example/kaira_db", "postgresql+asyncpg", "kaira_db"),
        ("sqlite:///./kaira.db", "sqlite+aiosqlite", "./kaira.db"),
        ("sqlite:////var/lib/kaira/kaira.db", "sqlite+aiosqlite", "/var/lib/kaira/kaira.db"),
        ("sqlite+aiosqlite:///data.db", "sqlite+aiosqlite", "data.db"),
        ("sqlite://", "sqlite+aiosqlite", None),
    ],
)
def test_database_urls_map_to_async_drivers(raw: str, driver: str, database: str | None) -> None:
    url = parse_database_url(raw)

    assert (url.drivername, url.database) == (driver, database)


def test_a_postgresql_url_keeps_its_parts() -> None:
    url = parse_database_url(f"postgresql://kaira:{PASSWORD}@db.example:5433/kaira_db")

    assert (url.username, url.password, url.host, url.port) == ("kaira", PASSWORD, "db.example", 5433)


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (f"mysql://root:{PASSWORD}@localhost/kaira", "unsupported scheme 'mysql'"),
        (f"postgresql+psycopg2://u:{PASSWORD}@localhost/kaira", "unsupported scheme"),
        ("kaira.db", "malformed"),
        ("", "malformed"),
        (f"postgresql://u:{PASSWORD}@localhost:54x2/kaira", "invalid port"),
        (f"postgresql://u:{PASSWORD}@localhost:99999/kaira", "invalid port"),
        (f"postgresql://u:{PASSWORD}@localhost:5432", "names no database"),
    ],
)
def test_a_bad_database_url_is_one_clear_error_without_the_password(raw: str, problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_database_url(raw)

    message = str(caught.value)
    assert message.startswith("DATABASE_URL")
    assert problem in message
    assert PASSWORD not in message
    assert "\n" not in message


def test_a_bad_database_url_stops_loading_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", f"postgres://u:{PASSWORD}@localhost/kaira")

    with pytest.raises(ConfigError, match="DATABASE_URL") as caught:
        load_settings()

    assert PASSWORD not in str(caught.value)


def test_redact_never_shows_the_password() -> None:
    url = parse_database_url(f"postgresql://kaira:{PASSWORD}@db.example:5432/kaira_db")

    assert redact(url) == "postgresql+asyncpg://kaira:***@db.example:5432/kaira_db"
    assert PASSWORD not in redact(url)


def test_by_default_a_silent_database_is_reported_within_3_seconds() -> None:
    """The driver's timeout plus half a second (test_errors shows that is all it takes) stays within 3 s."""
    assert load_settings().db_timeout_seconds + 0.5 <= 3


def test_the_default_database_is_a_sqlite_file_in_the_working_directory() -> None:
    settings = load_settings()

    assert settings.db_url == URL.create("sqlite+aiosqlite", database="./kaira.db")


# --- SECRET_KEY ------------------------------------------------------------------------------------------


def test_without_a_secret_key_development_generates_one_kept_in_a_private_file(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    settings = Settings(database_url=f"sqlite:///{data / 'kaira.db'}")

    key = settings.resolved_secret_key()

    key_file = data / SECRET_KEY_FILE
    assert len(key) >= 32
    assert key_file.read_text(encoding="utf-8").strip() == key
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert not (tmp_path / SECRET_KEY_FILE).exists()  # beside the data, not in the working directory


def test_the_generated_key_is_reused_by_the_next_start(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'kaira.db'}"

    first = Settings(database_url=url).resolved_secret_key()
    second = Settings(database_url=url).resolved_secret_key()

    assert first == second


def test_another_data_directory_gets_another_key(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()

    first = Settings(database_url=f"sqlite:///{tmp_path / 'a' / 'kaira.db'}").resolved_secret_key()
    second = Settings(database_url=f"sqlite:///{tmp_path / 'b' / 'kaira.db'}").resolved_secret_key()

    assert first != second


def test_on_postgresql_the_generated_key_lives_in_the_working_directory(tmp_path: Path) -> None:
    key = Settings(database_url="postgresql://u@localhost/kaira").resolved_secret_key()

    assert (tmp_path / SECRET_KEY_FILE).read_text(encoding="utf-8").strip() == key


def test_workers_starting_together_agree_on_the_generated_key(tmp_path: Path) -> None:
    """Sixteen workers race to create the key, ten times over: a half-written file would show here."""

    def race(directory: Path) -> set[str]:
        directory.mkdir()
        settings = Settings(database_url=f"sqlite:///{directory / 'kaira.db'}")
        barrier = threading.Barrier(16)

        def start_worker(_: int) -> str:
            barrier.wait()
            return settings.resolved_secret_key()

        with ThreadPoolExecutor(max_workers=16) as pool:
            return set(pool.map(start_worker, range(16)))

    for round_ in range(10):
        directory = tmp_path / f"round{round_}"
        assert len(race(directory)) == 1
        assert [path.name for path in directory.iterdir()] == [SECRET_KEY_FILE]  # no temporary file left


def test_a_damaged_key_file_is_reported_not_used(tmp_path: Path) -> None:
    (tmp_path / SECRET_KEY_FILE).write_text("", encoding="utf-8")  # e.g. a disk that filled up
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'kaira.db'}")

    with pytest.raises(ConfigError, match="is damaged: delete it"):
        settings.resolved_secret_key()


def test_a_key_that_cannot_be_kept_is_one_clear_error(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'no-such-dir' / 'kaira.db'}")

    with pytest.raises(ConfigError, match=r"^SECRET_KEY is not set, and the generated key cannot be kept"):
        settings.resolved_secret_key()

    assert not (tmp_path / "no-such-dir").exists()  # no directory made behind the user's back


def test_a_configured_secret_key_is_used_as_it_is(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'kaira.db'}", secret_key="short-but-development")

    assert settings.resolved_secret_key() == "short-but-development"
    assert not (tmp_path / SECRET_KEY_FILE).exists()


def test_production_without_a_secret_key_refuses_to_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENVIRONMENT", "production")

    with pytest.raises(ConfigError, match=r"^SECRET_KEY is not set") as caught:
        load_settings().resolved_secret_key()

    assert "ENVIRONMENT=production" in str(caught.value)
    assert not Path(SECRET_KEY_FILE).exists()


def test_production_with_a_short_secret_key_refuses_to_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 31)

    with pytest.raises(ConfigError, match=r"^SECRET_KEY is too short"):
        load_settings().resolved_secret_key()


def test_production_with_a_long_secret_key_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("SECRET_KEY", "k" * 32)

    assert load_settings().resolved_secret_key() == "k" * 32


# --- other variables -------------------------------------------------------------------------------------


def test_cors_origins_are_a_comma_separated_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORS_ORIGINS", " https://app.example ,http://localhost:3000,, ")

    assert load_settings().cors_origins == ["https://app.example", "http://localhost:3000"]


def test_no_cors_origins_by_default() -> None:
    assert load_settings().cors_origins == []


@pytest.mark.parametrize("origins", ["*", "https://app.example,*"])
def test_a_wildcard_cors_origin_is_refused(monkeypatch: pytest.MonkeyPatch, origins: str) -> None:
    monkeypatch.setenv("CORS_ORIGINS", origins)

    with pytest.raises(ConfigError, match=r"^CORS_ORIGINS is invalid: .*'\*' is not allowed"):
        load_settings()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ENVIRONMENT", "staging"),
        ("LOG_FORMAT", "xml"),
        ("PORT", "http"),
        ("ACCESS_TOKEN_EXPIRE_MINUTES", "0"),
    ],
)
def test_a_bad_value_names_its_variable(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)

    with pytest.raises(ConfigError, match=rf"^{name} is invalid"):
        load_settings()


def test_variables_are_read_from_a_dot_env_file_and_the_environment_wins(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / ".env").write_text("LOG_LEVEL=debug\nPORT=9000\nSQL_ECHO=true\n", encoding="utf-8")
    monkeypatch.setenv("PORT", "9100")

    settings = load_settings()

    assert (settings.log_level, settings.port, settings.sql_echo) == ("DEBUG", 9100, True)


async def _crash() -> None:
    raise RuntimeError("kaboom\nover two lines")


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """LOG_FORMAT=json as `kaira serve` configures it, its handler writing here; the root logger is put
    back afterwards."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    logging.config.dictConfig(logging_config("INFO", "json"))
    stream = io.StringIO()
    [handler] = root.handlers
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(stream)
    try:
        yield stream
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])


def test_json_logs_keep_a_failure_with_its_traceback_on_one_line(
    settings: Settings, json_log: io.StringIO
) -> None:
    app = create_app(settings)
    app.add_api_route("/test/crash", _crash)

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/test/crash", headers={"X-Request-ID": "json-crash"})

    entries = [json.loads(line) for line in json_log.getvalue().splitlines()]  # every line is one object
    [failure] = [entry for entry in entries if entry["level"] == "ERROR"]
    assert response.status_code == 500
    assert failure["request_id"] == "json-crash"
    assert failure["logger"] == "kaira.request"
    assert "GET /test/crash" in failure["message"]
    assert "over two lines" in failure["exception"]
    assert datetime.fromisoformat(failure["time"]).utcoffset() is not None
