"""Run a bench command so that it ends cleanly: known failures as one line, Ctrl-C and SIGTERM as exits.

Servers and wrk processes are stopped by the `with` blocks that started them; turning SIGTERM into an
exception is what lets those blocks run when the bench itself is told to stop.
"""

from __future__ import annotations

import signal
from collections.abc import Callable
from types import FrameType

import asyncpg  # type: ignore[import-untyped]
import httpx
import typer
from rich.console import Console

from bench.cursor import CursorError
from bench.peers_venv import PeersError
from bench.pg import DatabaseUrlError
from bench.seed import SeedError
from bench.server import ServerError
from bench.settings import SettingsError
from bench.wrk import WrkError

EXPECTED = (
    SettingsError, DatabaseUrlError, SeedError, ServerError, WrkError, CursorError, PeersError,
    httpx.HTTPError, asyncpg.PostgresError, OSError,
)  # fmt: skip


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def guarded(console: Console, body: Callable[[], None]) -> None:
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        body()
    except KeyboardInterrupt:
        console.print("[yellow]bench: interrupted; servers and wrk stopped[/]")
        raise typer.Exit(130) from None
    except EXPECTED as error:
        console.print(f"[bold red]bench: {error}[/]")
        raise typer.Exit(2) from None
    finally:
        signal.signal(signal.SIGTERM, previous)
