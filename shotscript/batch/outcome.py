"""What a render returns: each story's result, and the one table of exit statuses."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path
from typing import Any

from shotscript.runtime.record import LIVE_STATES, State


class Exit(IntEnum):
    """The exit statuses of `shotscript render` (and of every command that shares them)."""

    OK = 0  # every story is done (warnings allowed)
    FAILED = 1  # a story failed, does not compile, or could not finish; or the run was refused
    USAGE = 2  # a wrong flag, no story files, a bad [render] table
    ATTENTION = 3  # a create's outcome is unknown: the hint says what to run
    RETRY_LATER = 75  # the service asked to wait longer than retry_after_max (EX_TEMPFAIL)
    INTERRUPTED = 130  # Ctrl-C: everything is recorded; the same command resumes
    TERMINATED = 143  # SIGTERM: likewise


EXIT_MEANINGS: dict[Exit, str] = {
    Exit.OK: "every story is done",
    Exit.FAILED: "a story failed or could not finish (its reason is in the summary), or nothing was sent",
    Exit.USAGE: "a usage error: flags, paths, the [render] table",
    Exit.ATTENTION: "a story needs attention: a task may exist that cannot be shown to be ours",
    Exit.RETRY_LATER: "the service asked to wait longer than shotscript waits: run it again later",
    Exit.INTERRUPTED: "interrupted (Ctrl-C): run the same command again to resume",
    Exit.TERMINATED: "terminated (SIGTERM): run the same command again to resume",
}


def exit_for(counts: Mapping[str, int], stopped: Iterable[str | None] = ()) -> Exit:
    """The status of a finished run from how many of its stories are in each state; `stopped`
    holds the error kinds of the stories that did not finish."""
    unfinished = ("queued", "uploading", *LIVE_STATES)
    if counts.get("failed") or any(counts.get(s) for s in unfinished):
        kinds = set(stopped)
        return Exit.RETRY_LATER if kinds == {"retry_later"} else Exit.FAILED
    return Exit.ATTENTION if counts.get("needs-attention") else Exit.OK


@dataclass(frozen=True)
class StoryResult:
    """One story of a render, as it stands when the render returns."""

    key: str
    story: Path
    state: State
    video: Path | None  # the video in the output folder, when it is there
    task_id: str | None
    billed_seconds: float | None
    cost: float | None
    currency: str | None
    error: dict[str, Any] | None = None
    skipped: bool = False  # nothing to do: its video was already there
    note: str | None = None  # how it got there, when not by a task of its own (a copy, the ledger)

    @property
    def reason(self) -> str | None:
        """Why it failed or needs attention, one line (with the hint)."""
        if not self.error:
            return None
        text = str(self.error.get("message") or self.error.get("kind") or "failed")
        hint = self.error.get("hint")
        return f"{text} (hint: {hint})" if hint else text

    def to_json(self) -> dict[str, Any]:
        """As `render --json` prints it: one object per story."""
        return {
            "key": self.key,
            "story": str(self.story),
            "state": self.state,
            "task_id": self.task_id,
            "video": str(self.video) if self.video else None,
            "billed_seconds": self.billed_seconds,
            "cost": self.cost,
            "currency": self.currency,
            "skipped": self.skipped,
            "note": self.note,
            "error": self.error,
        }


@dataclass(frozen=True)
class RenderOutcome:
    """A whole render: its exit status, each story's result, where the journal and report are."""

    code: Exit
    results: list[StoryResult] = field(default_factory=list)
    journal: Path | None = None
    report: Path | None = None
    message: str | None = None  # said once at the end (an interruption, a dry run)

    def __iter__(self) -> Iterator[StoryResult]:
        return iter(self.results)

    def __len__(self) -> int:
        return len(self.results)
