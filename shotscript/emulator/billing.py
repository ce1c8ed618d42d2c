"""The `usage` block of a SUCCEEDED task, by the facts package's billing rule (never a copy)."""

from __future__ import annotations

from typing import Any

from shotscript.emulator.create_request import CreateRequest
from shotscript.facts.billing import billed_input_seconds
from shotscript.facts.capabilities import capabilities


def input_video_seconds(request: CreateRequest, lengths: list[float | None]) -> float:
    """Billed input seconds of the request's reference videos (`lengths` in order, None when
    unknown: an http URL the emulator never fetches counts its whole share)."""
    protocol = capabilities().protocol_of(request.model)
    images = len(request.of_kind("image"))  # reference images; first frames never count
    return float(round(billed_input_seconds(lengths, images, protocol), 3))


def usage(request: CreateRequest, lengths: list[float | None]) -> dict[str, Any]:
    """`usage` as the poll answer carries it (failed tasks cost nothing and carry none):
    2.6 reports `size`, 2.7 `ratio` (the output's, after a first frame) instead."""
    input_seconds = input_video_seconds(request, lengths)
    tier = request.resolution or capabilities().tier_of(request.size, request.model) or ""
    block: dict[str, Any] = {
        "duration": float(input_seconds + request.duration),  # billed seconds: input + output
        "input_video_duration": input_seconds,
        "output_video_duration": request.duration,
    }
    if request.protocol == "2.7":
        block["ratio"] = request.ratio
    else:
        block["size"] = request.size
    block["SR"] = int(tier.rstrip("P")) if tier else None
    block["video_count"] = 1
    return block
