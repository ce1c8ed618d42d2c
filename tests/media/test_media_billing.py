"""Billed input seconds: each video counts min(length, budget / number of references)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shotscript.media.billing import billed_input_seconds

# video lengths, references in all, billed input seconds (budget 5 s from the capability data)
CASES = [
    ([], 1, 0.0),  # images only: free
    ([10.0], 1, 5.0),  # one long video: capped at 5
    ([3.0], 1, 3.0),  # shorter than the cap: its length
    ([10.0], 2, 2.5),  # the seed smartwatch would be 5 / 2 with a second (image) reference
    ([10.0, 10.0], 4, 2.5),  # multi-character: two videos of four references, 1.25 each
    ([1.0, 10.0], 4, 2.25),
    ([None], 2, 2.5),  # unknown length: billed at the cap (the worst case)
    ([10.0, 10.0, 10.0], 3, 5.0),
]


@pytest.mark.parametrize(("durations", "n", "expected"), CASES)
def test_billed_input_seconds(durations: list[float | None], n: int, expected: float) -> None:
    assert billed_input_seconds(durations, n) == pytest.approx(expected)


def test_budget_can_be_given() -> None:
    assert billed_input_seconds([10.0], 2, budget=8) == 4.0


@given(
    durations=st.lists(st.one_of(st.none(), st.floats(min_value=0, max_value=60)), min_size=1, max_size=3),
    images=st.integers(min_value=0, max_value=2),
)
def test_never_more_than_the_budget(durations: list[float | None], images: int) -> None:
    billed = billed_input_seconds(durations, len(durations) + images)
    assert 0 <= billed <= 5 + 1e-9
