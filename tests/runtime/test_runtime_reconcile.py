"""Deciding which task, if any, an unanswered create made: pure parts."""

from __future__ import annotations

from shotscript.runtime.client import ListedTask
from shotscript.runtime.reconcile import Followed, candidates, decide, same_result


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
    v = decide(rows, request_id="r2", followed={}, prompt="p")
    assert (v.verdict, v.task_id) == ("found", "b")


def done(prompt: str | None, **usage: object) -> Followed:
    return Followed("SUCCEEDED", prompt, dict(usage))


def test_only_a_succeeded_task_with_this_prompt_is_adopted() -> None:
    v = decide([row("a")], request_id=None, followed={"a": done("p")}, prompt="p")
    assert (v.verdict, v.task_id) == ("found", "a")
    # The service may cut a long prompt short: still ours.
    cut = decide([row("a")], request_id=None, followed={"a": done("p1")}, prompt="p1 and more")
    assert cut.verdict == "found"


def test_a_running_candidate_is_never_adopted_on_a_guess() -> None:
    v = decide([row("a")], request_id=None, followed={"a": Followed("RUNNING")}, prompt="p")
    assert v.verdict == "ambiguous" and "a" in v.detail and "still running" in v.detail


def test_none_means_nothing_was_created() -> None:
    assert decide([], request_id=None, followed={}, prompt="p").verdict == "none"
    # Candidates that ended FAILED billed nothing: sending again is honest.
    failed = {"a": Followed("FAILED"), "b": Followed("CANCELED")}
    assert decide([row("a"), row("b")], request_id=None, followed=failed, prompt="p").verdict == "none"


def test_other_prompts_and_other_results_are_other_peoples_tasks() -> None:
    rows = [row("a"), row("b")]
    v = decide(rows, request_id=None, followed={"a": done("other prompt"), "b": done("p")}, prompt="p")
    assert (v.verdict, v.task_id) == ("found", "b")
    v = decide(rows, request_id=None, followed={"a": done("x"), "b": done("y")}, prompt="p")
    assert v.verdict == "none"
    params = {"size": "1280*720", "duration": 5}
    other_size = {"a": done("p", size="1920*1080"), "b": done("p", size="1280*720", output_video_duration=5)}
    v = decide(rows, request_id=None, followed=other_size, prompt="p", params=params)
    assert (v.verdict, v.task_id) == ("found", "b")
    assert not same_result({"output_video_duration": 10.0}, params) and same_result({}, params)


def test_two_tasks_with_this_request_are_ambiguous() -> None:
    v = decide([row("a"), row("b")], request_id=None, followed={"a": done("p"), "b": done("p")}, prompt="p")
    assert v.verdict == "ambiguous" and "a" in v.detail and "b" in v.detail
