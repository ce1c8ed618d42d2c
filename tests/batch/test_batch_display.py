"""What a batch shows while it runs: plain lines for logs, a live board on a terminal."""

from __future__ import annotations

import io

from rich.console import Console

from shotscript.batch.display import PlainDisplay, Tally, TerminalDisplay, clock_text, display_for

CLOCK = [(None, "?"), (0, "0s"), (59.4, "59s"), (61, "1m01s"), (3725, "1h02m")]


def test_clock_text() -> None:
    for seconds, text in CLOCK:
        assert clock_text(seconds) == text


def test_plain_lines_one_per_change_then_the_outcome_and_totals() -> None:
    stream = io.StringIO()
    tally = Tally(total=3, concurrency=2)
    with PlainDisplay(stream, tally) as display:
        display.state("a", "submitting")
        display.state("a", "submitting")  # no news: no line
        display.state("a", "running")
        display.state("a", "done")  # the outcome gets its own line from `finished`
        display.finished("a", "done")
        display.state("b", "submitted")
        display.message("b", "poll: 429 Throttling; retry 1 in 1.0s")
        display.message("b", "the story changed", warning=True)
        display.finished("b", "failed", "task t1 failed: InternalError")
    lines = [line.split(" ", 1)[1] for line in stream.getvalue().splitlines()]
    assert lines[0].startswith("batch: 0/3 done")
    assert [line for line in lines if not line.startswith("batch:")] == [
        "a: submitting",
        "a: running",
        "a: done",
        "b: submitted",
        "b: poll: 429 Throttling; retry 1 in 1.0s",
        "b: warning: the story changed",
        "b: failed — task t1 failed: InternalError",
    ]
    assert lines[-1].startswith("batch: 1/3 done · 1 failed · 0 active · 1 queued")
    assert tally.done == 1 and tally.failed == 1 and not tally.active


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
        display.finished("seed/pet", "done")
    assert "seed/pet: done" in stream.getvalue()
    assert tally.line().startswith("2/2 done (1 earlier)") and not tally.active
    assert isinstance(display_for(io.StringIO(), Tally()), PlainDisplay)
