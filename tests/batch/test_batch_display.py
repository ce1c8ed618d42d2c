"""What a batch shows while it runs: plain lines for logs, a live board on a terminal."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from shotscript.batch.display import PlainDisplay, Tally, TerminalDisplay, clock_text, display_for, fault_of

CLOCK = [(None, "?"), (0, "0s"), (59.4, "59s"), (61, "1m01s"), (3725, "1h02m")]


def test_clock_text() -> None:
    for seconds, text in CLOCK:
        assert clock_text(seconds) == text


def test_plain_lines_each_story_once_faults_counted() -> None:
    """Piped output: a line per story (its outcome), warnings, totals; no line per state
    ("starting" then "queued" said nothing), none per fault the runtime recovered from
    (the doubled "poll: poll: …" and "retry 1 in 0.0s" were such lines): counts instead."""
    stream = io.StringIO()
    tally = Tally(total=3, concurrency=2)
    with PlainDisplay(stream, tally) as display:
        for state in ("starting", "queued", "submitting", "submitted", "running", "downloading"):
            display.state("a", state)
        display.finished("a", "done")
        display.state("b", "starting")
        display.state("b", "submitted")
        for fault in FAULT_MESSAGES:
            display.message("b", fault, warning=fault.startswith(("create outcome", "poll failed")))
        display.message("b", "the story changed", warning=True)
        display.finished("b", "failed", "task t1 failed: InternalError")
    lines = [line.split(" ", 1)[1] for line in stream.getvalue().splitlines()]
    assert lines[0].startswith("batch: 0/3 done")
    assert [line for line in lines if not line.startswith("batch:")] == [
        "a: done",
        "b: warning: the story changed",
        "b: failed — task t1 failed: InternalError",
    ]
    assert lines[-1].startswith("batch: 1/3 done · 1 failed · 0 active · 1 queued")
    assert lines[-1].endswith("retried: 3 × 429, 2 × 500, 2 dropped, 1 cut download")
    assert tally.done == 1 and tally.failed == 1 and not tally.active


FAULT_MESSAGES = [
    "poll: 429 Throttling: Requests throttling triggered.; retry 1 in 0.0s",
    "create: 429 Throttling: Requests throttling triggered.; retry 2 in 0.0s",
    "create: 429 Throttling.RateQuota: Requests rate limit exceeded.; retry 1 in 1.0s",
    "poll: 500 InternalError: An internal error has occured.; retry 1 in 0.5s",
    "poll: poll: no answer from the API (ReadError); retry 1 in 0.0s",
    "create outcome unknown (500 InternalError: An internal error has occured.); checking",
    "poll failed (poll: no answer from the API (RemoteProtocolError)); polling on",
    "download RemoteProtocolError at 5868 bytes; resuming",
]


@pytest.mark.parametrize(
    ("text", "fault"),
    [*zip(FAULT_MESSAGES, ["429", "429", "429", "500", "dropped", "500", "dropped", "cut download"],
          strict=True),
     ("task 1 submitted", None), ("resuming task t1", None), ("the story changed", None),
     ("same request as a: its video, no second task", None)],
)  # fmt: skip
def test_fault_of(text: str, fault: str | None) -> None:
    assert fault_of(text) == fault


def test_the_live_board_on_a_terminal() -> None:
    stream = io.StringIO()
    console = Console(file=stream, force_terminal=True, width=100, color_system=None)
    tally = Tally(total=2, concurrency=2, skipped=1)
    with TerminalDisplay(console, tally) as display:
        display.state("seed/pet", "running")
        snapshot = Console(file=io.StringIO(), width=100, color_system=None)
        snapshot.print(display.board())
        board = snapshot.file.getvalue()  # type: ignore[attr-defined]
        assert "seed/pet" in board and "running" in board and "1/2 done (1 earlier)" in board
        display.message("seed/pet", FAULT_MESSAGES[0])
        assert "retried: 1 × 429" in tally.line()
        display.finished("seed/pet", "done")
    assert "seed/pet: done" in stream.getvalue() and "Throttling" not in stream.getvalue()
    assert tally.line().startswith("2/2 done (1 earlier)") and not tally.active
    assert isinstance(display_for(io.StringIO(), Tally()), PlainDisplay)
