"""Billed input seconds of a story's reference videos (the rule lives in facts/billing.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from shotscript.compiler.payload import Payload
from shotscript.facts import billing
from shotscript.facts.capabilities import capabilities
from shotscript.facts.prices import price


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


def payload_input_seconds(payload: Payload, lengths: Sequence[float | None]) -> float:
    """Input-video seconds of a compiled story, `lengths` one per reference video (None: unknown)."""
    return billed_input_seconds(lengths, len(payload.meta.references), model=payload.model)


def payload_prices(payload: Payload) -> dict[str, float | None]:
    """Price per billed second of a compiled story in each region serving its model (None: unknown)."""
    caps = capabilities()
    regions = [r for r, reg in caps.regions.items() if payload.model in reg.models]
    return {r: price(payload.model, r, payload.meta.tier, payload.meta.audio) for r in regions}
