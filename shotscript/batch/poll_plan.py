"""When a batch looks at each task, and what a 429 asks of it: pure functions and frozen values.

Polls: the times of the tasks that finished are the distribution a running task is drawn from
(smoothed: a Gaussian kernel density in log-time). Its first poll comes at a low quantile of
them (never before the quickest, once there are enough of them to trust); after that, the
gap to the next poll is 1 / (density · √h), h the distribution's hazard at the task's age
(the chance per second that a task this old ends now): for a given mean number of polls,
polls spaced by the square root of the hazard minimise the mean time until an end is seen.
Gaps stay within `min_gap`…`max_gap`; past the slowest time seen, a geometric schedule up to
`max_gap`.

When the service tells when a task started running (`scheduled_time`), the plan uses the
running times of finished tasks (end − scheduled) from that moment, a narrower distribution
than end − submit; a task last seen PENDING is looked at again when the quickest tasks could
have finished had it started at once. Without `scheduled_time`, end − submit from creation.

Before any task has finished, only the oldest task (the scout) polls from the start; the
others wait for it, but not beyond `prior_hold`, then poll on the tail schedule, so one slow
task cannot leave the finished ones undetected. While few tasks have finished, the kernel is
widened towards the documented spread of generation times (`prior_spread`).

429s: `Throttling.AllocationQuota` is the account's limit of tasks in progress (fewer slots;
polls and the create rate are untouched); any other throttling slows every request of its
kind only when we were sending at our own full pace, otherwise only the refused request
waits (its `Retry-After`).

Times are seconds; the tunables are service seconds, multiplied by `scale` (emulator runs).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from shotscript.facts.service import usual_generation_seconds

ThrottleScope = Literal["slots", "pace", "request"]
ALLOCATION_QUOTA = "Throttling.AllocationQuota"
_SQRT2 = math.sqrt(2.0)
_NORM = 1.0 / math.sqrt(2.0 * math.pi)


_USUAL_LOW, _USUAL_HIGH = usual_generation_seconds()  # the docs: "usually 1–5 minutes"


@dataclass(frozen=True)
class PollPlan:
    """The tunables of the poll plan (service seconds; `density` per √service second).

    Chosen by simulation over the emulator's realistic times (`benchmarks/poll_plan.py`,
    figures in benchmarks/README.md): about 19 polls a task for a mean detection of 1.7–1.8 s
    (p95 under 4 s), where the SDK's wait() polls 26 times for 2.6 s.
    """

    first_quantile: float = 0.03  # the first poll: when this share of tasks had finished
    density: float = 2.5  # polls per unit of √hazard: more polls, sooner seen
    min_gap: float = 1.0  # never two polls of a task closer than this
    max_gap: float = 5.0  # nor further apart (the docs suggest 15 s; 20 polls/s are allowed)
    tail_initial: float = 2.0  # past the slowest time seen: 2 s, growing ×1.5 up to max_gap
    tail_multiplier: float = 1.5
    # A task last seen PENDING: looked at again after this quantile of the running times.
    pending_quantile: float = 0.03
    min_bandwidth: float = 0.02  # of the kernel, in log-time: times alike are ±2 % alike
    # Few samples say little of the spread: the kernel is at least prior_spread / n wide, in
    # log-time (the documented range as the 5–95 % of a log-normal: 0.49 for 1–5 minutes).
    prior_spread: float = math.log(_USUAL_HIGH / _USUAL_LOW) / (2 * 1.645)
    # From this many samples on, the first poll is never before the quickest of them: times
    # that do not vary (the emulator's fixed mode) are then looked at once, when they end.
    trusted_samples: int = 10
    # Before anything finished, non-scouts wait at most this long (half the documented
    # shortest, 30 s: a quick model's first tasks are seen soon, for ~5 polls more each).
    prior_hold: float = _USUAL_LOW / 2


@dataclass(frozen=True)
class Spread:
    """A sample window prepared for the plan: sorted times, their logs and the kernel width."""

    ordered: tuple[float, ...]
    logs: tuple[float, ...]
    bandwidth: float  # in log-time


def spread(samples: Sequence[float], plan: PollPlan = PollPlan()) -> Spread | None:
    """The usable (positive, finite) samples prepared once per window; None if there are none."""
    return _spread(tuple(samples), plan.min_bandwidth, plan.prior_spread)


@lru_cache(maxsize=16)
def _spread(samples: tuple[float, ...], min_bandwidth: float, prior_spread: float) -> Spread | None:
    # Keyed on the window: the pacer asks on every poll decision, the window changes per task end.
    ordered = tuple(sorted(s for s in samples if 0.0 < s < math.inf))
    if not ordered:
        return None
    logs = tuple(math.log(s) for s in ordered)
    n = len(logs)
    mean = sum(logs) / n
    sd = math.sqrt(sum((x - mean) ** 2 for x in logs) / n)
    silverman = 1.06 * sd * n**-0.2
    return Spread(ordered, logs, max(silverman, min_bandwidth, prior_spread / n))


def hazard(window: Spread, age: float) -> float:
    """The smoothed distribution's hazard at `age` (per second): density over survival."""
    if age <= 0.0:
        return 0.0
    x, bw = math.log(age), window.bandwidth
    density = survival = 0.0
    for i, log in enumerate(window.logs):
        z = (x - log) / bw
        if z < -8.0:  # this kernel and all later ones (sorted) lie wholly ahead
            survival += len(window.logs) - i
            break
        if z < 8.0:
            density += math.exp(-0.5 * z * z)
            survival += 0.5 * math.erfc(z / _SQRT2)
    if survival <= 0.0:
        return math.inf
    return density * _NORM / (bw * age) / survival


@lru_cache(maxsize=64)
def smoothed_quantile(window: Spread, u: float) -> float:
    """The u-quantile (0..1) of the smoothed distribution (its kernels in log-time)."""
    bw, logs = window.bandwidth, window.logs
    low, high = logs[0] - 8.0 * bw, logs[-1] + 8.0 * bw
    target = max(1e-9, min(1.0 - 1e-9, u)) * len(logs)
    for _ in range(32):  # bisection: the range (a few units of log-time) to under 1e-9 of it
        mid = 0.5 * (low + high)
        below = sum(0.5 * math.erfc((log - mid) / (bw * _SQRT2)) for log in logs)
        low, high = (mid, high) if below < target else (low, mid)
    return math.exp(0.5 * (low + high))


def cdf(ordered: Sequence[float], x: float) -> float:
    """The empirical distribution at x, linearly interpolated between sorted samples (0..1)."""
    n = len(ordered)
    if n == 0 or x < ordered[0]:
        return 0.0
    if x >= ordered[-1]:
        return 1.0
    if n == 1:
        return 1.0
    i = bisect.bisect_right(ordered, x) - 1  # ordered[i] <= x < ordered[i + 1]
    low, high = ordered[i], ordered[i + 1]
    frac = (x - low) / (high - low) if high > low else 1.0
    return (i + frac) / (n - 1)


def inverse_cdf(ordered: Sequence[float], u: float) -> float:
    """The u-quantile (0..1) of sorted samples, by the same interpolation as `cdf`."""
    if not ordered:
        raise ValueError("quantile of no samples")
    position = max(0.0, min(1.0, u)) * (len(ordered) - 1)
    i = int(position)
    if i >= len(ordered) - 1:
        return ordered[-1]
    return ordered[i] + (ordered[i + 1] - ordered[i]) * (position - i)


def next_poll_age(
    *,
    last_age: float | None,
    last_gap: float | None,
    samples: Sequence[float],
    scout: bool,
    plan: PollPlan = PollPlan(),
    scale: float = 1.0,
    running: Sequence[float] = (),
    started: float | None = None,
    pending: bool = False,
) -> float:
    """The age of a task (seconds since it was created) at which to poll it next.

    `last_age`: its age at its previous poll (None before the first); `last_gap`: the time
    between its two previous polls; `samples`: end − submit of finished tasks (any order);
    `scout`: whether it is the oldest unfinished task (matters only while nothing finished);
    `running`: end − scheduled of finished tasks; `started`: the task's age when it began
    running, if the service said; `pending`: its last poll found it PENDING.
    """
    runs = spread(running, plan) if running else None
    if last_age is not None and runs is not None:
        if started is not None:
            # Our clock starts at the create's answer, the service's at its receipt: a start
            # "after" the poll that saw it running is that difference.
            origin = min(started, last_age)
            return origin + _planned(last_age - origin, last_gap, runs, plan, scale)
        if pending:
            wait = smoothed_quantile(runs, plan.pending_quantile)
            return last_age + max(wait, plan.min_gap * scale)
    totals = spread(samples, plan)
    if totals is None:
        if last_age is None:
            return 0.0 if scout else plan.prior_hold * scale
        return last_age + _tail_gap(last_gap, plan, scale)
    if last_age is None:
        return _first(totals, plan)
    return _planned(last_age, last_gap, totals, plan, scale)


def _planned(age: float, last_gap: float | None, window: Spread, plan: PollPlan, scale: float) -> float:
    """The next age after `age` by the plan over one distribution (ages from its own origin)."""
    min_gap, max_gap = plan.min_gap * scale, plan.max_gap * scale
    if age >= window.ordered[-1]:  # older than every task seen: look less and less often
        return age + _tail_gap(last_gap, plan, scale)
    first = _first(window, plan)
    if age < first - min_gap:  # seen too early (a resumed task, a PENDING one): skip ahead
        return first
    h = hazard(window, age)
    # Real seconds of a scaled run: gap = scale / (density · √(h · scale)), h per real second.
    gap = math.sqrt(scale) / (plan.density * math.sqrt(h)) if h > 0.0 else math.inf
    return age + min(max(gap, min_gap), max_gap)


def _first(window: Spread, plan: PollPlan) -> float:
    """The age of a task's first poll over one distribution."""
    smoothed = smoothed_quantile(window, plan.first_quantile)
    if len(window.ordered) >= plan.trusted_samples:  # times that never vary: at once, when they end
        return max(smoothed, window.ordered[0])
    return smoothed


def _tail_gap(last_gap: float | None, plan: PollPlan, scale: float) -> float:
    """The gap after `last_gap` on the geometric schedule of tasks older than any seen."""
    initial = plan.tail_initial * scale
    if last_gap is None or last_gap < initial:
        return initial
    return min(last_gap * plan.tail_multiplier, plan.max_gap * scale)


def throttle_scope(code: str, *, tokens: float) -> ThrottleScope:
    """What a 429 limits: `slots` (tasks in progress), `pace` (every request of its kind), or
    `request` (only this one). `tokens`: what is left in our own bucket of that kind; below one,
    we were sending at our full pace, and the service's limit is evidently lower."""
    if code.startswith(ALLOCATION_QUOTA):
        return "slots"
    return "pace" if tokens < 1.0 else "request"
