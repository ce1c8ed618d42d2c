"""Billed input seconds of a story's reference videos (the rule lives in facts/billing.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from shotscript.facts import billing
from shotscript.facts.capabilities import capabilities


def billed_input_seconds(
    durations: Sequence[float | None],
    n_references: int,
    budget: float | None = None,
    *,
    model: str | None = None,
) -> float:
    """Input-video seconds of `durations` (None: unknown, billed at the cap) among
    `n_references` references, by the rule of `model`'s protocol (default model: 2.6)."""
    if not durations:
        return 0.0
    caps = capabilities()
    protocol = caps.protocol_of(model) if model else caps.default_protocol
    if budget is not None:
        protocol = replace(protocol, input_video_budget_seconds=budget)
    # Images count towards the number of references, so never fewer than the videos.
    images = max(n_references - len(durations), 0)
    return billing.billed_input_seconds(durations, images, protocol)
