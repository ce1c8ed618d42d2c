"""The input-video billing rule, once, for every protocol (its numbers are in capabilities.toml).

Billed seconds = billed input-video seconds + output seconds. Each reference video counts
min(its length, budget / divisor), summed; the divisor is every reference (images and videos)
under 2.6 and the reference videos only under 2.7 (first frames and images are free).
"""

from __future__ import annotations

from collections.abc import Sequence

from shotscript.facts.capabilities import Protocol, capabilities


def input_video_cap(protocol: Protocol, videos: int, images: int) -> float:
    """The most one reference video can add to the bill (seconds)."""
    if videos <= 0:
        return 0.0
    divisor = videos if protocol.input_video_divisor == "videos" else videos + images
    return protocol.input_video_budget_seconds / divisor


def billed_input_seconds(
    lengths: Sequence[float | None], images: int, protocol: Protocol | None = None
) -> float:
    """Sum over reference videos of min(length, cap); an unknown length (None) counts the cap."""
    p = protocol or capabilities().default_protocol
    cap = input_video_cap(p, len(lengths), images)
    return sum(cap if d is None else min(max(d, 0.0), cap) for d in lengths)
