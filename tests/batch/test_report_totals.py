"""The batch's totals line: what the summary and `status` print last."""

from __future__ import annotations

from shotscript.batch.report import Totals, totals_line


def totals(stories: int, **states: int) -> Totals:
    return Totals(stories=stories, states=states, billed_seconds=5.0, cost=1.5, pending_seconds=0.0,
                  pending_cost=0.0, upper_bound=False, currency="CNY")


def test_one_story_is_a_story_and_money_is_in_cents() -> None:
    assert totals_line(totals(1, done=1)).startswith("1 story: 1 done, 0 failed · billed 5 s = ¥1.50")
    assert totals_line(totals(2, done=1, failed=1)).startswith("2 stories: 1 done, 1 failed")
