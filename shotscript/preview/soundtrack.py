"""The preview's sound: silence with a soft short tone at every cut, as mono float PCM."""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterable, Iterator

SAMPLE_RATE = 48_000
FRAME_SAMPLES = 1024  # what the AAC encoder takes per frame
TONE_HZ = 660.0
TONE_SECONDS = 0.12
TONE_LEVEL = 0.05  # about -26 dBFS: audible in a quiet room, never startling


def tone() -> array[float]:
    """One cut marker: a sine with a raised-cosine envelope (no clicks at either end)."""
    n = round(TONE_SECONDS * SAMPLE_RATE)
    return array(
        "f",
        (
            TONE_LEVEL
            * 0.5
            * (1 - math.cos(2 * math.pi * i / (n - 1)))
            * math.sin(2 * math.pi * TONE_HZ * i / SAMPLE_RATE)
            for i in range(n)
        ),
    )


def soundtrack(duration: int, cuts: Iterable[int]) -> array[float]:
    """`duration` seconds of samples: silence, and a tone starting at each cut (in seconds)."""
    samples = array("f", bytes(4 * duration * SAMPLE_RATE))
    marker = tone()
    for cut in cuts:
        start = cut * SAMPLE_RATE
        end = min(start + len(marker), len(samples))
        if 0 <= start < end:
            samples[start:end] = marker[: end - start]
    return samples


def chunks(samples: array[float]) -> Iterator[tuple[int, bytes]]:
    """(first sample, raw float32 bytes) of each encoder-sized frame; the last may be shorter."""
    for start in range(0, len(samples), FRAME_SAMPLES):
        yield start, samples[start : start + FRAME_SAMPLES].tobytes()
