"""Lays shots out on the timeline: explicit ranges, lengths, and untimed shots sharing the rest."""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass

from shotscript.compiler.ast import Shot, Span
from shotscript.compiler.diagnostics import Sink


@dataclass(frozen=True)
class Slot:
    """Where one shot lies, in whole seconds."""

    start: int
    end: int
    span: Span


def _whole(value: float, what: str, span: Span, sink: Sink) -> int:
    if not float(value).is_integer():
        sink.add("E202", span, what=what, value=f"{value:g}")
        return round(value)
    return int(value)


def effective_duration(shots: tuple[Shot, ...], duration: int | None, default: int) -> int:
    """The duration set, else the end of the last shot when every shot is timed, else default."""
    if duration is not None:
        return duration
    if shots and all(s.timing is not None for s in shots):
        t, end = None, 0
        for s in shots:
            t = s.timing
            assert t is not None
            end = round(t.end) if t.end is not None else end + round(t.length or 0)
        return end
    return default


def lay_out(shots: tuple[Shot, ...], duration: int, sink: Sink) -> list[Slot] | None:
    """Each shot's slot; reports times that are not whole seconds or leave untimed shots no time.

    Untimed shots share the seconds between the fixed points around them (the previous
    range's end or 0, the next range's start or the duration), after lengths are taken;
    earlier shots get the spare seconds.
    """
    starts: list[int | None] = []
    ends: list[int | None] = []
    lengths: list[int | None] = []
    for s in shots:
        t = s.timing
        if t is None:
            starts.append(None)
            ends.append(None)
            lengths.append(None)
        elif t.length is not None:
            starts.append(None)
            ends.append(None)
            lengths.append(_whole(t.length, "a shot's length", t.span, sink))
        else:
            assert t.start is not None and t.end is not None
            a = _whole(t.start, "a shot's start", t.span, sink)
            b = _whole(t.end, "a shot's end", t.span, sink)
            starts.append(a)
            ends.append(b)
            lengths.append(b - a)
    ok = True
    i = 0
    n = len(shots)
    while i < n:
        if starts[i] is not None:
            i += 1
            continue
        # A run of length-form and untimed shots, between two fixed points.
        j = i
        while j < n and starts[j] is None:
            j += 1
        left = ends[i - 1] if i > 0 else 0
        right = starts[j] if j < n else duration
        assert left is not None and right is not None
        untimed = [k for k in range(i, j) if lengths[k] is None]
        if untimed:
            spare = right - left - sum(lengths[k] or 0 for k in range(i, j))  # untimed: None
            if spare < len(untimed):
                sink.add("E208", shots[untimed[0]].span, count=len(untimed), seconds=max(spare, 0),
                         help="shorten the timed shots or raise `duration`")
                ok = False
                spare = len(untimed)
            base, extra = divmod(spare, len(untimed))
            for rank, k in enumerate(untimed):
                lengths[k] = base + (1 if rank < extra else 0)
        at = left
        for k in range(i, j):
            starts[k], ends[k] = at, at + (lengths[k] or 0)
            at = ends[k]  # type: ignore[assignment]
        i = j
    slots = [Slot(a, b, s.span) for a, b, s in zip(starts, ends, shots, strict=True)]  # type: ignore[arg-type]
    return slots if ok else None


def check_slots(slots: list[Slot], duration: int, sink: Sink, shots: tuple[Shot, ...],
                allowed: Container[int] | None = None) -> None:
    """Start at 0, no gaps, no overlaps, at least a second each, end where the video ends.

    `allowed` (the durations the target accepts, when known) keeps the help from offering a
    duration that is refused in turn."""
    for k, (slot, shot) in enumerate(zip(slots, shots, strict=True)):
        where = shot.timing.span if shot.timing else shot.span
        if k == 0 and slot.start != 0:
            sink.add("E203", where, start=slot.start, help="start the first shot at 0: `0-…s`")
        if k > 0:
            prev = slots[k - 1]
            if slot.start > prev.end:
                sink.add("E204", where, seconds=slot.start - prev.end, index=k + 1,
                         prev_end=prev.end, start=slot.start,
                         help=f"start shot {k + 1} at {prev.end} s")
            elif slot.start < prev.end:
                sink.add("E205", where, index=k + 1, start=slot.start, prev=k,
                         prev_end=prev.end, help=f"start shot {k + 1} at {prev.end} s")
        if slot.end - slot.start < 1:
            sink.add("E206", where, index=k + 1, seconds=slot.end - slot.start)
    if slots and slots[-1].end != duration:
        last = shots[-1]
        end = slots[-1].end
        fixes = [f for n, f in ((duration, f"end the last shot at {duration} s"),
                                 (end, f"set `duration {end}`")) if allowed is None or n in allowed]
        sink.add("E207", last.timing.span if last.timing else last.span, end=end,
                 duration=duration, help=" or ".join(fixes) or None)
