"""How long to wait between polls of a minutes-long task: pure functions only."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace

from shotscript.runtime import constants as C


@dataclass(frozen=True)
class PollSchedule:
    """Quick at first, growing geometrically, capped, jittered; `scale` shrinks it for tests."""

    initial_delay: float = C.POLL_INITIAL_DELAY
    multiplier: float = C.POLL_MULTIPLIER
    max_delay: float = C.POLL_MAX_DELAY
    jitter: float = C.POLL_JITTER
    deadline: float = C.POLL_DEADLINE
    scale: float = 1.0

    def scaled(self, scale: float) -> PollSchedule:
        """The same schedule with every wait multiplied by `scale`."""
        return replace(self, scale=scale)

    @property
    def deadline_seconds(self) -> float:
        """How long to poll in all before giving up (the task stays recorded)."""
        return self.deadline * self.scale


def scale_from_env(environ: dict[str, str] | None = None) -> float:
    """The poll scale from `SHOTSCRIPT_POLL_SCALE` (1.0 when unset or not a positive number)."""
    raw = (environ if environ is not None else os.environ).get(C.ENV_POLL_SCALE, "")
    try:
        value = float(raw)
    except ValueError:
        return 1.0
    return value if value > 0 else 1.0


def poll_delay(
    poll_index: int,
    schedule: PollSchedule,
    rand: float,
    retry_after: float | None = None,
) -> float:
    """Seconds to wait after poll number `poll_index` (0-based) before the next one.

    `rand` in [0, 1) comes from the caller (pure, testable); a `Retry-After` from the server
    is a floor that no scale shortens.
    """
    base = min(schedule.initial_delay * schedule.multiplier ** max(0, poll_index), schedule.max_delay)
    delay = base * (1.0 + schedule.jitter * (2.0 * rand - 1.0)) * schedule.scale
    return max(delay, retry_after) if retry_after is not None else delay


def waits_until(total: float, schedule: PollSchedule) -> list[float]:
    """The un-jittered waits of a task that takes `total` seconds (for docs and benchmarks)."""
    waits: list[float] = []
    elapsed = 0.0
    while elapsed < total:
        wait = poll_delay(len(waits), schedule, 0.5)
        waits.append(wait)
        elapsed += wait
    return waits
