"""Preview render speed: wall seconds per second of 1080P animatic, and the real-time factor.

Run: .venv/bin/python benchmarks/preview.py [--runs N]
Renders the pet seed story (1920*1080, 10 s, 5 shots) and its portrait twin (1080*1920,
whose rows are padded in memory). Prints figures; asserts nothing (the aim, faster than real
time on 2 cores, lives here, not in the tests).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STORY = ROOT / "stories" / "seed" / "pet.shot"


def render_times(size: str, runs: int) -> tuple[int, list[float], list[float], list[float]]:
    """(video seconds, wall and CPU seconds of each render, of each card-drawing pass) at `size`."""
    import shotscript
    from shotscript.preview import render_animatic
    from shotscript.preview.animatic import _cast
    from shotscript.preview.cards import CardPainter
    from shotscript.preview.fonts import system_fonts
    from shotscript.preview.layout import layout_for, parse_size

    payload = shotscript.load(STORY).compile()
    payload = payload.model_copy(update={"meta": payload.meta.model_copy(update={"size": size})})
    renders, cpus, cards = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        render_animatic(payload, Path(tmp) / "warm.mp4")  # fonts, codecs, thumbnails
        for i in range(runs):
            start, cpu = time.perf_counter(), time.process_time()
            render_animatic(payload, Path(tmp) / f"run{i}.mp4")
            renders.append(time.perf_counter() - start)
            cpus.append(time.process_time() - cpu)  # both cores' work: steadier on a busy machine
            painter = CardPainter(
                payload, layout_for(*parse_size(size)), system_fonts(), _cast(payload, None)
            )
            start = time.perf_counter()
            for shot in payload.meta.shots:
                painter.card(shot)
            cards.append(time.perf_counter() - start)
    return payload.duration, renders, cpus, cards


def main() -> None:
    """Print the figures."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=3, help="renders per size (median reported)")
    args = ap.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    for size in ("1920*1080", "1080*1920"):
        seconds, renders, cpus, cards = render_times(size, args.runs)
        wall = statistics.median(renders)
        print(
            f"{size} ({seconds} s, {seconds * 30} frames): median {wall:.2f} s wall "
            f"(min {min(renders):.2f}) = {wall / seconds:.3f} s per second of video, "
            f"{seconds / wall:.1f}x real time; CPU {statistics.median(cpus):.2f} s (all threads); "
            f"drawing the cards {statistics.median(cards):.2f} s"
        )


if __name__ == "__main__":
    main()
