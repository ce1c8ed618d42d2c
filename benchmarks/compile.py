"""Compile speed and start-up: in-process throughput, cold starts over bare Python, what the
compile path imports (`python -X importtime`), and `check` memory from 100 to 10,000 stories.

Run: .venv/bin/python benchmarks/compile.py [--seconds S] [--runs N] [--big N]
Prints figures; asserts nothing (speed targets live here, not in the tests).
Child processes run with bytecode caching on (as an installed package has it), whatever
PYTHONDONTWRITEBYTECODE says in this shell.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STORY = ROOT / "stories" / "seed" / "smartwatch.shot"  # 4 shots, one reference
HEAVY = ("pydantic", "httpx", "rich", "av", "lark", "regex", "jinja2", "yaml", "PIL")
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def throughput(seconds: float) -> tuple[float, float]:
    """Stories per second: (text → checked payload, parsed story → payload)."""
    from shotscript.compiler.driver import check_text, compile_story

    text = STORY.read_text("utf-8")
    check_text(text, STORY)  # warm: tables, templates, capability data

    def rate(fn: object) -> float:
        # CPU time of this process, not wall time: other work on the machine does not count.
        n, start = 0, time.process_time()
        while time.process_time() - start < seconds:
            for _ in range(100):
                fn()  # type: ignore[operator]
            n += 100
        return n / (time.process_time() - start)

    story = check_text(text, STORY).story
    assert story is not None
    return rate(lambda: check_text(text, STORY)), rate(lambda: compile_story(story))


def _exe() -> str:
    return shutil.which("shotscript", path=str(Path(sys.executable).parent)) or "shotscript"


def wall(argv: list[str], runs: int) -> tuple[float, float]:
    """Median (wall, CPU) seconds of a new process running `argv` (one warm-up run first).

    CPU is the child's user + system time: what it costs, however busy the machine is.
    """
    subprocess.run(argv, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    walls, cpus = [], []
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.Popen(argv, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, _, usage = os.wait4(proc.pid, 0)
        walls.append(time.perf_counter() - start)
        cpus.append(usage.ru_utime + usage.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def importtime(argv: list[str]) -> tuple[list[tuple[int, str]], list[str]]:
    """`python -X importtime` of the command: the top-level imports by cumulative µs, and
    which heavy packages it loaded."""
    code = f"import sys; sys.argv = {['shotscript', *argv]!r}; from shotscript.cli import main; main()"
    err = subprocess.run([sys.executable, "-X", "importtime", "-c", code], env=ENV,
                         capture_output=True, text=True).stderr
    rows: list[tuple[int, str]] = []
    heavy: set[str] = set()
    for line in err.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = line.split("|")
        if name.strip().split(".")[0] in HEAVY:
            heavy.add(name.strip().split(".")[0])
        if not name.startswith("  ") and cumulative.strip().isdigit():  # top-level imports
            rows.append((int(cumulative), name.strip()))
    return sorted(rows, reverse=True)[:10], sorted(heavy)


def folder(n: int, where: Path) -> Path:
    """A folder of n distinct valid stories (URL references, so nothing is probed)."""
    d = where / f"stories-{n}"
    d.mkdir()
    for i in range(n):
        (d / f"s{i:05d}.shot").write_text(
            f"title story {i}\ncast\n  a{i % 97}  image https://example.com/{i}.png\n"
            f"shot 0-3s  @a{i % 97} 走进第{i}个房间。\nshot 3-5s  转身。\n", encoding="utf-8")
    return d


def check_rss(path: Path) -> tuple[float, float]:
    """(peak RSS in MB, wall seconds) of `shotscript check PATH` as a new process."""
    start = time.perf_counter()
    proc = subprocess.Popen([_exe(), "check", str(path)], env=ENV,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, _, usage = os.wait4(proc.pid, 0)
    return usage.ru_maxrss / 1024, time.perf_counter() - start


def main() -> None:
    """Print the figures."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seconds", type=float, default=3.0, help="time per throughput figure")
    ap.add_argument("--runs", type=int, default=15, help="cold-start runs (median)")
    ap.add_argument("--big", type=int, default=10_000, help="stories in the large check folder")
    args = ap.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"load {os.getloadavg()[0]:.1f}")
    full, compile_only = throughput(args.seconds)
    print(f"load+check+compile (text -> payload): {full:8.0f} stories/s of CPU "
          f"({1e6 / full:.0f} us each)")
    print(f"check+compile (parsed story -> payload): {compile_only:5.0f} stories/s of CPU "
          f"({1e6 / compile_only:.0f} us each)")

    bare, bare_cpu = wall([sys.executable, "-c", "pass"], args.runs)
    print(f"bare `python -c pass`: median {bare * 1000:.0f} ms wall, {bare_cpu * 1000:.0f} ms CPU "
          f"({args.runs} runs)")
    for argv in (["compile", str(STORY)], ["check", str(STORY)], ["--help"], ["check", "--help"]):
        t, cpu = wall([_exe(), *argv], args.runs)
        print(f"`shotscript {' '.join(a if a != str(STORY) else 'STORY' for a in argv)}`: "
              f"median {t * 1000:.0f} ms wall ({(t - bare) * 1000:+.0f} over bare Python), "
              f"{cpu * 1000:.0f} ms CPU ({(cpu - bare_cpu) * 1000:+.0f})")

    top, heavy = importtime(["compile", str(STORY)])
    print("`python -X importtime` of `shotscript compile STORY`, top-level imports (cumulative):")
    for us, name in top:
        print(f"  {us / 1000:6.1f} ms  {name}")
    print(f"  heavy packages loaded: {', '.join(heavy) or 'none'}")

    with tempfile.TemporaryDirectory() as tmp:
        figures = {}
        for n in (100, args.big):
            rss, seconds = check_rss(folder(n, Path(tmp)))
            figures[n] = rss
            print(f"`shotscript check` of {n} stories: peak RSS {rss:.1f} MB, {seconds:.2f} s "
                  f"({seconds / n * 1000:.2f} ms a story)")
        print(f"peak RSS {args.big} / 100 stories: {figures[args.big] / figures[100]:.2f}x")


if __name__ == "__main__":
    main()
