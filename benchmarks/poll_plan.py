"""The poll plan simulated: polls per task and detection latency, no server, no clock.

    .venv/bin/python benchmarks/poll_plan.py [--stories 100 300] [--quota 5] [--seeds 5]
        [--modes realistic fixed] [--gen-seconds 60] [--model wan2.6-r2v] [--latency 0.1]

A batch of N tasks on Q slots, in service seconds: each slot creates its next task the moment
it sees its last one end (no request latency). Task times are the emulator's own: `realistic`
draws PENDING and RUNNING seconds from `shotscript.emulator.timing._realistic` (wan2.6-r2v
720P 5 s, the account's busy count at each create); `fixed` is `--gen-seconds` per task, 10 %
of it PENDING, as the emulator's fixed mode. Each task is polled when a plan says, with the
pacer's rules: before anything finished only the oldest task (the scout) follows the plan,
the window is the last 50 finished tasks, every end seen re-plans the others. A poll shows
PENDING, RUNNING (with `scheduled_time`) or SUCCEEDED, as the emulator answers.

Variants: the SDK's `wait()` (1 s, doubling every third poll, at most 5 s, each sleep after a
`--latency` round trip), the previous plan (one 3 % quantile step a poll, 1–6 s), and
`poll_plan.PollPlan()`, alone and with one tunable changed or one input withheld (the
service's `scheduled_time`; the PENDING status). Columns: polls per task, detection
latency (task end → the poll that saw it) mean / p50 / p95, and wall / ideal (the last end
seen over the quota-bound schedule of the same times). Seeds pooled. Asserts nothing.
"""

from __future__ import annotations

import argparse
import heapq
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from shotscript.batch.constants import GENERATION_WINDOW
from shotscript.batch.poll_plan import PollPlan, cdf, inverse_cdf, next_poll_age
from shotscript.emulator.timing import Job, _realistic, timing_data

MODEL = "wan2.6-r2v"


@dataclass
class Task:
    """One simulated task (service seconds from the batch's start)."""

    created: float
    pending: float
    running: float
    last_age: float | None = None
    last_gap: float | None = None
    started: float | None = None  # known once a poll saw it RUNNING
    was_pending: bool = False
    polls: int = 0

    @property
    def ends(self) -> float:
        return self.pending + self.running


@dataclass(frozen=True)
class View:
    """What a plan may know when it decides a task's next poll."""

    task: Task
    scout: bool
    totals: Sequence[float]  # end − submit of the last finished tasks
    runs: Sequence[float]  # end − scheduled of the same


Plan = Callable[[View], float]  # the next poll's age


def current(plan: PollPlan, *, scheduled: bool = True, pending: bool = True) -> Plan:
    """`next_poll_age` as the pacer calls it (`scheduled`: the service reports scheduled_time;
    `pending`: the pacer tells the plan that a task's last poll found it PENDING)."""

    def decide(v: View) -> float:
        t = v.task
        return next_poll_age(
            last_age=t.last_age, last_gap=t.last_gap, samples=v.totals, scout=v.scout, plan=plan,
            running=v.runs if scheduled else (), started=t.started if scheduled else None,
            pending=t.was_pending and pending,
        )  # fmt: skip

    return decide


def previous(v: View) -> float:
    """The plan before this one: one 3 % step of the empirical distribution a poll, 1–6 s."""
    t, ordered = v.task, sorted(v.totals)
    if not ordered:
        if t.last_age is None:
            return 0.0 if v.scout else 60.0
        return t.last_age + _tail(t.last_gap, 6.0)
    if t.last_age is None:
        return inverse_cdf(ordered, 0.05)
    reached = cdf(ordered, t.last_age)
    if reached >= 1.0:
        return t.last_age + _tail(t.last_gap, 6.0)
    return min(max(inverse_cdf(ordered, reached + 0.03), t.last_age + 1.0), t.last_age + 6.0)


def _tail(gap: float | None, max_gap: float) -> float:
    return 2.0 if gap is None or gap < 2.0 else min(gap * 1.5, max_gap)


def sdk(latency: float) -> Plan:
    """The SDK's wait(): 1 s, doubling every third poll, 5 s at most, each sleep after the
    previous answer (`latency`: a request's round trip); every task on its own."""

    def decide(v: View) -> float:
        wait, age = 1.0, 0.0
        for n in range(1, v.task.polls + 2):
            if n % 3 == 0:
                wait = min(wait * 2, 5.0)
            age += wait + latency
        return age

    return decide


@dataclass(frozen=True)
class Outcome:
    """One batch's figures."""

    polls: list[int]
    delays: list[float]
    wall: float
    ideal: float


def draw(rng: random.Random, mode: str, gen_seconds: float, busy: int, model: str) -> tuple[float, float]:
    """(PENDING, RUNNING) seconds of a new task, as the emulator would choose them."""
    if mode == "fixed":
        share = float(timing_data()["fixed"]["queue_share"])
        return share * gen_seconds, (1 - share) * gen_seconds
    return _realistic(rng, Job(model, "720P", 5, busy))


def batch(
    plan: Plan, *, stories: int, quota: int, mode: str, gen_seconds: float, seed: int, model: str = MODEL
) -> Outcome:
    """Run one simulated batch under `plan`."""
    rng = random.Random(seed)
    now, made = 0.0, 0
    active: dict[int, Task] = {}
    done: list[Task] = []
    totals: list[float] = []
    runs: list[float] = []
    delays: list[float] = []
    due: dict[int, float] = {}

    def create() -> None:
        nonlocal made
        busy = sum(1 for t in active.values() if t.created + t.ends > now)
        pending, running = draw(rng, mode, gen_seconds, busy, model)
        active[made] = Task(created=now, pending=pending, running=running)
        made += 1

    def plan_of(key: int) -> None:
        t = active[key]
        scout = min(active, key=lambda k: (active[k].created, k)) == key
        age = plan(View(t, scout, totals[-GENERATION_WINDOW:], runs[-GENERATION_WINDOW:]))
        floor = t.last_age + 1.0 if t.last_age is not None else 1.0  # the lifecycle's 1 s tick
        due[key] = t.created + max(age, floor)

    for _ in range(min(quota, stories)):
        create()
    for key in active:
        plan_of(key)
    while active:
        key = min(due, key=lambda k: (due[k], k))
        now = max(now, due.pop(key))
        t = active[key]
        age = now - t.created
        if t.last_age is not None:
            t.last_gap = age - t.last_age
        t.last_age, t.polls = age, t.polls + 1
        if age < t.pending:
            t.was_pending = True
        elif age < t.ends:
            t.was_pending, t.started = False, t.pending
        else:
            delays.append(age - t.ends)
            totals.append(t.ends)
            runs.append(t.running)
            done.append(active.pop(key))
            if made < stories:
                create()
            for other in active:  # news: everyone re-plans (the pacer's _news)
                plan_of(other)
            continue
        plan_of(key)
    ideal = ideal_makespan([t.ends for t in sorted(done, key=lambda t: t.created)], quota)
    return Outcome([t.polls for t in done], delays, now, ideal)


def ideal_makespan(durations: list[float], quota: int) -> float:
    """The quota-bound schedule: tasks in order, each on the first slot to free up."""
    slots = [0.0] * quota
    for d in durations:
        heapq.heappush(slots, heapq.heappop(slots) + d)
    return max(slots)


def quantile(values: list[float], q: float) -> float:
    """The q-quantile by linear interpolation."""
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def variants(latency: float) -> list[tuple[str, Plan]]:
    """The plans compared (name, plan)."""
    base = PollPlan()
    return [
        ("sdk wait()", sdk(latency)),
        ("previous plan", previous),
        ("**PollPlan()**", current(base)),
        ("no scheduled_time", current(base, scheduled=False)),
        ("no PENDING rule", current(base, pending=False)),
        ("density 2.25", current(replace(base, density=2.25))),
        ("density 2.75", current(replace(base, density=2.75))),
        ("max_gap 4", current(replace(base, max_gap=4.0))),
        ("max_gap 6", current(replace(base, max_gap=6.0))),
        ("first_quantile 0.05", current(replace(base, first_quantile=0.05))),
        ("prior_hold 60", current(replace(base, prior_hold=60.0))),
        ("prior_hold 0 (all on the tail schedule)", current(replace(base, prior_hold=0.0))),
    ]


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stories", type=int, nargs="+", default=[100, 300])
    parser.add_argument("--quota", type=int, default=5)
    parser.add_argument("--seeds", type=int, default=5, help="batches per row, seeds 1…S (pooled)")
    parser.add_argument("--modes", nargs="+", default=["realistic", "fixed"], choices=["realistic", "fixed"])
    parser.add_argument("--gen-seconds", type=float, default=60.0, help="fixed mode's task time")
    parser.add_argument("--model", default=MODEL, help="realistic mode's model (timing.toml)")
    parser.add_argument("--latency", type=float, default=0.1, help="the SDK's round trip per poll (s)")
    args = parser.parse_args()
    print("| N | mode | variant | polls/task | detect mean | p50 | p95 | wall/ideal |")
    print("|---|---|---|---|---|---|---|---|")
    started = time.process_time()
    for mode in args.modes:
        for stories in args.stories:
            for name, plan in variants(args.latency):
                polls: list[int] = []
                delays: list[float] = []
                ratios: list[float] = []
                for seed in range(1, args.seeds + 1):
                    out = batch(plan, stories=stories, quota=args.quota, mode=mode,
                                gen_seconds=args.gen_seconds, seed=seed, model=args.model)  # fmt: skip
                    polls += out.polls
                    delays += out.delays
                    ratios.append(out.wall / out.ideal)
                print(f"| {stories} | {mode} | {name} | {statistics.mean(polls):.1f} | "
                      f"{statistics.mean(delays):.2f} | {quantile(delays, 0.5):.2f} | "
                      f"{quantile(delays, 0.95):.2f} | {statistics.mean(ratios):.3f} |")  # fmt: skip
    print(f"\n({time.process_time() - started:.1f} s CPU; seeds 1–{args.seeds} pooled per row)")
    print(cpu_cost())


def cpu_cost() -> str:
    """What one poll decision costs the pacer, with a window of 50 (cached) and a new one."""
    rng = random.Random(0)
    window = [sum(_realistic(rng, Job(MODEL, "720P", 5, 4))) for _ in range(GENERATION_WINDOW)]
    runs = [w * 0.9 for w in window]
    n, begin = 2000, time.perf_counter()
    for i in range(n):
        next_poll_age(last_age=60.0 + i % 40, last_gap=2.0, samples=window, scout=False, running=runs,
                      started=5.0)  # fmt: skip
    cached = (time.perf_counter() - begin) / n
    begin = time.perf_counter()
    for i in range(50):
        window[i % len(window)] *= 1.001  # a task ended: both windows moved
        runs[i % len(runs)] *= 1.001
        next_poll_age(last_age=60.0, last_gap=2.0, samples=window, scout=False, running=runs, started=5.0)
    moved = (time.perf_counter() - begin) / 50
    return f"one poll decision: {cached * 1e6:.0f} µs (window cached), {moved * 1e3:.2f} ms once a task ended"


if __name__ == "__main__":
    main()
