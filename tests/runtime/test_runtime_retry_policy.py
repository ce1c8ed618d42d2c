"""Retry decisions are pure: whether to send again, and after how long."""

from __future__ import annotations

import email.utils

import pytest

from shotscript.runtime.errors import (
    APIConnectionError,
    AuthenticationError,
    BadRequestError,
    ConcurrencyQuotaError,
    ContentModerationError,
    ProtocolError,
    RateLimitError,
    RenderError,
    RequestTimeoutError,
    ServerError,
)
from shotscript.runtime.retry_policy import (
    RetryPolicy,
    backoff_delay,
    outcome_unknown,
    parse_retry_after,
    proves_not_created,
    retry_delay,
)

P = RetryPolicy(
    max_retries=4,
    initial_delay=0.5,
    max_delay=8.0,
    jitter=0.25,
    allocation_pause=20.0,
)
NOW = 1_700_000_000.0


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("", None),
        ("3", 3.0),
        ("0.5", 0.5),
        ("-4", 0.0),
        ("soon", None),
        (email.utils.formatdate(NOW + 12, usegmt=True), 12.0),
        (email.utils.formatdate(NOW - 30, usegmt=True), 0.0),
    ],
)
def test_parse_retry_after(header: str | None, expected: float | None) -> None:
    got = parse_retry_after(header, now=NOW)
    assert got == (pytest.approx(expected, abs=1.0) if expected else expected)


@pytest.mark.parametrize(
    ("retry", "rand", "expected"),
    [
        (0, 0.0, 0.5),
        (1, 0.0, 1.0),
        (2, 0.0, 2.0),
        (3, 0.0, 4.0),
        (4, 0.0, 8.0),
        (9, 0.0, 8.0),
        (0, 1.0, 0.375),
        (4, 0.5, 7.0),
    ],
)
def test_backoff_table(retry: int, rand: float, expected: float) -> None:
    assert backoff_delay(retry, P, rand) == pytest.approx(expected)


def _api(cls: type, status: int) -> RenderError:
    return cls("x", status=status)


SENT = APIConnectionError("reset", sent=True)
UNSENT = APIConnectionError("refused", sent=False)

# (error, idempotent, retries done, Retry-After, expected delay or None)
CASES = [
    # polls (idempotent): every retryable error is retried with back-off
    (_api(ServerError, 500), True, 0, None, 0.5),
    (_api(ServerError, 503), True, 2, None, 2.0),
    (SENT, True, 1, None, 1.0),
    (UNSENT, True, 0, None, 0.5),
    (_api(RequestTimeoutError, 408), True, 0, None, 0.5),
    (_api(RateLimitError, 429), True, 0, 3.0, 3.0),  # Retry-After wins over back-off
    (_api(RateLimitError, 429), True, 0, 0.0, 0.0),
    (_api(RateLimitError, 429), True, 0, 61.0, None),  # too long to wait in-process
    (_api(ServerError, 500), True, 4, None, None),  # retries exhausted
    (_api(AuthenticationError, 401), True, 0, None, None),  # never retryable
    (_api(BadRequestError, 400), True, 0, None, None),
    (_api(ContentModerationError, 400), True, 0, None, None),
    (_api(ConcurrencyQuotaError, 429), True, 0, None, 20.0),  # the longer pause
    (_api(ConcurrencyQuotaError, 429), True, 0, 5.0, 5.0),
    # creates (not idempotent): only errors proving nothing was created are retried
    (_api(RateLimitError, 429), False, 0, 2.0, 2.0),
    (_api(RateLimitError, 429), False, 1, None, 1.0),
    (UNSENT, False, 0, None, 0.5),
    (SENT, False, 0, None, None),  # cut after sending: the task may exist
    (_api(ServerError, 500), False, 0, None, None),
    (_api(ServerError, 503), False, 0, 1.0, None),
    (_api(RequestTimeoutError, 408), False, 0, None, None),
]


@pytest.mark.parametrize(("error", "idempotent", "done", "retry_after", "expected"), CASES)
def test_retry_delay_table(
    error: RenderError,
    idempotent: bool,
    done: int,
    retry_after: float | None,
    expected: float | None,
) -> None:
    got = retry_delay(
        error, retries_done=done, idempotent=idempotent, retry_after=retry_after, policy=P, rand=0.0,
        retry_after_max=60.0,
    )
    assert got == (pytest.approx(expected) if expected is not None else None)


@pytest.mark.parametrize(
    ("error", "not_created", "unknown"),
    [
        (_api(RateLimitError, 429), True, False),
        (UNSENT, True, False),
        (SENT, False, True),
        (_api(ServerError, 500), False, True),
        (_api(RequestTimeoutError, 408), False, True),
        (ProtocolError("garbled 200"), False, True),
        (_api(BadRequestError, 400), False, False),
        (_api(AuthenticationError, 401), False, False),
    ],
)
def test_create_outcome_classes(error: RenderError, not_created: bool, unknown: bool) -> None:
    assert proves_not_created(error) is not_created
    assert outcome_unknown(error) is unknown
