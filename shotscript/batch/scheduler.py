"""Pacing a batch against the account's quotas: pure functions and frozen values only.

A token bucket per kind of request (creates, polls); a rate that halves on every HTTP 429 and
climbs back step by step (AIMD); a limit on tasks in progress that shrinks when the service
says the account is full (`Throttling.AllocationQuota`); and when to look at a task first,
from how long the tasks before it took. `pacing.py` applies them to live traffic.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from shotscript.batch import constants as C


@dataclass(frozen=True)
class TokenBucket:
    """`rate` requests per second, bursts of up to `capacity`; tokens may go negative, which
    is a queue of reservations: each taker learns how long to wait for its turn."""

    rate: float
    capacity: float
    tokens: float
    stamp: float

    @classmethod
    def full(cls, rate: float, now: float, capacity: float | None = None) -> TokenBucket:
        """A bucket that starts full (a fresh account may burst)."""
        cap = max(1.0, rate if capacity is None else capacity)
        return cls(rate=rate, capacity=cap, tokens=cap, stamp=now)

    def refilled(self, now: float) -> TokenBucket:
        """The bucket at `now` (time never runs backwards here)."""
        elapsed = max(0.0, now - self.stamp)
        return replace(
            self, tokens=min(self.capacity, self.tokens + elapsed * self.rate), stamp=max(now, self.stamp)
        )

    def reserve(self, now: float) -> tuple[TokenBucket, float]:
        """Take one token: the new bucket and the seconds to wait before using it."""
        bucket = self.refilled(now)
        bucket = replace(bucket, tokens=bucket.tokens - 1.0)
        wait = 0.0 if bucket.tokens >= 0 else -bucket.tokens / bucket.rate
        return bucket, wait

    def with_rate(self, rate: float, now: float) -> TokenBucket:
        """The same bucket refilling at another rate from `now` on (capacity unchanged)."""
        return replace(self.refilled(now), rate=rate)


@dataclass(frozen=True)
class AdaptiveRate:
    """A request rate between a floor and the configured ceiling: halved by each 429, raised
    additively by each success (AIMD: many clients converge on a fair share without talking)."""

    ceiling: float
    current: float
    floor: float
    step: float

    @classmethod
    def at(cls, ceiling: float) -> AdaptiveRate:
        """Start at the ceiling."""
        floor = max(ceiling * C.RATE_FLOOR_FRACTION, 1e-3)
        step = (ceiling - floor) / C.RATE_RECOVERY_STEPS
        return cls(ceiling=ceiling, current=ceiling, floor=floor, step=step)

    def throttled(self) -> AdaptiveRate:
        """After a 429: multiplicative decrease."""
        return replace(self, current=max(self.floor, self.current * C.RATE_DECREASE))

    def succeeded(self) -> AdaptiveRate:
        """After an answer that was not a 429: additive increase."""
        return replace(self, current=min(self.ceiling, self.current + self.step))


def pause_after_throttle(now: float, paused_until: float, retry_after: float | None, scale: float) -> float:
    """Until when requests of one kind wait after a 429: the server's Retry-After when it gave
    one (never shortened), else a short pause of our own (scaled for tests)."""
    pause = retry_after if retry_after is not None else C.THROTTLE_PAUSE * scale
    return max(paused_until, now + max(0.0, pause))


def slots_after_full(limit: int, in_progress: int) -> int:
    """Tasks allowed at once after the service said the account is full: what already runs
    is evidently all it takes now (another client may share the account); at least one."""
    return max(1, min(limit, in_progress))


def slots_after_create(limit: int, configured: int, creates_since_full: int) -> int:
    """Tasks allowed at once after a successful create: one more every few creates, up to
    the configured concurrency."""
    if limit >= configured:
        return configured
    if creates_since_full > 0 and creates_since_full % C.SLOT_RECOVERY_CREATES == 0:
        return limit + 1
    return limit


def quantile(values: Sequence[float], q: float) -> float:
    """The q-quantile (0..1) of non-empty values, by linear interpolation."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("quantile of no values")
    position = q * (len(ordered) - 1)
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def expected_generation(samples: Sequence[float]) -> float | None:
    """How long a task is expected to take, from the most recent finished ones; None before
    any has finished. A low quantile: a task looked at early costs a poll, late costs time."""
    recent = [s for s in samples[-C.GENERATION_WINDOW :] if s > 0]
    if not recent:
        return None
    return quantile(recent, C.GENERATION_QUANTILE)


def scout(unfinished: Mapping[str, float]) -> str | None:
    """The task that is looked at while no generation time is known yet: the oldest one
    (task id -> when created). The others wait for it to finish instead of all polling."""
    return min(unfinished, key=lambda task: (unfinished[task], task)) if unfinished else None


def first_poll_wait(*, created_at: float, expected: float | None, is_scout: bool, now: float) -> float | None:
    """Seconds before a new task's first poll: until tasks like it have finished when that is
    known; at once for the scout; None (until the scout's task ends) for the others."""
    if expected is not None:
        return max(0.0, created_at + expected - now)
    return 0.0 if is_scout else None


def eta_seconds(
    *, remaining: int, in_flight: int, concurrency: int, mean_story_seconds: float | None
) -> float | None:
    """Seconds until the batch should be done: the waves still to come times a story's mean
    time (None until one story has finished)."""
    if mean_story_seconds is None:
        return None
    if remaining <= 0 and in_flight <= 0:
        return 0.0
    waves = math.ceil((remaining + in_flight) / max(1, concurrency))
    return waves * mean_story_seconds
