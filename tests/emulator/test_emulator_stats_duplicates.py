"""The duplicate-create counters: every equal body, and those that would be billed twice."""

from __future__ import annotations

from shotscript.emulator.stats import Stats


def test_a_second_create_is_billable_only_when_an_earlier_equal_task_will_not_fail() -> None:
    stats = Stats()
    assert stats.record_create("a", fails=True) is False
    assert stats.record_create("a") is True  # sent again after a FAILED task: free, honest
    assert (stats.duplicate_creates, stats.billable_duplicate_creates) == (1, 0)
    assert stats.record_create("a") is True  # an earlier equal task will be billed
    assert (stats.duplicate_creates, stats.billable_duplicate_creates) == (2, 1)
    assert stats.as_dict()["billable_duplicate_creates"] == 1
