"""Compile speed: in-process throughput for a 4-shot story, and `shotscript compile` cold start.

Run: .venv/bin/python benchmarks/compile.py [--seconds S] [--runs N]
Prints figures; asserts nothing (speed targets live here, not in the tests).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STORY = ROOT / "stories" / "seed" / "smartwatch.shot"  # 4 shots, one reference


def throughput(seconds: float) -> tuple[float, float]:
    """Stories per second: (text → checked payload, parsed story → payload)."""
    from shotscript.compiler.driver import check_text, compile_story

    text = STORY.read_text("utf-8")
    check_text(text, STORY)  # warm: grammar, templates, capability data

    def rate(fn: object) -> float:
        n, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            for _ in range(100):
                fn()  # type: ignore[operator]
            n += 100
        return n / (time.perf_counter() - start)

    story = check_text(text, STORY).story
    assert story is not None
    return rate(lambda: check_text(text, STORY)), rate(lambda: compile_story(story))


def cold_start(runs: int) -> list[float]:
    """Wall seconds of `shotscript compile STORY` as a new process, `runs` times."""
    exe = shutil.which("shotscript", path=str(Path(sys.executable).parent)) or "shotscript"
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([exe, "compile", str(STORY)], check=True, stdout=subprocess.DEVNULL)
        out.append(time.perf_counter() - start)
    return out


def main() -> None:
    """Print the figures."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seconds", type=float, default=3.0, help="time per throughput figure")
    ap.add_argument("--runs", type=int, default=15, help="cold-start runs")
    args = ap.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    full, compile_only = throughput(args.seconds)
    print(f"load+check+compile (text -> payload): {full:8.0f} stories/s ({1e6 / full:.0f} us each)")
    print(f"check+compile (parsed story -> payload): {compile_only:5.0f} stories/s "
          f"({1e6 / compile_only:.0f} us each)")
    cold = cold_start(args.runs)
    print(f"cold start `shotscript compile` ({args.runs} runs): median "
          f"{statistics.median(cold) * 1000:.0f} ms, min {min(cold) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
