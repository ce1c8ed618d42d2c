"""Per-account quotas: create rate, tasks in progress, poll rate; refusals are 429s."""

from __future__ import annotations

from dataclasses import dataclass, field

from shotscript.emulator.errors import MSG_ALLOCATION, MSG_THROTTLED, throttled


@dataclass
class TokenBucket:
    """`rate` admissions per second with bursts up to max(1, rate), refilled continuously."""

    rate: float
    tokens: float = -1.0  # -1: not used yet, starts full
    stamp: float = 0.0

    def take(self, now: float) -> float | None:
        """Admit one request (None), or return the seconds until one would be admitted."""
        capacity = max(1.0, self.rate)
        if self.tokens < 0:
            self.tokens = capacity
        else:
            self.tokens = min(capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return None
        return (1.0 - self.tokens) / self.rate


@dataclass
class Quotas:
    """The quotas of every account; `admit_*` raise a 429 `ApiError` when one is exhausted."""

    create_rps: float
    poll_rps: float
    max_running: int
    fractional: bool = False  # Retry-After below a second as a decimal (time scale < 1)
    _creates: dict[tuple[str, str], TokenBucket] = field(default_factory=dict)
    _polls: dict[str, TokenBucket] = field(default_factory=dict)

    def admit_create(self, account: str, model: str, now: float) -> None:
        """Count one task creation against the per-account, per-model rate."""
        bucket = self._creates.setdefault((account, model), TokenBucket(self.create_rps))
        wait = bucket.take(now)
        if wait is not None:
            raise throttled("Throttling.RateQuota", MSG_THROTTLED, wait, fractional=self.fractional)

    def admit_running(self, in_progress: int, soonest_end: float) -> None:
        """Refuse a new task while the account already has `max_running` in progress."""
        if in_progress >= self.max_running:
            # Retry-After: when the first of them is expected to finish.
            code, fractional = "Throttling.AllocationQuota", self.fractional
            raise throttled(code, MSG_ALLOCATION, soonest_end, fractional=fractional)

    def admit_poll(self, account: str, now: float) -> None:
        """Count one task query against the per-account query rate."""
        wait = self._polls.setdefault(account, TokenBucket(self.poll_rps)).take(now)
        if wait is not None:
            raise throttled("Throttling.RateQuota", MSG_THROTTLED, wait, fractional=self.fractional)
