"""Time as the service shows it: Beijing time, `YYYY-MM-DD HH:MM:SS.mmm` and friends."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

# The service reports and filters times in China Standard Time whatever the region.
API_TZ = timezone(timedelta(hours=8))
LIST_TIME_FORMAT = "%Y%m%d%H%M%S"


class Clock:
    """Wall time for timestamps and monotonic time for durations (a seam for tests)."""

    def wall(self) -> float:
        """Seconds since the epoch."""
        return time.time()

    def mono(self) -> float:
        """Seconds on a clock that never jumps."""
        return time.monotonic()


def api_timestamp(epoch: float) -> str:
    """`2026-02-01 12:34:56.789`, the form of `submit_time`, `scheduled_time`, `end_time`."""
    moment = datetime.fromtimestamp(epoch, API_TZ)
    return moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{moment.microsecond // 1000:03d}"


def parse_list_time(text: str) -> float:
    """Parse a task-list filter time (`YYYYMMDDhhmmss`, Beijing time) into epoch seconds."""
    moment = datetime.strptime(text, LIST_TIME_FORMAT).replace(tzinfo=API_TZ)
    return moment.timestamp()


def millis(epoch: float) -> int:
    """Epoch milliseconds, as the task list reports times."""
    return int(epoch * 1000)
