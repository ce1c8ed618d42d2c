"""Showing a batch as it runs: a live board on a terminal, plain log lines everywhere else.

Each story gets one line, its outcome (the board shows the states in between); what the
service refused or dropped and the client retried is counted on the board and in the
totals lines, not printed one line each.
"""

from __future__ import annotations

import re
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, TextIO

from shotscript.batch import constants as C
from shotscript.batch.scheduler import eta_seconds

if TYPE_CHECKING:  # rich (~25 ms to load) only for the live board, on a terminal
    from rich.console import Console, Group
    from rich.table import Table
    from rich.text import Text

_STYLE = {
    "done": "green",
    "failed": "red",
    "needs-attention": "yellow",
    "running": "cyan",
    "submitted": "cyan",
    "downloading": "blue",
}


# Messages of the runtime that report a fault it recovers from by itself (client retries,
# resumed downloads, a poll that failed, a create whose outcome is being checked).
_RETRY = re.compile(r"^\w+: (?P<what>.*); retry \d+ in [\d.]+s$")
_RESUMED = re.compile(r"^download .* resuming$")
_RECOVERED = re.compile(r"^(?:create outcome unknown|poll failed) \((?P<what>.*)\); (?:checking|polling on)$")
_STATUS = re.compile(r"\b([45]\d\d)\b")


def fault_of(text: str) -> str | None:
    """The kind of fault a runtime message reports (`429`, `500`, `dropped`, `cut download`),
    or None for a message that is not about a fault."""
    if _RESUMED.match(text):
        return "cut download"
    match = _RETRY.match(text) or _RECOVERED.match(text)
    if match is None:
        return None
    what = match.group("what")
    if "no answer" in what:
        return "dropped"
    status = _STATUS.search(what)
    return status.group(1) if status else "other"


def faults_text(faults: Counter[str]) -> str:
    """`retried: 12 × 429, 3 × 500, 1 dropped` (most frequent first); empty without faults."""
    if not faults:
        return ""
    parts = [f"{n} {kind}" if not kind[0].isdigit() else f"{n} × {kind}" for kind, n in faults.most_common()]
    return "retried: " + ", ".join(parts)


def clock_text(seconds: float | None) -> str:
    """`42s`, `3m05s`, `1h02m`; `?` when unknown."""
    if seconds is None:
        return "?"
    s = round(seconds)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{s % 3600 // 60:02d}m"


@dataclass
class Tally:
    """Counts of a batch in progress, and what the ETA is computed from."""

    total: int = 0
    concurrency: int = 1
    done: int = 0
    failed: int = 0
    attention: int = 0
    skipped: int = 0
    active: dict[str, tuple[str, float]] = field(default_factory=dict)  # key -> (state, started)
    faults: Counter[str] = field(default_factory=Counter)  # faults the runtime recovered from
    _seconds: float = 0.0
    _finished: int = 0
    started: float = field(default_factory=time.monotonic)

    @property
    def remaining(self) -> int:
        """Stories not finished and not started."""
        return max(0, self.total - self.done - self.failed - self.attention - self.skipped - len(self.active))

    def finish(self, key: str, state: str) -> None:
        """Count a story that ended in `state`."""
        _, began = self.active.pop(key, ("", time.monotonic()))
        self._seconds += time.monotonic() - began
        self._finished += 1
        if state == "done":
            self.done += 1
        elif state == "needs-attention":
            self.attention += 1
        else:
            self.failed += 1

    def eta(self) -> float | None:
        """Seconds left, from the mean time a story took so far."""
        mean = self._seconds / self._finished if self._finished else None
        return eta_seconds(
            remaining=self.remaining, in_flight=len(self.active), concurrency=self.concurrency,
            mean_story_seconds=mean,
        )  # fmt: skip

    def line(self) -> str:
        """`12/50 done · 1 failed · 5 active · 32 queued · 3m10s elapsed · ETA 4m00s`."""
        parts = [f"{self.done + self.skipped}/{self.total} done"]
        if self.skipped:
            parts[0] += f" ({self.skipped} earlier)"
        if self.failed:
            parts.append(f"{self.failed} failed")
        if self.attention:
            parts.append(f"{self.attention} need attention")
        parts += [f"{len(self.active)} active", f"{self.remaining} queued"]
        parts.append(f"{clock_text(time.monotonic() - self.started)} elapsed")
        if self.active or self.remaining:
            parts.append(f"ETA {clock_text(self.eta())}")
        if self.faults:
            parts.append(faults_text(self.faults))
        return " · ".join(parts)


class Display(Protocol):
    """What the runner tells the user about."""

    tally: Tally

    def __enter__(self) -> Display: ...
    def __exit__(self, *exc: object) -> None: ...
    def state(self, key: str, state: str) -> None:
        """A story entered a state."""

    def message(self, key: str, text: str, *, warning: bool = False) -> None:
        """Something about a story worth a line."""

    def finished(self, key: str, state: str, reason: str | None = None) -> None:
        """A story ended (done, failed, needs-attention)."""


class PlainDisplay:
    """Timestamped lines: each story's outcome, warnings, and the totals now and then."""

    def __init__(self, stream: TextIO, tally: Tally) -> None:
        self.stream = stream
        self.tally = tally
        self._last_totals = time.monotonic()

    def __enter__(self) -> PlainDisplay:
        self._print(f"batch: {self.tally.line()}")
        return self

    def __exit__(self, *exc: object) -> None:
        self.stream.flush()

    def _print(self, text: str) -> None:
        print(f"{time.strftime('%H:%M:%S')} {text}", file=self.stream, flush=True)

    def _totals(self, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self._last_totals >= C.PLAIN_TOTALS_EVERY:
            self._last_totals = now
            self._print(f"batch: {self.tally.line()}")

    def state(self, key: str, state: str) -> None:
        """Kept for the totals (a log line per state would bury the outcomes)."""
        if state in ("done", "failed", "needs-attention"):
            return
        _, began = self.tally.active.get(key, ("", time.monotonic()))
        self.tally.active[key] = (state, began)
        self._totals()

    def message(self, key: str, text: str, *, warning: bool = False) -> None:
        """A line, marked when it is a warning; a fault the runtime recovers from is counted."""
        fault = fault_of(text)
        if fault is not None:
            self.tally.faults[fault] += 1
            self._totals()
            return
        self._print(f"{key}: {'warning: ' if warning else ''}{text}")

    def finished(self, key: str, state: str, reason: str | None = None) -> None:
        """The outcome, with the reason of a failure, and the totals."""
        self.tally.finish(key, state)
        self._print(f"{key}: {state}" + (f" — {reason}" if reason else ""))
        self._totals(force=True)


class TerminalDisplay:
    """A live board: one line per active story (state, elapsed), then the totals and ETA."""

    def __init__(self, console: Console, tally: Tally) -> None:
        from rich.live import Live

        self.console = console
        self.tally = tally
        self._live = Live(console=console, refresh_per_second=C.REFRESH_PER_SECOND, transient=True,
                          get_renderable=self.board)  # fmt: skip

    def __enter__(self) -> TerminalDisplay:
        self._live.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._live.stop()

    def board(self) -> Group:
        """The board as it is now: a line per active story, then the totals."""
        from rich.console import Group
        from rich.table import Table
        from rich.text import Text

        table = Table.grid(padding=(0, 2))
        now = time.monotonic()
        for key, (state, began) in list(self.tally.active.items())[: C.SUMMARY_ROWS_MAX]:
            table.add_row(Text(key), Text(state, style=_STYLE.get(state, "")), Text(clock_text(now - began)))
        hidden = len(self.tally.active) - C.SUMMARY_ROWS_MAX
        rows: list[Table | Text] = [table]
        if hidden > 0:
            rows.append(Text(f"… and {hidden} more", style="dim"))
        rows.append(Text(self.tally.line(), style="bold"))
        return Group(*rows)

    def state(self, key: str, state: str) -> None:
        """Update the story's line."""
        if state in ("done", "failed", "needs-attention"):
            return  # `finished` prints the outcome and drops the line
        _, began = self.tally.active.get(key, ("", time.monotonic()))
        self.tally.active[key] = (state, began)

    def message(self, key: str, text: str, *, warning: bool = False) -> None:
        """Print above the board; a fault the runtime recovers from is counted on the board."""
        fault = fault_of(text)
        if fault is not None:
            self.tally.faults[fault] += 1
            return
        from rich.text import Text

        style = "yellow" if warning else "dim"
        prefix = "warning: " if warning else ""
        self.console.print(Text(f"{key}: {prefix}{text}", style=style))

    def finished(self, key: str, state: str, reason: str | None = None) -> None:
        """Print the outcome above the board and drop the story's line."""
        from rich.text import Text

        self.tally.finish(key, state)
        line = Text(f"{key}: {state}" + (f" — {reason}" if reason else ""), style=_STYLE.get(state, ""))
        self.console.print(line)


def display_for(stream: TextIO | None, tally: Tally) -> PlainDisplay | TerminalDisplay:
    """A live board when the stream is a terminal, plain lines when it is not."""
    stream = stream or sys.stderr
    if stream.isatty():
        from rich.console import Console

        return TerminalDisplay(Console(file=stream), tally)
    return PlainDisplay(stream, tally)
