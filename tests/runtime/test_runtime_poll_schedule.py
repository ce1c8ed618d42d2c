"""The poll schedule: quick at first, growing, capped, jittered, Retry-After as a floor."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shotscript.runtime.poll_schedule import PollSchedule, poll_delay, scale_from_env, waits_until

S = PollSchedule(initial_delay=2.0, multiplier=1.5, max_delay=15.0, jitter=0.2)


@pytest.mark.parametrize(
    ("index", "rand", "expected"),
    [
        (0, 0.5, 2.0),  # rand 0.5 = no jitter
        (1, 0.5, 3.0),
        (2, 0.5, 4.5),
        (3, 0.5, 6.75),
        (4, 0.5, 10.125),
        (5, 0.5, 15.0),  # capped
        (50, 0.5, 15.0),  # and stays capped, no overflow
        (0, 0.0, 1.6),  # -20 %
        (0, 1.0, 2.4),  # +20 %
        (9, 0.0, 12.0),
        (-3, 0.5, 2.0),  # a negative index is treated as the first
    ],
)
def test_delay_table(index: int, rand: float, expected: float) -> None:
    assert poll_delay(index, S, rand) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("retry_after", "expected"),
    [(None, 2.0), (0.5, 2.0), (7.0, 7.0), (60.0, 60.0)],
)
def test_retry_after_is_a_floor(retry_after: float | None, expected: float) -> None:
    assert poll_delay(0, S, 0.5, retry_after) == pytest.approx(expected)


def test_scale_shrinks_waits_but_not_retry_after() -> None:
    fast = S.scaled(0.01)
    assert poll_delay(5, fast, 0.5) == pytest.approx(0.15)
    assert poll_delay(5, fast, 0.5, retry_after=1.0) == pytest.approx(1.0)
    assert fast.deadline_seconds == pytest.approx(S.deadline * 0.01)


@given(st.integers(0, 200), st.floats(0, 1, exclude_max=True))
def test_delay_stays_within_jitter_of_the_capped_curve(index: int, rand: float) -> None:
    d = poll_delay(index, S, rand)
    base = min(2.0 * 1.5**index, 15.0)
    assert base * 0.8 - 1e-9 <= d <= base * 1.2 + 1e-9


@given(st.integers(0, 100))
def test_unjittered_delays_never_shrink(index: int) -> None:
    assert poll_delay(index + 1, S, 0.5) >= poll_delay(index, S, 0.5)


def test_a_three_minute_job_takes_about_a_dozen_polls() -> None:
    # 2 + 3 + 4.5 + 6.75 + 10.1 = 26.4 s in five polls, then every 15 s.
    waits = waits_until(180.0, S)
    assert len(waits) == 16
    assert waits[:3] == pytest.approx([2.0, 3.0, 4.5])


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, 1.0), ("", 1.0), ("0.01", 0.01), ("2", 2.0), ("0", 1.0), ("-1", 1.0), ("fast", 1.0)],
)
def test_scale_from_env(value: str | None, expected: float) -> None:
    env = {} if value is None else {"SHOTSCRIPT_POLL_SCALE": value}
    assert scale_from_env(env) == expected
