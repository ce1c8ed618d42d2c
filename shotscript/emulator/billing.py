"""The `usage` block of a SUCCEEDED task, computed by the billing rules of the API doc."""

from __future__ import annotations

from typing import Any

from shotscript.emulator.validate import CreateRequest
from shotscript.facts.capabilities import capabilities


def input_video_seconds(request: CreateRequest, lengths: list[float | None]) -> float:
    """Billed input seconds: each video counts min(its length, budget / number of references).

    `lengths` gives each video reference's length in order, None when unknown (an http URL
    the emulator never fetches): an unknown video is taken to fill its share of the budget.
    """
    budget = float(capabilities().billing["input_video_budget_seconds"])  # type: ignore[arg-type]
    share = budget / len(request.references)
    return round(sum(share if n is None else min(n, share) for n in lengths), 3)


def usage(request: CreateRequest, lengths: list[float | None]) -> dict[str, Any]:
    """`usage` as the poll answer carries it (failed tasks cost nothing and carry none)."""
    tier = capabilities().tier_of(request.size) or ""
    input_seconds = input_video_seconds(request, lengths)
    return {
        "duration": float(input_seconds + request.duration),  # billed seconds: input + output
        "input_video_duration": input_seconds,
        "output_video_duration": request.duration,
        "size": request.size,
        "SR": int(tier.rstrip("P")) if tier else None,
        "video_count": 1,
    }
