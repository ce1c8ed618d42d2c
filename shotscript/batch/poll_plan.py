"""When a batch looks at each task, and what a 429 asks of it: pure functions and frozen values.

Polls: the generation times of the tasks that finished are the distribution a running task
is drawn from. Its first poll comes at a low quantile of them; after that, each poll is one
`mass_step` of that distribution further on (dense where tasks usually end, sparse where they
seldom do), never closer than `min_gap` nor further than `max_gap`; past the slowest time
seen, a geometric schedule up to `max_gap`. Before any task has finished, only the oldest
task (the scout) polls; the others wait for it, but not beyond `prior_hold`, so one slow task
cannot leave the finished ones undetected.

429s: `Throttling.AllocationQuota` is the account's limit of tasks in progress (fewer slots;
polls and the create rate are untouched); any other throttling slows every request of its
kind only when we were sending at our own full pace, otherwise only the refused request
waits (its `Retry-After`).

Times are seconds; the tunables are service seconds, multiplied by `scale` (emulator runs).
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

ThrottleScope = Literal["slots", "pace", "request"]
ALLOCATION_QUOTA = "Throttling.AllocationQuota"


@dataclass(frozen=True)
class PollPlan:
    """The tunables of the poll plan (service seconds)."""

    first_quantile: float = 0.05  # the first poll: when this share of tasks had finished
    # Each later poll: this much more of the distribution, at most max_gap later. Simulated
    # over the emulator's realistic times (log-normal around 80 s, a 5 % tail ×2–4, queueing):
    # 18 polls a task with a detection p50 of 1.9 s and p95 of 5.8 s, where the SDK's wait()
    # polls 28 times for 2.5 s / 4.8 s (0.05 and 15 s: 11 polls, 3.2 s / 12.8 s).
    mass_step: float = 0.03
    min_gap: float = 1.0  # never two polls of a task closer than this
    max_gap: float = 6.0  # nor further apart (the docs suggest up to 15 s; 20 polls/s are allowed)
    tail_initial: float = 2.0  # past the slowest time seen: 2 s, growing ×1.5 up to max_gap
    tail_multiplier: float = 1.5
    prior_hold: float = 60.0  # before anything finished, non-scouts wait at most this long


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
) -> float:
    """The age of a task (seconds since it was created) at which to poll it next.

    `last_age`: its age at its previous poll (None before the first); `last_gap`: the time
    between its two previous polls; `samples`: generation times of finished tasks (any order);
    `scout`: whether it is the oldest unfinished task (matters only while nothing finished).
    """
    min_gap, max_gap = plan.min_gap * scale, plan.max_gap * scale
    if not samples:
        if last_age is None:
            return 0.0 if scout else plan.prior_hold * scale
        return last_age + _tail_gap(last_gap, plan, scale)
    ordered = sorted(samples)
    if last_age is None:
        return inverse_cdf(ordered, plan.first_quantile)
    reached = cdf(ordered, last_age)
    if reached >= 1.0:  # older than every task seen: look less and less often
        return last_age + _tail_gap(last_gap, plan, scale)
    target = inverse_cdf(ordered, reached + plan.mass_step)
    return min(max(target, last_age + min_gap), last_age + max_gap)


def _tail_gap(last_gap: float | None, plan: PollPlan, scale: float) -> float:
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
