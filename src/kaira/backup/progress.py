"""A progress bar on a terminal, nothing otherwise (cron mails and logs stay clean)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeRemainingColumn


class Bar:
    def __init__(self, progress: Progress, task: TaskID) -> None:
        self._progress, self._task = progress, task

    def advance(self, amount: int) -> None:
        self._progress.advance(self._task, amount)

    def reach(self, completed: int) -> None:
        self._progress.update(self._task, completed=completed)


@contextmanager
def progress_bar(description: str, total: int | None, *, counted: bool = False) -> Iterator[Bar]:
    """On stderr, so that stdout keeps only the command's result. `counted`: show "done/total"."""
    console = Console(stderr=True)
    columns = [TextColumn("{task.description}"), BarColumn()]
    columns.append(MofNCompleteColumn() if counted else TextColumn("{task.percentage:>3.0f}%"))
    with Progress(
        *columns, TimeRemainingColumn(), console=console, disable=not console.is_terminal
    ) as progress:
        yield Bar(progress, progress.add_task(description, total=total))
