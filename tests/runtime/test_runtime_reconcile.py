"""Deciding which task, if any, an unanswered create made: pure parts."""

from __future__ import annotations

from shotscript.runtime.client import ListedTask
from shotscript.runtime.reconcile import candidates, decide


def row(
    task_id: str, *, model: str = "m", created: float | None = 100.0, rid: str | None = None
) -> ListedTask:
    return ListedTask(task_id=task_id, status="PENDING", model=model, request_id=rid, created=created, raw={})


def test_candidates_filter_model_window_and_known_ids() -> None:
    rows = [
        row("a"),
        row("b", model="other"),
        row("c", created=10.0),  # long before the create
        row("d", created=None),  # unknown time: kept
        row("e"),
    ]
    got = candidates(rows, model="m", since=50.0, until=150.0, known=frozenset({"e"}))
    assert [r.task_id for r in got] == ["a", "d"]


def test_request_id_settles_it() -> None:
    rows = [row("a", rid="r1"), row("b", rid="r2")]
    v = decide(rows, request_id="r2", prompts={}, prompt="p")
    assert (v.verdict, v.task_id) == ("found", "b")


def test_one_candidate_is_adopted() -> None:
    v = decide([row("a")], request_id=None, prompts={"a": None}, prompt="p")
    assert (v.verdict, v.task_id) == ("found", "a")


def test_none_means_nothing_was_created() -> None:
    assert decide([], request_id=None, prompts={}, prompt="p").verdict == "none"


def test_other_prompts_are_other_peoples_tasks() -> None:
    rows = [row("a"), row("b")]
    v = decide(rows, request_id=None, prompts={"a": "other prompt", "b": "p"}, prompt="p")
    assert (v.verdict, v.task_id) == ("found", "b")
    v = decide(rows, request_id=None, prompts={"a": "x", "b": "y"}, prompt="p")
    assert v.verdict == "none"


def test_two_unknown_candidates_are_ambiguous() -> None:
    v = decide([row("a"), row("b")], request_id=None, prompts={}, prompt="p")
    assert v.verdict == "ambiguous" and "a" in v.detail and "b" in v.detail
