"""shotscript's batch against the official `dashscope` SDK, on one emulator, same seed.

    .venv/bin/python benchmarks/vs_sdk.py [--stories 100 300] [--quota 5] [--scale 0.0333]
        [--gen-seconds 60] [--modes fixed realistic] [--conditions clean faults]
        [--variants shotscript sdk sdk-retry] [--seed 7]

One emulator process on 127.0.0.1; before each run it is reset to the same seed. Everything
the service times is scaled by `--scale` (wall seconds per service second): generation, the
quotas (5 creates/s, 20 polls/s become 5/scale, 20/scale), and each client's own waits
(`SHOTSCRIPT_POLL_SCALE` for shotscript; the SDK's `time.sleep` for the SDK), so the
figures read as against the service. Variants, each a process of its own:

- `shotscript`: `shotscript render FOLDER --concurrency Q` (the batch: journal, pacing).
- `sdk`: the SDK as its docs show: `VideoSynthesis.async_call` + `wait` in a pool of Q
  threads, then the video fetched with `requests` and written.
- `sdk-retry`: the same with the retry loop users write: `async_call` tried again (up to 5
  times, 1 s doubling) on a refusal or an exception, and `wait` called again while it
  returns an HTTP error instead of a finished task.

Conditions: `clean`, and `faults` (20 % 429s, 5 % 500s, 2 % resets on creates and polls,
5 % truncated downloads). Modes: `fixed` (every task takes `--gen-seconds`) and `realistic`
(the emulator's own per-task distribution at `--scale`).

Columns: stories completed (the client says so), verified MP4s on disk (whole, decodable),
duplicate creates (the emulator's count), wall / ideal (process start to exit, over the
quota-bound schedule of the actual generation times: the tasks that made the videos, in
submission order, on Q slots; a story without a video counts a typical task), per video
(wall over the ideal of only the videos it delivered: a client that gives up on stories is not
faster for it), polls per task, detection latency p50 / p95 (task end on the server → the
client saw it, in service seconds), peak RSS of the process. Asserts nothing.
"""

from __future__ import annotations

import argparse
import heapq
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.emulator_process: the one way to start the emulator

FAULTS = "429=0.2,500=0.05,reset=0.02,truncate=0.05"
KEY = "sk-bench-vs-sdk"
CREATE_RPS, POLL_RPS = 5.0, 20.0  # the service's quotas per (service) second
STORY = """title Benchmark {i}
size 1280*720
duration 5
cast
  girl video https://cdn.wanx.aliyuncs.com/static/demo-wan26/vace.mp4
shot 0-2s @girl walks along the beach, take {i}.
shot @girl turns and waves at the camera, take {i}.
"""


# --- the SDK variants (run as a child process: `vs_sdk.py --child sdk PLAN`) -----------------


def _sdk_child(variant: str, plan_path: Path) -> None:
    """Render every story of the plan through the SDK in a pool of Q threads."""
    plan = json.loads(plan_path.read_text("utf-8"))
    scale = float(plan["scale"])
    import dashscope
    import requests
    from dashscope.client import base_api

    dashscope.base_http_api_url = plan["base_url"]

    class ScaledTime:
        """`time` for the SDK's module: its waits in service seconds."""

        time = staticmethod(time.time)

        @staticmethod
        def sleep(seconds: float) -> None:
            time.sleep(seconds * scale)

    base_api.time = ScaledTime  # type: ignore[attr-defined]
    retry = variant == "sdk-retry"

    def create(kwargs: dict[str, Any]) -> Any:
        attempts = 5 if retry else 1
        for attempt in range(attempts):
            try:
                started = dashscope.VideoSynthesis.async_call(api_key=KEY, **kwargs)
            except Exception:  # a dropped connection: what users' loops catch
                started = None
            if started is not None and started.status_code == 200:
                return started
            if attempt + 1 < attempts:
                time.sleep(2.0**attempt * scale)
        return None

    def one(item: dict[str, Any]) -> dict[str, Any]:
        started = create(item["kwargs"])
        if started is None:
            return {"key": item["key"], "ok": False, "why": "create"}
        while True:
            try:
                result = dashscope.VideoSynthesis.wait(started, api_key=KEY)
            except Exception as exc:  # a dropped connection while polling
                if not retry:
                    return {"key": item["key"], "ok": False, "why": f"wait {type(exc).__name__}"}
                time.sleep(1.0 * scale)
                continue
            if result.status_code == 200 or not retry:
                break
            time.sleep(1.0 * scale)
        seen = time.time()
        if result.status_code != 200 or result.output.task_status != "SUCCEEDED":
            return {"key": item["key"], "ok": False, "why": f"wait {result.status_code}"}
        try:
            video = requests.get(result.output.video_url, timeout=60)
            video.raise_for_status()
        except Exception as exc:
            return {"key": item["key"], "ok": False, "why": f"download {type(exc).__name__}"}
        target = Path(item["out"])
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(video.content)
        return {"key": item["key"], "ok": True, "task_id": result.output.task_id, "seen": seen}

    with ThreadPoolExecutor(int(plan["quota"])) as pool:
        results = list(pool.map(one, plan["stories"]))
    Path(plan["results"]).write_text(json.dumps(results), "utf-8")


# --- the parent: stories, runs, figures ------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """One row of the table."""

    variant: str
    completed: int
    verified: int
    duplicates: int
    ratio: float | None
    delivered_ratio: float | None  # wall over the ideal of the videos it delivered
    polls_per_task: float
    p50: float | None
    p95: float | None
    rss_mb: float


def write_stories(folder: Path, n: int) -> list[tuple[str, Path]]:
    """N distinct stories in folders of 100; (key, path) each."""
    stories = []
    for i in range(n):
        sub = folder / f"part{i // 100:03d}"
        sub.mkdir(parents=True, exist_ok=True)
        path = sub / f"story{i:05d}.shot"
        path.write_text(STORY.format(i=i), "utf-8")
        stories.append((f"part{i // 100:03d}/story{i:05d}", path))
    return stories


def sdk_kwargs(path: Path) -> dict[str, Any]:
    """A story's request body as `VideoSynthesis.async_call` keyword arguments."""
    import shotscript

    body = shotscript.load(path).compile().body()  # type: ignore[attr-defined]
    return {
        "model": body["model"],
        "prompt": body["input"]["prompt"],
        "reference_urls": body["input"]["reference_urls"],
        **body["parameters"],
    }


def verified(path: Path) -> bool:
    """Whether a file is a whole, decodable MP4."""
    from shotscript.runtime.download import DownloadError, probe_video

    if not path.is_file():
        return False
    try:
        probe_video(path)
    except DownloadError:
        return False
    # The decoder forgives a cut tail; a whole file has its last box complete.
    return _boxes_complete(path)


def _boxes_complete(path: Path) -> bool:
    data = path.read_bytes()
    at = 0
    while at + 8 <= len(data):
        size = int.from_bytes(data[at : at + 4], "big")
        if size == 1:
            size = int.from_bytes(data[at + 8 : at + 16], "big")
        if size < 8:
            return False
        at += size
    return at == len(data)


def task_output(base_url: str, task_id: str) -> dict[str, Any]:
    """A poll of one task after the run (the counters were read before; faults still hit it)."""
    headers = {"Authorization": f"Bearer {KEY}"}
    request = urllib.request.Request(f"{base_url}/tasks/{task_id}", headers=headers)
    for _ in range(100):
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return json.loads(answer.read())["output"]  # type: ignore[no-any-return]
        except OSError:  # an injected 429, 500 or reset
            continue
    raise RuntimeError(f"task {task_id}: no answer after 100 tries")


def ideal_makespan(durations: list[float], quota: int) -> float:
    """The quota-bound schedule: tasks in order, each on the first slot to free up."""
    slots = [0.0] * quota
    for d in durations:
        heapq.heappush(slots, heapq.heappop(slots) + d)
    return max(slots)


def quantile(values: list[float], q: float) -> float | None:
    """The q-quantile by linear interpolation (None for no values)."""
    if not values:
        return None
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def run_variant(variant: str, emu: Any, stories: list[tuple[str, Path]], tmp: Path, args: argparse.Namespace,
                mode: str, condition: str) -> Run:  # fmt: skip
    """Reset the emulator, run one variant as a process, and measure what it left."""
    from shotscript.runtime.client import parse_api_time

    scale, quota = args.scale, args.quota
    emu.reset(
        faults=FAULTS if condition == "faults" else "",
        seed=args.seed,
        time_scale=scale,
        timing="realistic",  # (the test helper starts emulators with uniform timing)
        gen_seconds=args.gen_seconds * scale if mode == "fixed" else None,
        max_running=quota,
        create_rps=CREATE_RPS / scale,
        poll_rps=POLL_RPS / scale,
    )
    out = tmp / f"out-{variant}"
    env = {
        **os.environ,
        "DASHSCOPE_API_KEY": KEY,
        "DASHSCOPE_HTTP_BASE_URL": emu.base_url,
        "SHOTSCRIPT_HOME": str(tmp / f"home-{variant}"),
        "SHOTSCRIPT_REQUIRE_LOOPBACK": "1",
        "SHOTSCRIPT_POLL_SCALE": str(scale),
        "PYTHONPATH": str(ROOT),
    }
    if variant == "shotscript":
        command = [
            sys.executable, "-m", "shotscript", "render", str(tmp / "stories"), "--out", str(out),
            "--concurrency", str(quota), "--submit-rate", str(CREATE_RPS * 0.9 / scale),
            "--poll-rate", str(POLL_RPS * 0.9 / scale),
        ]  # fmt: skip
    else:
        plan = {
            "base_url": emu.base_url, "scale": scale, "quota": quota, "results": str(tmp / f"{variant}.json"),
            "stories": [{"key": k, "kwargs": sdk_kwargs(p), "out": str(out / f"{k}.mp4")}
                        for k, p in stories],
        }  # fmt: skip
        plan_path = tmp / f"plan-{variant}.json"
        plan_path.write_text(json.dumps(plan), "utf-8")
        command = [sys.executable, __file__, "--child", variant, str(plan_path)]
    log = tmp / f"{variant}.log"
    with log.open("wb") as sink:
        started = time.monotonic()
        process = subprocess.Popen(command, env=env, stdout=sink, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.monotonic() - started
    stats = emu.stats()
    # Per story: the task that made its video and when the client saw it end.
    made: dict[str, tuple[str, float]] = {}
    if variant == "shotscript":
        for key, _ in stories:
            sidecar = out / f"{key}.json"
            if sidecar.is_file():
                doc = json.loads(sidecar.read_text("utf-8"))
                seen = doc.get("timings", {}).get("succeeded")
                if seen:
                    from datetime import datetime

                    made[key] = (doc["task_id"], datetime.fromisoformat(seen).timestamp())
    elif (tmp / f"{variant}.json").is_file():
        for row in json.loads((tmp / f"{variant}.json").read_text("utf-8")):
            if row.get("ok"):
                made[row["key"]] = (row["task_id"], float(row["seen"]))
    else:
        print(f"  {variant} exited {os.waitstatus_to_exitcode(status)}: {log.read_text()[-800:]}")
    submitted: list[tuple[float, float]] = []
    latencies: list[float] = []
    for task_id, seen in made.values():
        output = task_output(emu.base_url, task_id)
        begin, end = parse_api_time(output.get("submit_time")), parse_api_time(output.get("end_time"))
        if begin is None or end is None:
            continue
        submitted.append((begin, end - begin))
        latencies.append(max(0.0, seen - end) / scale)
    durations = [d for _, d in sorted(submitted)]
    made_durations = list(durations) if mode != "fixed" else [args.gen_seconds * scale] * len(durations)
    if durations and len(durations) < len(stories):  # stories without a video: a typical task each
        durations += [statistics.median(durations)] * (len(stories) - len(durations))
    if mode == "fixed":  # every task takes the same time, whether or not it made a video
        durations = [args.gen_seconds * scale] * len(stories)
    ideal = ideal_makespan(durations, quota) if durations else None
    return Run(
        variant=variant,
        completed=len(made),
        verified=sum(verified(out / f"{key}.mp4") for key, _ in stories),
        duplicates=int(stats["duplicate_creates"]),
        ratio=wall / ideal if ideal else None,
        delivered_ratio=wall / ideal_makespan(made_durations, quota) if made_durations else None,
        polls_per_task=stats["polls"] / max(1, stats["creates"]),
        p50=quantile(latencies, 0.5),
        p95=quantile(latencies, 0.95),
        rss_mb=usage.ru_maxrss / 1024,
    )


def _fmt(value: float | None, spec: str) -> str:
    return "—" if value is None else format(value, spec)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--child", nargs=2, metavar=("VARIANT", "PLAN"), help=argparse.SUPPRESS)
    parser.add_argument("--stories", type=int, nargs="+", default=[100, 300])
    parser.add_argument("--quota", type=int, default=5, help="tasks in progress at once (Q)")
    parser.add_argument("--scale", type=float, default=1 / 30, help="wall seconds per service second")
    parser.add_argument("--gen-seconds", type=float, default=60.0, help="fixed generation time (service s)")
    parser.add_argument("--modes", nargs="+", default=["fixed", "realistic"], choices=["fixed", "realistic"])
    parser.add_argument("--conditions", nargs="+", default=["clean", "faults"], choices=["clean", "faults"])
    parser.add_argument("--variants", nargs="+", default=["shotscript", "sdk", "sdk-retry"],
                        choices=["shotscript", "sdk", "sdk-retry"])  # fmt: skip
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", type=Path, default=None, help="keep logs and outputs in this folder")
    args = parser.parse_args()
    if args.child:
        _sdk_child(args.child[0], Path(args.child[1]))
        return
    from tests.emulator_process import start_emulator

    print(f"{time.strftime('%Y-%m-%d')} · {platform.machine()} · {os.cpu_count()} cores · "
          f"Python {platform.python_version()} · quota {args.quota} · scale {args.scale:g} · "
          f"seed {args.seed}")  # fmt: skip
    header = ("N", "mode", "faults", "variant", "done", "MP4 ok", "dupes", "wall/ideal", "per video",
              "polls/task", "detect p50", "p95", "RSS MB")  # fmt: skip
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    with start_emulator("--time-scale", str(args.scale), "--seed", str(args.seed)) as emu:
        for n in args.stories:
            for mode in args.modes:
                for condition in args.conditions:
                    with tempfile.TemporaryDirectory(prefix="shotscript-vs-sdk-") as name:
                        tmp = Path(name)
                        if args.keep:
                            tmp = args.keep / f"{n}-{mode}-{condition}"
                            shutil.rmtree(tmp, ignore_errors=True)
                        stories = write_stories(tmp / "stories", n)
                        for variant in args.variants:
                            r = run_variant(variant, emu, stories, tmp, args, mode, condition)
                            cells = (
                                n, mode, condition, r.variant, f"{r.completed}/{n}", r.verified, r.duplicates,
                                _fmt(r.ratio, ".3f"), _fmt(r.delivered_ratio, ".3f"),
                                f"{r.polls_per_task:.2f}", _fmt(r.p50, ".1f"), _fmt(r.p95, ".1f"),
                                f"{r.rss_mb:.0f}",
                            )  # fmt: skip
                            print("| " + " | ".join(map(str, cells)) + " |", flush=True)


if __name__ == "__main__":
    main()
