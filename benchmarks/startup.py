"""Render start-up and wind-down: how long `shotscript render FOLDER` takes from the process's
start to its first create, and from the last video written to its exit (issue #11).

At vs_sdk's time scale (1/30) every fixed cost of the process counts 30 times, so these two
gaps matter for the batch's wall / ideal. Each run: a new process, a fresh output folder and
`SHOTSCRIPT_HOME`, against one emulator (`--gen-seconds 0.5`, 5 running, the service's rates
at vs_sdk's time scale, the render's flags as vs_sdk passes them) reset between runs. Submit
and end times come from the emulator's `/_emulator/tasks`, the last video's time from the
MP4s' modification times. Bytecode caching is on in the child (as an installed package has
it), whatever PYTHONDONTWRITEBYTECODE says in this shell.

`--source DIR…` compares source trees (each a folder holding `shotscript/`, e.g. a
`git worktree` or `git archive` of another commit), their runs interleaved so that the
machine's load falls on each alike.

Run: .venv/bin/python benchmarks/startup.py [--stories 5 100] [--runs N] [--source DIR…] [--importtime]
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
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.emulator_process and benchmarks.vs_sdk

from benchmarks.vs_sdk import CREATE_RPS, KEY, POLL_RPS, write_stories  # noqa: E402

SCALE = 1 / 30  # vs_sdk's time scale: the service's rates, and the render's, are 30 times theirs
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
FIGURES = ("first create", "exit after the last video", "exit after the last task's end", "wall")


def one_run(emu: Any, source: Path, stories: Path, where: Path, concurrency: int) -> tuple[float, ...]:
    """Seconds: the first create after the start, the exit after the last video was written,
    the exit after the last task ended on the emulator (its detection and download in it), wall."""
    emu.reset(gen_seconds=0.5, max_running=concurrency, faults="", create_rps=CREATE_RPS / SCALE,
              poll_rps=POLL_RPS / SCALE)  # fmt: skip
    out = where / "out"
    env = {**ENV, "DASHSCOPE_API_KEY": KEY, "DASHSCOPE_HTTP_BASE_URL": emu.base_url,
           "SHOTSCRIPT_HOME": str(where / "home"), "SHOTSCRIPT_REQUIRE_LOOPBACK": "1",
           "SHOTSCRIPT_POLL_SCALE": str(SCALE), "PYTHONPATH": str(source)}  # fmt: skip
    argv = [sys.executable, "-m", "shotscript", "render", str(stories), "--out", str(out),
            "--concurrency", str(concurrency), "--submit-rate", str(CREATE_RPS * 0.9 / SCALE),
            "--poll-rate", str(POLL_RPS * 0.9 / SCALE)]  # as vs_sdk runs it; fmt: skip
    started = time.time()
    # In the source tree: `-m` puts the working folder first on the path, before PYTHONPATH.
    proc = subprocess.run(argv, env=env, cwd=source, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          text=True)  # fmt: skip
    ended = time.time()
    if proc.returncode != 0:
        raise SystemExit(f"render exited {proc.returncode}:\n{proc.stderr[-2000:]}")
    tasks = emu.tasks()
    first = min(t["submitted"] for t in tasks)
    last_end = max(t["submitted"] + t["ends_after_s"] for t in tasks)
    last_video = max(p.stat().st_mtime for p in out.rglob("*.mp4"))
    return first - started, ended - last_video, ended - last_end, ended - started


def bare(runs: int) -> float:
    """Median wall seconds of `python -c pass`."""
    walls = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], env=ENV)
        walls.append(time.perf_counter() - start)
    return statistics.median(walls)


Imports = tuple[float, list[tuple[int, str]]]


def importtime(source: Path, module: str, top: int = 12, runs: int = 3) -> Imports:
    """`python -X importtime -c "import MODULE"`, the quickest of `runs`: (cumulative ms, the
    slowest imports by self time)."""
    best: Imports | None = None
    for _ in range(runs):
        err = subprocess.run([sys.executable, "-X", "importtime", "-c", f"import {module}"], cwd=source,
                             env={**ENV, "PYTHONPATH": str(source)}, capture_output=True, text=True).stderr
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
        if best is None or total / 1000 < best[0]:
            best = (total / 1000, sorted(rows, reverse=True)[:top])
    assert best is not None
    return best


def main() -> None:
    """Print the figures."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--stories", type=int, nargs="+", default=[5, 100], help="batch sizes")
    ap.add_argument("--runs", type=int, default=7, help="runs per size and source (median)")
    ap.add_argument("--concurrency", type=int, default=5)
    ap.add_argument("--source", type=Path, nargs="+", default=[ROOT], help="source trees to compare")
    ap.add_argument("--importtime", action="store_true", help="also list the slowest imports")
    args = ap.parse_args()
    from tests.emulator_process import start_emulator

    sources = [s.resolve() for s in args.source]
    print(f"{time.strftime('%Y-%m-%d %H:%M')} · {platform.machine()} · {os.cpu_count()} cores · "
          f"Python {platform.python_version()} · load {os.getloadavg()[0]:.2f} · "
          f"--concurrency {args.concurrency}, medians of {args.runs}")  # fmt: skip
    print(f"bare `python -c pass`: {bare(args.runs) * 1000:.0f} ms")
    for source in sources:
        total, rows = importtime(source, "shotscript.batch.session")
        print(f"{source}: `import shotscript.batch.session` {total:.0f} ms "
              "(-X importtime, cumulative, the quickest of 3)")
        for own, name in rows if args.importtime else ():
            print(f"  {own / 1000:6.1f} ms self  {name}")
    with start_emulator("--gen-seconds", "0.5", "--max-running", str(args.concurrency)) as emu:
        for n in args.stories:
            with tempfile.TemporaryDirectory(prefix="shotscript-startup-") as name:
                tmp = Path(name)
                write_stories(tmp / "stories", n)
                runs: dict[Path, list[tuple[float, ...]]] = {s: [] for s in sources}
                for i in range(args.runs):
                    for j, source in enumerate(sources):  # interleaved: the load falls on each alike
                        runs[source].append(one_run(emu, source, tmp / "stories", tmp / f"run{i}-{j}",
                                                    args.concurrency))  # fmt: skip
                for source, figures in runs.items():
                    cells = [f"{label} {statistics.median(col):.3f} s (min {min(col):.3f})"
                             for label, col in zip(FIGURES, zip(*figures, strict=True), strict=True)]
                    print(f"{n:4d} stories · {source.name}: " + " · ".join(cells))
    print(f"load after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
