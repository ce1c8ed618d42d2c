"""Billed input seconds: what the reference videos add to the bill (rule from the API reference)."""

from __future__ import annotations

from collections.abc import Sequence

from shotscript.compiler.capabilities import capabilities


def billed_input_seconds(
    durations: Sequence[float | None],
    n_references: int,
    budget: float | None = None,
) -> float:
    """Sum over reference videos of min(length, budget / references); unknown length = the cap."""
    if not durations:
        return 0.0
    if budget is None:
        budget = float(capabilities().billing["input_video_budget_seconds"])  # type: ignore[arg-type]
    # Images count towards the number of references, so the divisor is never below the videos.
    cap = budget / max(n_references, len(durations))
    # An unknown length (remote video not probed) is billed as the worst case: the cap.
    return sum(cap if d is None else min(max(d, 0.0), cap) for d in durations)
