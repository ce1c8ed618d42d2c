"""What to do with one story of a batch: pure decisions from its journal row and its errors."""

from __future__ import annotations

from typing import Any, Literal

from shotscript.batch import constants as C
from shotscript.batch.journal import State

Start = Literal["render", "skip"]
AfterError = Literal["resume", "resubmit", "reconcile", "give_up"]


def start_action(
    state: State, *, video_exists: bool, retry_failed: bool, retryable: bool, new_take: bool = False
) -> Start:
    """Whether a run works on a row it finds in the journal.

    Done stories are skipped (unless their video vanished); failures stay failed unless
    `--retry-failed` is given and trying again can help; every other state resumes (the
    runtime never sends a create while an earlier one may have made a task).
    """
    match state:
        case "done":
            return "skip" if video_exists and not new_take else "render"
        case "failed":
            return "render" if new_take or (retry_failed and retryable) else "skip"
        case _:
            return "render"


def after_error(
    state: State,
    *,
    task_id: str | None,
    retryable: bool,
    attempts: int,
    max_attempts: int = C.STORY_MAX_ATTEMPTS,
) -> AfterError:
    """What a run does next with a story whose attempt ended in an error.

    - `resume`: the task exists and is still ours (a poll or a download failed): poll again.
    - `resubmit`: the create was refused in a way that proves no task was made (throttled,
      never sent): sending it again cannot pay twice.
    - `reconcile`: a create's outcome is unknown and the task list could not tell yet (its
      tasks are still running): look again later; never sends a create on a guess.
    - `give_up`: the task ended (FAILED, canceled), the request is wrong, or enough tries.
    """
    if attempts >= max_attempts:
        return "give_up"
    match state:
        case "submitted" | "running" | "downloading":
            return "resume" if retryable else "give_up"
        case "failed" | "queued" | "uploading":
            # "failed" with no task id is a create that was refused before any task existed.
            return "resubmit" if retryable and task_id is None else "give_up"
        case "needs-attention":
            return "reconcile" if task_id is None else "resume"
        case "submitting" | "done":
            return "give_up"
        case _:  # a newer journal's state: the next run reconciles it
            return "give_up"  # type: ignore[unreachable]


def retry_delay(attempt: int, rand: float, scale: float = 1.0) -> float:
    """Seconds before attempt number `attempt` + 1 (1-based): capped doubling, minus jitter."""
    base = min(C.STORY_RETRY_INITIAL * 2.0 ** max(0, attempt - 1), C.STORY_RETRY_MAX)
    return base * (1.0 - C.STORY_RETRY_JITTER * rand) * scale


def error_retryable(error: dict[str, Any] | None) -> bool:
    """Whether a recorded error says trying again may help."""
    return bool(error and error.get("retryable"))


PlanAction = Literal["new", "take", "resume", "retry", "done", "failed", "copy", "invalid"]


def plan_action(
    state: State | None,
    *,
    invalid: bool,
    same_as: bool,
    video_exists: bool,
    retry_failed: bool,
    retryable: bool,
    new_take: bool = False,
) -> PlanAction:
    """What a run will do with a story, as `--dry-run` shows it and the budget counts it.

    `new`, `take` (`--new-take` of a story sent before) and `retry` will send a create (money
    to spend); `resume` continues a task that
    exists or may exist (money already committed); `done` and `failed` are left as they are;
    `copy` reuses the video of an identical request; `invalid` does not compile.
    """
    if invalid:
        return "invalid"
    if new_take and not same_as and state not in (None, "queued", "uploading"):
        return "take"  # every story the run works on is sent again (see start_action, resume_action)
    if state == "done" and video_exists:
        return "done"  # a copy made by an earlier run is done, not copied again
    if same_as:
        return "copy"
    if state is None or state in ("queued", "uploading"):
        return "new"
    if state == "done":
        return "done" if video_exists else "resume"
    if state == "failed":
        return "retry" if retry_failed and retryable else "failed"
    return "resume"


def spends(action: PlanAction) -> bool:
    """Whether the action sends a new create (and so counts against a budget)."""
    return action in ("new", "take", "retry")
