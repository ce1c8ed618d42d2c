"""The batch's pure decisions, table by table: what a run does with a story, and the pacing."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shotscript.batch import constants as C
from shotscript.batch.policy import after_error, plan_action, retry_delay, spends, start_action
from shotscript.batch.scheduler import (
    AdaptiveRate,
    TokenBucket,
    eta_seconds,
    expected_generation,
    first_poll_wait,
    pause_after_throttle,
    quantile,
    scout,
    slots_after_create,
    slots_after_full,
)

# --- what a run does with a row it finds -------------------------------------------------------

START = [
    # state, video exists, --retry-failed, retryable -> action
    ("done", True, False, False, "skip"),
    ("done", False, False, False, "render"),  # the video vanished: fetch it again (no new task)
    ("failed", False, False, True, "skip"),
    ("failed", False, True, True, "render"),
    ("failed", False, True, False, "skip"),  # e.g. content moderation: retrying cannot help
    ("queued", False, False, False, "render"),
    ("submitting", False, False, False, "render"),  # the runtime reconciles, never resends blindly
    ("submitted", False, False, False, "render"),
    ("running", False, False, False, "render"),
    ("downloading", True, False, False, "render"),
    ("needs-attention", False, False, False, "render"),
]


@pytest.mark.parametrize(("state", "video", "retry", "retryable", "expected"), START)
def test_start_action(state: str, video: bool, retry: bool, retryable: bool, expected: str) -> None:
    got = start_action(state, video_exists=video, retry_failed=retry, retryable=retryable)  # type: ignore[arg-type]
    assert got == expected


AFTER = [
    # state after the attempt, task id, retryable, attempts -> next step
    ("submitted", "t1", True, 1, "resume"),  # a poll failed: the task is ours, poll again
    ("running", "t1", True, 1, "resume"),
    ("downloading", "t1", True, 2, "resume"),  # a cut download: fetch again
    ("running", "t1", False, 1, "give_up"),  # e.g. the key was refused while polling
    ("failed", None, True, 1, "resubmit"),  # throttled before any task existed
    ("failed", "t1", True, 1, "give_up"),  # the task itself FAILED: --retry-failed decides
    ("failed", None, False, 1, "give_up"),  # refused: the request is wrong
    ("queued", None, True, 1, "resubmit"),
    ("needs-attention", None, False, 1, "reconcile"),  # the task list could not tell yet
    ("needs-attention", "t1", False, 1, "resume"),
    ("submitting", None, True, 1, "give_up"),
    ("submitted", "t1", True, C.STORY_MAX_ATTEMPTS, "give_up"),  # enough for one run
]


@pytest.mark.parametrize(("state", "task", "retryable", "attempts", "expected"), AFTER)
def test_after_error(state: str, task: str | None, retryable: bool, attempts: int, expected: str) -> None:
    got = after_error(state, task_id=task, retryable=retryable, attempts=attempts)  # type: ignore[arg-type]
    assert got == expected


PLAN = [
    # journal state, invalid, same_as, video, retry-failed, retryable -> action, spends money
    (None, False, False, False, False, False, "new", True),
    ("queued", False, False, False, False, False, "new", True),
    ("uploading", False, False, False, False, False, "new", True),
    ("submitting", False, False, False, False, False, "resume", False),
    ("running", False, False, False, False, False, "resume", False),
    ("needs-attention", False, False, False, False, False, "resume", False),
    ("done", False, False, True, False, False, "done", False),
    ("done", False, False, False, False, False, "resume", False),
    ("failed", False, False, False, False, True, "failed", False),
    ("failed", False, False, False, True, True, "retry", True),
    ("failed", False, False, False, True, False, "failed", False),
    (None, True, False, False, False, False, "invalid", False),
    (None, False, True, False, False, False, "copy", False),
]


@pytest.mark.parametrize(("state", "invalid", "same", "video", "retry", "retryable", "action", "money"), PLAN)
def test_plan_action(
    state: str | None,
    invalid: bool,
    same: bool,
    video: bool,
    retry: bool,
    retryable: bool,
    action: str,
    money: bool,
) -> None:
    got = plan_action(
        state,  # type: ignore[arg-type]
        invalid=invalid, same_as=same, video_exists=video, retry_failed=retry, retryable=retryable,
    )  # fmt: skip
    assert got == action and spends(got) is money


@given(st.integers(1, 50), st.floats(0, 0.999), st.floats(0.01, 10))
def test_retry_delay_is_capped_and_jittered_down(attempt: int, rand: float, scale: float) -> None:
    delay = retry_delay(attempt, rand, scale)
    ceiling = min(C.STORY_RETRY_INITIAL * 2 ** (attempt - 1), C.STORY_RETRY_MAX) * scale
    assert ceiling * (1 - C.STORY_RETRY_JITTER) - 1e-9 <= delay <= ceiling + 1e-9


# --- token bucket ------------------------------------------------------------------------------


@given(
    rate=st.floats(0.5, 50),
    gaps=st.lists(st.floats(0, 2), min_size=1, max_size=60),
)
def test_token_bucket_never_admits_faster_than_its_rate(rate: float, gaps: list[float]) -> None:
    """Whatever the arrivals, the n-th request is admitted no earlier than a bucket allows:
    at most capacity + rate × t requests in any span t from the start."""
    now = 0.0
    bucket = TokenBucket.full(rate, now)
    admitted = []
    for gap in gaps:
        now += gap
        bucket, wait = bucket.reserve(now)
        assert wait >= 0
        admitted.append(now + wait)
    admitted.sort()
    for n, at in enumerate(admitted, 1):
        assert n <= bucket.capacity + rate * at + 1e-6


BUCKET = [
    # rate, takes at t=0 -> wait of each
    (5.0, 5, [0, 0, 0, 0, 0]),  # a full bucket: a burst of `capacity`
    (5.0, 7, [0, 0, 0, 0, 0, 0.2, 0.4]),  # then one every 1/rate, in order of asking
    (0.5, 3, [0, 2.0, 4.0]),  # a slow bucket holds one token
]


@pytest.mark.parametrize(("rate", "takes", "waits"), BUCKET)
def test_token_bucket_table(rate: float, takes: int, waits: list[float]) -> None:
    bucket = TokenBucket.full(rate, 0.0)
    got = []
    for _ in range(takes):
        bucket, wait = bucket.reserve(0.0)
        got.append(round(wait, 6))
    assert got == waits


def test_token_bucket_refills_and_rates_change() -> None:
    bucket = TokenBucket.full(2.0, 0.0)
    for _ in range(2):
        bucket, _ = bucket.reserve(0.0)
    bucket, wait = bucket.reserve(0.0)
    assert wait == pytest.approx(0.5)
    bucket, wait = bucket.reserve(10.0)  # long idle: full again (never beyond capacity)
    assert wait == 0 and bucket.tokens <= bucket.capacity
    slower = bucket.with_rate(0.5, 10.0)
    assert slower.rate == 0.5 and slower.capacity == bucket.capacity


# --- adaptive rate on 429 ------------------------------------------------------------------------


@given(st.floats(0.1, 100), st.lists(st.booleans(), max_size=80))
def test_adaptive_rate_stays_between_floor_and_ceiling(ceiling: float, throttles: list[bool]) -> None:
    rate = AdaptiveRate.at(ceiling)
    for throttled in throttles:
        before = rate.current
        rate = rate.throttled() if throttled else rate.succeeded()
        assert rate.floor - 1e-9 <= rate.current <= rate.ceiling + 1e-9
        assert (rate.current <= before) if throttled else (rate.current >= before)


def test_adaptive_rate_halves_then_recovers_in_steps() -> None:
    rate = AdaptiveRate.at(20.0)
    assert rate.throttled().current == 10.0
    low = rate
    for _ in range(10):
        low = low.throttled()
    assert low.current == pytest.approx(low.floor)
    for _ in range(C.RATE_RECOVERY_STEPS):
        low = low.succeeded()
    assert low.current == pytest.approx(20.0)


PAUSE = [
    # now, paused until, Retry-After, scale -> paused until
    (100.0, 0.0, 3.0, 1.0, 103.0),  # the server's wish
    (100.0, 0.0, 3.0, 0.01, 103.0),  # never shortened by the test scale
    (100.0, 0.0, None, 1.0, 100.0 + C.THROTTLE_PAUSE),  # our own short pause
    (100.0, 0.0, None, 0.1, 100.0 + C.THROTTLE_PAUSE * 0.1),
    (100.0, 110.0, 3.0, 1.0, 110.0),  # an earlier, longer pause stands
]


@pytest.mark.parametrize(("now", "until", "retry_after", "scale", "expected"), PAUSE)
def test_pause_after_throttle(
    now: float, until: float, retry_after: float | None, scale: float, expected: float
) -> None:
    assert pause_after_throttle(now, until, retry_after, scale) == pytest.approx(expected)


SLOTS_FULL = [(5, 3, 3), (5, 0, 1), (5, 9, 5), (1, 0, 1)]  # limit, in progress -> limit


@pytest.mark.parametrize(("limit", "running", "expected"), SLOTS_FULL)
def test_slots_after_the_account_is_full(limit: int, running: int, expected: int) -> None:
    assert slots_after_full(limit, running) == expected


SLOTS_CREATE = [
    # limit, configured, creates since full -> limit
    (3, 5, 1, 3),
    (3, 5, C.SLOT_RECOVERY_CREATES, 4),
    (3, 5, 2 * C.SLOT_RECOVERY_CREATES, 4),
    (5, 5, 1, 5),
    (7, 5, 0, 5),
]


@pytest.mark.parametrize(("limit", "configured", "since", "expected"), SLOTS_CREATE)
def test_slots_after_a_create(limit: int, configured: int, since: int, expected: int) -> None:
    assert slots_after_create(limit, configured, since) == expected


# --- when to look at a task first --------------------------------------------------------------


def test_quantile_and_expected_generation() -> None:
    assert quantile([4.0, 1.0, 3.0, 2.0], 0.0) == 1.0
    assert quantile([4.0, 1.0, 3.0, 2.0], 1.0) == 4.0
    assert quantile([1.0, 2.0], 0.5) == 1.5
    assert expected_generation([]) is None
    assert expected_generation([90.0]) == 90.0
    # Only the most recent window counts: the service got faster.
    old, new = [200.0] * 100, [60.0] * C.GENERATION_WINDOW
    assert expected_generation(old + new) == 60.0
    with pytest.raises(ValueError):
        quantile([], 0.5)


@given(st.lists(st.floats(1, 600), min_size=1, max_size=80))
def test_expected_generation_lies_within_the_samples(samples: list[float]) -> None:
    expected = expected_generation(samples)
    recent = samples[-C.GENERATION_WINDOW :]
    assert expected is not None and min(recent) - 1e-9 <= expected <= max(recent) + 1e-9


FIRST_POLL = [
    # created, expected, scout, now -> wait (None: until the scout's task ends)
    (100.0, 60.0, False, 100.0, 60.0),
    (100.0, 60.0, True, 130.0, 30.0),
    (100.0, 60.0, False, 200.0, 0.0),  # already due
    (100.0, None, True, 100.0, 0.0),  # the scout looks at once (and by the schedule after)
    (100.0, None, False, 100.0, None),  # the others wait for news
]


@pytest.mark.parametrize(("created", "expected", "is_scout", "now", "wait"), FIRST_POLL)
def test_first_poll_wait(
    created: float, expected: float | None, is_scout: bool, now: float, wait: float | None
) -> None:
    assert first_poll_wait(created_at=created, expected=expected, is_scout=is_scout, now=now) == wait


def test_the_scout_is_the_oldest_task() -> None:
    assert scout({}) is None
    assert scout({"b": 2.0, "a": 1.0, "c": 3.0}) == "a"
    assert scout({"b": 1.0, "a": 1.0}) == "a"  # ties: by id, so the choice is stable


ETA = [
    # remaining, in flight, concurrency, mean -> seconds
    (10, 5, 5, 60.0, 180.0),
    (0, 0, 5, 60.0, 0.0),
    (1, 0, 5, 60.0, 60.0),
    (10, 5, 5, None, None),
]


@pytest.mark.parametrize(("remaining", "flight", "concurrency", "mean", "expected"), ETA)
def test_eta(
    remaining: int, flight: int, concurrency: int, mean: float | None, expected: float | None
) -> None:
    got = eta_seconds(remaining=remaining, in_flight=flight, concurrency=concurrency, mean_story_seconds=mean)
    assert got == expected or (got is not None and expected is not None and math.isclose(got, expected))


def test_a_state_this_version_does_not_know_is_never_submitted() -> None:
    from shotscript.batch.policy import after_error

    assert after_error("paused", task_id=None, retryable=True, attempts=1) == "give_up"  # type: ignore[arg-type]
