"""Progress reporting for long stages, kept out of the stages themselves.

Stages receive a :class:`Progress` and call ``start``/``advance``/``note``; the CLI picks
the implementation at the edge: a rich progress bar with a rate-aware ETA when stderr is a
terminal, plain timestamp-free log lines otherwise (CI logs, cron mails), or nothing.
"""

from __future__ import annotations

import sys
from typing import Protocol, TextIO


class Progress(Protocol):
    def start(self, stage: str, total: int) -> None: ...
    def advance(self, n: int = 1) -> None: ...
    def note(self, message: str) -> None: ...
    def finish(self) -> None: ...


class Silent:
    """For library callers and tests."""

    def start(self, stage: str, total: int) -> None:
        pass

    def advance(self, n: int = 1) -> None:
        pass

    def note(self, message: str) -> None:
        pass

    def finish(self) -> None:
        pass


class Lines:
    """Plain lines, about every tenth of a stage, for logs that are not terminals."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.stage, self.total, self.done, self._next = "", 0, 0, 0

    def _say(self, text: str) -> None:
        print(text, file=self.stream, flush=True)

    def start(self, stage: str, total: int) -> None:
        self.stage, self.total, self.done = stage, total, 0
        self._next = max(1, total // 10)
        self._say(f"{stage}: 0/{total}")

    def advance(self, n: int = 1) -> None:
        self.done += n
        if self.done >= self._next or self.done == self.total:
            self._say(f"{self.stage}: {self.done}/{self.total}")
            self._next = self.done + max(1, self.total // 10)

    def note(self, message: str) -> None:
        self._say(f"{self.stage}: {message}" if self.stage else message)

    def finish(self) -> None:
        if self.total and self.done < self.total:
            self._say(f"{self.stage}: {self.done}/{self.total}")


class Bar:
    """A rich progress bar; ETA comes from rich's speed estimate (rate-aware)."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress as RichProgress,
                                   TaskProgressColumn, TextColumn, TimeElapsedColumn,
                                   TimeRemainingColumn)

        self.console = Console(stderr=True)
        self._rich = RichProgress(TextColumn("{task.description}"), BarColumn(),
                                  MofNCompleteColumn(), TaskProgressColumn(), TimeElapsedColumn(),
                                  TextColumn("ETA"), TimeRemainingColumn(), console=self.console,
                                  transient=False)
        self._task = None

    def start(self, stage: str, total: int) -> None:
        self.finish()
        self._rich.start()
        self._task = self._rich.add_task(stage, total=total)

    def advance(self, n: int = 1) -> None:
        if self._task is not None:
            self._rich.advance(self._task, n)

    def note(self, message: str) -> None:
        self._rich.console.print(message)

    def finish(self) -> None:
        if self._task is not None:
            self._rich.stop()
            self._task = None


def for_terminal(quiet: bool = False, stream: TextIO | None = None) -> Progress:
    """The right reporter for where we run."""
    if quiet:
        return Silent()
    stream = stream or sys.stderr
    return Bar() if stream.isatty() else Lines(stream)


class Beside:
    """A second stage running beside the one on screen (the payslips streamed while the
    fetch's bar runs): reported as notes of the current reporter, about every tenth of
    ``total``. Thread-safe: the stage's results arrive on a thread of their own."""

    def __init__(self, progress: Progress, stage: str, total: int) -> None:
        import threading

        self.progress, self.stage, self.total = progress, stage, max(0, total)
        self.done, self._next = 0, max(1, self.total // 10)
        self._lock = threading.Lock()

    def advance(self, n: int = 1) -> None:
        with self._lock:
            self.done += n
            if self.done < self._next:
                return
            self._next = self.done + max(1, self.total // 10)
            text = f"{self.stage}: {self.done} of about {self.total}"
        self.progress.note(text)
