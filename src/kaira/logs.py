"""Logging as text or one JSON object a line, every line carrying the request id it belongs to."""

from __future__ import annotations

import logging
import re
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

import orjson

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")
FIELDS = "fields"
"""`extra={FIELDS: {...}}` on a log call: keys of their own in a JSON line (the text line has them in
its message)."""


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


_FAILING_ROW = re.compile(r"Failing row contains \(.*?\)\.?(?=\n|$)", re.DOTALL)


def without_rows(text: str) -> str:
    """PostgreSQL explains a broken NOT NULL or CHECK constraint with the whole row ("DETAIL: Failing
    row contains (…)"), which for `users` holds the password hash; the row never reaches the log."""
    return _FAILING_ROW.sub("Failing row contains (…).", text) if "Failing row" in text else text


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return without_rows(super().format(record))


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": without_rows(record.getMessage()),
            "request_id": getattr(record, "request_id", "-"),
        }
        fields = getattr(record, FIELDS, None)  # a request's own line: its method, route, status...
        if fields:
            entry.update(fields)
        if record.exc_info:
            entry["exception"] = without_rows(self.formatException(record.exc_info))
        return orjson.dumps(entry).decode()


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


def collect_only_what_lines_show() -> None:
    """Every record skips what neither format prints: the caller's file and line (a walk up the
    stack), the thread, the process id and name. The logging documentation's own "Optimization"
    switches; with a line per request they were a measurable share of a small read."""
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False


def logging_config(level: str, fmt: str) -> dict[str, Any]:
    """A dictConfig for the CLI and for uvicorn, which applies it again in every worker process."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {
            "text": {"()": TextFormatter, "format": TEXT_FORMAT},
            "json": {"()": JsonFormatter},
        },
        "handlers": {
            "default": {
                "class": "logging.StreamHandler",
                "formatter": fmt,
                "filters": ["request_id"],
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["default"], "level": level},
        "loggers": {
            **{
                name: {"handlers": [], "propagate": True}
                for name in ("uvicorn", "uvicorn.error", "uvicorn.access")
            },
            # aiosqlite's DEBUG lines repeat every statement with its parameters: password hashes.
            "aiosqlite": {"level": "INFO" if level == "DEBUG" else level},
        },
    }
