"""Render against the emulator: polls per task, and time from task completion to file on disk.

Run: .venv/bin/python benchmarks/render.py [--runs N] [--job-seconds S] [--scale X] [STORY]

The emulator runs as a real process on 127.0.0.1 with a fixed generation time of
S × X wall seconds; the poll schedule is scaled by the same X, so the number of polls is
what a job of S seconds costs against the real service, in X of the time. Completion to
disk is split into detection (task end on the server until a poll sees it: scaled, shown
also in real-service seconds) and fetch (download, MP4 check, rename: not scaled).
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # for tests.emulator_process, the one way to start the emulator

from shotscript.runtime.poll_schedule import PollSchedule, waits_until  # noqa: E402

STORY = ROOT / "stories" / "seed" / "smartwatch.shot"
KEY = "sk-benchmark-not-a-real-key"


def sdk_polls(job_seconds: float) -> int:
    """Polls the official SDK's wait() makes for a job: 1 s, doubling every third poll, 5 s cap."""
    elapsed, polls, wait = 0.0, 0, 1.0
    while elapsed < job_seconds:
        polls += 1
        elapsed += wait
        if polls % 3 == 0:
            wait = min(wait * 2, 5.0)
    return polls + 1  # the poll that sees the end


async def one_run(base_url: str, story: Path, out: Path, scale: float) -> dict[str, float]:
    """Render the story once; return polls and the completion-to-disk split."""
    import shotscript
    from shotscript.runtime.backend import DashScopeBackend
    from shotscript.runtime.client import parse_api_time
    from shotscript.runtime.events import Collect
    from shotscript.runtime.record import MemoryRecordStore
    from shotscript.runtime.settings import settings_from_env

    payload = shotscript.load(story).compile()
    env = {**os.environ, "DASHSCOPE_API_KEY": KEY, "DASHSCOPE_HTTP_BASE_URL": base_url}
    settings = settings_from_env(payload.meta.region, environ=env, poll_scale=scale)
    backend = DashScopeBackend(settings, store=MemoryRecordStore())
    result = await backend.render(payload, out / f"{story.stem}.mp4", Collect())
    import json

    sidecar = json.loads(result.sidecar.read_text("utf-8"))
    ended = parse_api_time(sidecar["service_times"]["end_time"])
    assert ended is not None
    seen, on_disk = result.timings["succeeded"], result.timings["downloaded"]
    return {
        "polls": float(result.polls),
        "to_disk": on_disk - ended,
        "detect": seen - ended,
        "fetch": on_disk - seen,
        "bytes": float(sidecar["output"]["bytes"]),
    }


def main() -> None:
    """Start the emulator, render `--runs` times, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("story", nargs="?", type=Path, default=STORY)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--job-seconds", type=float, default=120.0, help="simulated job length")
    parser.add_argument("--scale", type=float, default=0.025, help="wall seconds per job second")
    args = parser.parse_args()

    from tests.emulator_process import start_emulator

    gen = args.job_seconds * args.scale
    rows = []
    with (
        start_emulator("--gen-seconds", f"{gen:g}") as emu,
        tempfile.TemporaryDirectory() as tmp,
    ):
        os.environ["SHOTSCRIPT_HOME"] = tmp  # a private upload cache
        for i in range(args.runs):
            out = Path(tmp) / f"run{i}"
            rows.append(asyncio.run(one_run(emu.base_url, args.story, out, args.scale)))
        stats = emu.stats()

    def med(key: str) -> float:
        return statistics.median(r[key] for r in rows)

    schedule = PollSchedule()
    print(
        f"render benchmark: {args.story.name}, {args.runs} runs, {platform.python_version()}, "
        f"{os.cpu_count()} cpus"
    )
    print(f"  simulated job: {args.job_seconds:g} s (emulator {gen:g} s wall, scale {args.scale:g})")
    print(
        f"  polls per task:        median {med('polls'):.0f}  "
        f"(all: {', '.join(str(int(r['polls'])) for r in rows)}; "
        f"schedule alone {len(waits_until(args.job_seconds, schedule)) + 1}, "
        f"the SDK's wait() {sdk_polls(args.job_seconds)})"
    )
    print(f"  completion -> on disk: median {med('to_disk') * 1000:.0f} ms wall")
    print(
        f"    detection:           median {med('detect') * 1000:.0f} ms wall "
        f"(= {med('detect') / args.scale:.1f} s against the real service)"
    )
    print(f"    fetch + check + rename: median {med('fetch') * 1000:.0f} ms for {med('bytes') / 1e3:.0f} kB")
    print(f"  emulator: creates {stats['creates']}, polls {stats['polls']}, downloads {stats['downloads']}")


if __name__ == "__main__":
    main()
