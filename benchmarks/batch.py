"""Batch rendering against the emulator: how close to the quota's ideal, how many polls, how much memory.

    .venv/bin/python benchmarks/batch.py [--stories 200] [--quota 20] [--gen-seconds 1.0] [--runs 1]

Starts the emulator (loopback, a fixed generation time, `--max-running` = the quota Q), writes
N distinct stories, and times `shotscript render FOLDER --concurrency Q` as a process, from
start to exit (planning, journal, downloads, thumbnails and report included). Prints the
ratio of that time to the ideal, ceil(N / Q) × generation time, the polls per task (the
emulator's counters) and the render process's peak memory (max RSS). Asserts nothing.
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from emulator_process import start_emulator  # noqa: E402

STORY = """title Benchmark {i}
size 1280*720
duration 5
cast
  girl video https://cdn.wanx.aliyuncs.com/static/demo-wan26/vace.mp4
shot 0-2s @girl walks along the beach, take {i}.
shot @girl turns and waves at the camera, take {i}.
"""


def write_stories(folder: Path, n: int) -> None:
    """N distinct stories in folders of 100 (distinct prompts: no two are the same request)."""
    for i in range(n):
        sub = folder / f"part{i // 100:03d}"
        sub.mkdir(parents=True, exist_ok=True)
        (sub / f"story{i:05d}.shot").write_text(STORY.format(i=i), "utf-8")


def run_once(n: int, quota: int, gen_seconds: float, create_rps: float) -> dict[str, float]:
    """One timed batch render of N stories on a fresh emulator."""
    with tempfile.TemporaryDirectory(prefix="shotscript-bench-") as tmp, start_emulator(
        "--gen-seconds", str(gen_seconds), "--max-running", str(quota), "--create-rps", str(create_rps),
    ) as emu:  # fmt: skip
        stories, out = Path(tmp) / "stories", Path(tmp) / "renders"
        write_stories(stories, n)
        env = {
            **os.environ,
            "DASHSCOPE_API_KEY": "sk-bench",
            "DASHSCOPE_HTTP_BASE_URL": emu.base_url,
            "SHOTSCRIPT_HOME": str(Path(tmp) / "home"),
            "SHOTSCRIPT_REQUIRE_LOOPBACK": "1",
            # The client's own waits (first polls, retries) shrink with the generation time.
            "SHOTSCRIPT_POLL_SCALE": str(min(1.0, gen_seconds / 60)),
            "PYTHONPATH": str(ROOT),
        }
        command = [
            sys.executable, "-m", "shotscript", "render", str(stories), "--out", str(out),
            "--concurrency", str(quota), "--submit-rate", str(create_rps * 0.9),
        ]  # fmt: skip
        log = Path(tmp) / "render.log"  # a file, not a pipe: nobody reads a pipe while it runs
        with log.open("wb") as sink:
            started = time.monotonic()
            process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=sink)
            _, status, usage = os.wait4(process.pid, 0)
            elapsed = time.monotonic() - started
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"render failed:\n{log.read_text(errors='replace')[-2000:]}")
        stats = emu.stats()
    ideal = math.ceil(n / quota) * gen_seconds
    return {
        "elapsed": elapsed,
        "ideal": ideal,
        "ratio": elapsed / ideal,
        "polls_per_task": stats["polls"] / max(1, stats["creates"]),
        "creates": stats["creates"],
        "duplicates": stats["duplicate_creates"],
        "peak_mb": usage.ru_maxrss / 1024,  # Linux reports kilobytes
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--stories", type=int, nargs="+", default=[200], help="batch sizes to run")
    parser.add_argument("--quota", type=int, default=10, help="tasks in progress at once (Q)")
    parser.add_argument("--gen-seconds", type=float, default=2.0, help="simulated generation time")
    parser.add_argument("--create-rps", type=float, default=50.0, help="the emulator's create quota")
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    print(f"quota Q={args.quota}, generation {args.gen_seconds:g} s, creates ≤ {args.create_rps:g}/s")
    header = ("stories", "elapsed", "ideal", "ratio", "polls/task", "peak MB", "dupes")
    print("{:>8} {:>9} {:>7} {:>6} {:>10} {:>8} {:>5}".format(*header))
    for n in args.stories:
        for _ in range(args.runs):
            r = run_once(n, args.quota, args.gen_seconds, args.create_rps)
            print(
                f"{n:>8} {r['elapsed']:>8.1f}s {r['ideal']:>6.1f}s {r['ratio']:>6.3f} "
                f"{r['polls_per_task']:>10.2f} {r['peak_mb']:>8.1f} {int(r['duplicates']):>5}"
            )
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"(this script itself: {own:.0f} MB)")


if __name__ == "__main__":
    main()
