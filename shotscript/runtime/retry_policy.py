"""Whether to send a failed request again, and how long to wait first: pure functions only."""

from __future__ import annotations

import email.utils
import math
from dataclasses import dataclass, replace

from shotscript.runtime import constants as C
from shotscript.runtime.errors import (
    APIConnectionError,
    ConcurrencyQuotaError,
    ProtocolError,
    RateLimitError,
    RenderError,
    RequestTimeoutError,
    ServerError,
)


@dataclass(frozen=True)
class RetryPolicy:
    """How many times, and how patiently, one request is tried again."""

    max_retries: int = C.MAX_RETRIES
    initial_delay: float = C.RETRY_INITIAL_DELAY
    max_delay: float = C.RETRY_MAX_DELAY
    jitter: float = C.RETRY_JITTER
    allocation_pause: float = C.ALLOCATION_QUOTA_PAUSE

    def scaled(self, scale: float) -> RetryPolicy:
        """The same policy with our own waits multiplied (a server's Retry-After is not)."""
        return replace(
            self,
            initial_delay=self.initial_delay * scale,
            max_delay=self.max_delay * scale,
            allocation_pause=self.allocation_pause * scale,
        )


def parse_retry_after(value: str | None, *, now: float) -> float | None:
    """Seconds a `Retry-After` header asks for (delta-seconds or HTTP date), or None."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        # `inf` (or 1e999) is a wait for ever: over any cap. `nan` says nothing.
        return None if math.isnan(seconds) else max(0.0, seconds)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    try:
        return max(0.0, when.timestamp() - now)
    except (OverflowError, ValueError, OSError):
        return None


def backoff_delay(retry_index: int, policy: RetryPolicy, rand: float) -> float:
    """Capped exponential back-off for retry number `retry_index` (0-based), minus jitter.

    `rand` in [0, 1) comes from the caller so the function stays pure and testable.
    """
    base = min(policy.initial_delay * (2.0 ** max(0, retry_index)), policy.max_delay)
    return base * (1.0 - policy.jitter * rand)


def proves_not_created(error: RenderError) -> bool:
    """Whether a failed create certainly made no task (so sending it again cannot bill twice)."""
    if isinstance(error, RateLimitError):
        return True  # throttling refuses the request before a task exists
    return isinstance(error, APIConnectionError) and not error.sent


def outcome_unknown(error: RenderError) -> bool:
    """Whether a failed create may nevertheless have made a task (and billed it)."""
    if isinstance(error, APIConnectionError):
        return error.sent
    return isinstance(error, ServerError | RequestTimeoutError | ProtocolError)


def retry_delay(
    error: RenderError,
    *,
    retries_done: int,
    idempotent: bool,
    retry_after: float | None,
    policy: RetryPolicy,
    rand: float,
    retry_after_max: float,
) -> float | None:
    """Seconds to wait before sending the request again, or None to give up now.

    `retry_after_max`: the longest `Retry-After` waited in-process (`RuntimeLimits`).

    A request that is not idempotent (task creation) is sent again only when the error
    proves the first one created nothing: a task must never be paid for twice.
    """
    if not error.retryable or retries_done >= policy.max_retries:
        return None
    if not idempotent and not proves_not_created(error):
        return None
    if retry_after is not None:
        # The server knows best, but a wait of minutes belongs to the caller, not to a loop.
        return retry_after if retry_after <= retry_after_max else None
    delay = backoff_delay(retries_done, policy, rand)
    if isinstance(error, ConcurrencyQuotaError):
        delay = max(delay, policy.allocation_pause * (1.0 - policy.jitter * rand))
    return delay
