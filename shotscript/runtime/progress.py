"""Showing runtime events: a live status line on a terminal, plain lines everywhere else."""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import TextIO

from rich.console import Console
from rich.status import Status

from shotscript.runtime.events import Event


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 100_000 else f"{n / 1e3:.0f} kB"


def download_text(data: dict[str, object]) -> str:
    """'downloading 1.2 MB / 3.4 MB (35%)', or without a total when none is known."""
    received = int(data.get("received", 0))  # type: ignore[call-overload]
    total = data.get("total")
    if isinstance(total, int) and total > 0:
        return f"downloading {_mb(received)} / {_mb(total)} ({100 * received // total}%)"
    return f"downloading {_mb(received)}"


class PlainProgress:
    """One timestamped line per event worth a line (logs, CI, pipes)."""

    def __init__(self, stream: TextIO | None = None, *, prefix: str = "") -> None:
        self.stream = stream or sys.stderr
        self.prefix = prefix
        self._last_download = -1
        self._last_status: object = None

    def __enter__(self) -> PlainProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stream.flush()

    def __call__(self, event: Event) -> None:
        match event.kind:
            case "download":
                # A line per quarter, not per chunk: logs stay readable.
                total = event.data.get("total")
                received = int(event.data.get("received", 0))
                quarter = 4 * received // total if isinstance(total, int) and total else -1
                if quarter == self._last_download or quarter < 0:
                    return
                self._last_download = quarter
                text = download_text(event.data)
            case "poll":
                # A line when the status changes, not one per poll: logs stay short.
                if event.data.get("status") == self._last_status:
                    return
                self._last_status = event.data.get("status")
                text = event.message
            case "warning":
                text = f"warning: {event.message}"
            case "phase":
                if event.data.get("phase") == "running":
                    self._last_status = "RUNNING"  # the phase line says it already
                text = event.message
            case "upload" | "retry" | "note":
                text = event.message
        stamp = time.strftime("%H:%M:%S")
        print(f"{stamp} {self.prefix}{text}", file=self.stream, flush=True)


class TerminalProgress:
    """A spinner with the current state; notable events scroll above it."""

    def __init__(self, console: Console | None = None, *, prefix: str = "") -> None:
        self.console = console or Console(stderr=True)
        self.prefix = prefix
        self._status: Status | None = None
        self._polls = 0

    def __enter__(self) -> TerminalProgress:
        self._status = self.console.status(f"{self.prefix}starting")
        self._status.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._status is not None:
            self._status.stop()

    def _update(self, text: str) -> None:
        if self._status is not None:
            self._status.update(f"{self.prefix}{text}")

    def __call__(self, event: Event) -> None:
        match event.kind:
            case "phase":
                self.console.print(
                    f"{self.prefix}{event.message}", style="bold", markup=False, highlight=False
                )
                self._update(event.message)
            case "poll":
                self._polls += 1
                wait = event.data.get("next")
                suffix = f", next look in {wait:.0f}s" if isinstance(wait, float) else ""
                self._update(f"{event.message} (poll {event.data.get('polls', self._polls)}{suffix})")
            case "download":
                self._update(download_text(event.data))
            case "warning":
                self.console.print(
                    f"{self.prefix}warning: {event.message}",
                    style="yellow",
                    markup=False,
                    highlight=False,
                )
            case "upload" | "retry" | "note":
                self.console.print(f"{self.prefix}{event.message}", highlight=False, markup=False)


def progress_for(stream: TextIO | None = None) -> PlainProgress | TerminalProgress:
    """A live display when the stream is a terminal, plain lines when it is not."""
    stream = stream or sys.stderr
    if stream.isatty():
        return TerminalProgress(Console(file=stream))
    return PlainProgress(stream)
