"""Render start-up and wind-down: how long `shotscript render FOLDER` takes from the process's
start to its first create, and from the last video on disk to its exit (issue #11).

At vs_sdk's time scale (1/30) every fixed cost of the process counts 30 times, so these two
gaps matter for the batch's wall / ideal. Each run: a new process, a fresh output folder and
`SHOTSCRIPT_HOME`, against one emulator (`--gen-seconds 0.5`, 5 running, the service's rates
at vs_sdk's time scale, the render's flags as vs_sdk passes them) reset between runs;
submit times are read from the emulator's `/_emulator/tasks`, the last video's time from the
MP4s' modification times.

Run: .venv/bin/python benchmarks/startup.py [--stories 5 100] [--runs N] [--importtime]
Prints medians; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.emulator_process and benchmarks.vs_sdk

from benchmarks.vs_sdk import CREATE_RPS, KEY, POLL_RPS, write_stories  # noqa: E402

SCALE = 1 / 30  # vs_sdk's time scale: the service's rates, and the render's, are 30 times theirs

ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def one_run(emu: object, stories: Path, where: Path, concurrency: int) -> tuple[float, float, float, float]:
    """(first create after start, last create after start, exit after the last video, wall) in s."""
    emu.reset(gen_seconds=0.5, max_running=concurrency, faults="", create_rps=CREATE_RPS / SCALE,  # type: ignore[attr-defined]
              poll_rps=POLL_RPS / SCALE)  # fmt: skip
    out, home = where / "out", where / "home"
    env = {**ENV, "DASHSCOPE_API_KEY": KEY, "DASHSCOPE_HTTP_BASE_URL": emu.base_url,  # type: ignore[attr-defined]
           "SHOTSCRIPT_HOME": str(home), "SHOTSCRIPT_REQUIRE_LOOPBACK": "1",
           "SHOTSCRIPT_POLL_SCALE": str(SCALE), "PYTHONPATH": str(ROOT)}  # fmt: skip
    argv = [sys.executable, "-m", "shotscript", "render", str(stories), "--out", str(out),
            "--concurrency", str(concurrency), "--submit-rate", str(CREATE_RPS * 0.9 / SCALE),
            "--poll-rate", str(POLL_RPS * 0.9 / SCALE)]  # as vs_sdk runs it; fmt: skip
    started = time.time()
    proc = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    ended = time.time()
    if proc.returncode != 0:
        raise SystemExit(f"render exited {proc.returncode}:\n{proc.stderr[-2000:]}")
    submits = sorted(t["submitted"] for t in emu.tasks())  # type: ignore[attr-defined]
    last_video = max(p.stat().st_mtime for p in out.rglob("*.mp4"))
    return submits[0] - started, submits[-1] - started, ended - last_video, ended - started


def bare(runs: int) -> float:
    """Median wall seconds of `python -c pass`."""
    walls = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], env=ENV)
        walls.append(time.perf_counter() - start)
    return statistics.median(walls)


def importtime(module: str, top: int = 12) -> tuple[float, list[tuple[int, str]]]:
    """`python -X importtime -c "import MODULE"`: (total ms, the slowest imports by self time)."""
    err = subprocess.run([sys.executable, "-X", "importtime", "-c", f"import {module}"], env=ENV,
                         capture_output=True, text=True).stderr  # fmt: skip
    rows, total = [], 0
    for line in err.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        own, cumulative, name = line.removeprefix("import time:").split("|")
        if not own.strip().isdigit():
            continue
        rows.append((int(own), name.rstrip()))
        if name.strip() == module:
            total = int(cumulative)
    return total / 1000, sorted(rows, reverse=True)[:top]


def main() -> None:
    """Print the figures."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--stories", type=int, nargs="+", default=[5, 100], help="batch sizes")
    ap.add_argument("--runs", type=int, default=7, help="runs per size (median)")
    ap.add_argument("--concurrency", type=int, default=5)
    ap.add_argument("--importtime", action="store_true", help="also list the slowest imports")
    args = ap.parse_args()
    from tests.emulator_process import start_emulator

    print(f"{time.strftime('%Y-%m-%d %H:%M')} · {platform.machine()} · {os.cpu_count()} cores · "
          f"Python {platform.python_version()} · load {os.getloadavg()[0]:.2f}")  # fmt: skip
    print(f"bare `python -c pass`: {bare(args.runs) * 1000:.0f} ms")
    total, rows = importtime("shotscript.batch.session")
    print(f"`import shotscript.batch.session`: {total:.0f} ms (-X importtime, cumulative)")
    if args.importtime:
        for own, name in rows:
            print(f"  {own / 1000:6.1f} ms self  {name}")
    with start_emulator("--gen-seconds", "0.5", "--max-running", str(args.concurrency)) as emu:
        for n in args.stories:
            with tempfile.TemporaryDirectory(prefix="shotscript-startup-") as name:
                tmp = Path(name)
                write_stories(tmp / "stories", n)
                runs = []
                for i in range(args.runs):
                    where = tmp / f"run{i}"
                    runs.append(one_run(emu, tmp / "stories", where, args.concurrency))
                first, last, tail, wall = (statistics.median(col) for col in zip(*runs, strict=True))
                low_first, low_tail = min(r[0] for r in runs), min(r[2] for r in runs)
                print(f"{n:4d} stories, --concurrency {args.concurrency}, median of {args.runs}: "
                      f"first create {first:.3f} s after start (min {low_first:.3f}), "
                      f"last create {last:.2f} s, exit {tail:.3f} s after the last video "
                      f"(min {low_tail:.3f}), wall {wall:.2f} s")  # fmt: skip
    print(f"load after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
