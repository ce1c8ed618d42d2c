"""The task store and each task's simulated timeline.

A task does not run anywhere: its status is computed from the time elapsed since it was
submitted (PENDING, then RUNNING, then SUCCEEDED or FAILED): no background jobs to leak or
to fall behind, and the same seed always gives the same timeline.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from shotscript.emulator.clock import api_timestamp, millis
from shotscript.emulator.validate import CreateRequest, Failure

PENDING, RUNNING, SUCCEEDED, FAILED, CANCELED, UNKNOWN = (
    "PENDING",
    "RUNNING",
    "SUCCEEDED",
    "FAILED",
    "CANCELED",
    "UNKNOWN",
)
IN_PROGRESS = (PENDING, RUNNING)


@dataclass
class Task:
    """One accepted task, its plan (how long it queues and runs) and how it ends."""

    task_id: str
    account: str
    key_id: str  # of the key that created it (tasks belong to the account, not the key)
    request_id: str  # of the create request, shown by the task list
    request: CreateRequest
    submit_wall: float
    submit_mono: float
    pending_s: float
    run_s: float
    usage: dict[str, Any]
    failure: Failure | None = None
    fail_after: float = 0.0  # seconds after submission when the failure shows
    canceled_after: float | None = None

    def elapsed(self, now_mono: float) -> float:
        """Seconds since submission."""
        return max(0.0, now_mono - self.submit_mono)

    def status(self, now_mono: float) -> str:
        """The status a poll at `now_mono` shows."""
        if self.canceled_after is not None:
            return CANCELED
        elapsed = self.elapsed(now_mono)
        if self.failure is not None and elapsed >= self.fail_after:
            return FAILED
        if elapsed < self.pending_s:
            return PENDING
        if elapsed < self.pending_s + self.run_s:
            return RUNNING
        return SUCCEEDED

    def ends_after(self) -> float:
        """Seconds after submission when the task reaches its terminal state."""
        if self.canceled_after is not None:
            return self.canceled_after
        return self.fail_after if self.failure is not None else self.pending_s + self.run_s

    def remaining(self, now_mono: float) -> float:
        """Seconds until the task stops counting as in progress."""
        return max(0.0, self.ends_after() - self.elapsed(now_mono))

    def output(self, now_mono: float, video_url: Callable[[Task], str]) -> dict[str, Any]:
        """`output` of a poll answer at `now_mono`."""
        status = self.status(now_mono)
        out: dict[str, Any] = {
            "task_id": self.task_id,
            "task_status": status,
            "submit_time": api_timestamp(self.submit_wall),
        }
        # Failures show no earlier than scheduling (fail_after >= pending_s), and only
        # PENDING tasks can be canceled: a canceled task was never scheduled.
        if status in (RUNNING, SUCCEEDED, FAILED):
            out["scheduled_time"] = api_timestamp(self.submit_wall + self.pending_s)
        if status in (SUCCEEDED, FAILED, CANCELED):
            out["end_time"] = api_timestamp(self.submit_wall + self.ends_after())
        if status == SUCCEEDED:
            out["orig_prompt"] = self.request.prompt
            out["video_url"] = video_url(self)
        if status == FAILED and self.failure is not None:
            code, message = self.failure
            if code is not None:
                out["code"] = code
            if message is not None:
                out["message"] = message
        return out

    def list_row(self, now_mono: float, *, region: str) -> dict[str, Any]:
        """One entry of the task list (`GET /tasks`), in its own shape (`status`, ms times)."""
        status = self.status(now_mono)
        row: dict[str, Any] = {
            "api_key_id": self.key_id,
            "caller_parent_id": self.account,
            "caller_uid": self.account,
            "gmt_create": millis(self.submit_wall),
            "model_name": self.request.model,
            "region": region,
            "request_id": self.request_id,
            "status": status,
            "task_id": self.task_id,
            "user_api_unique_key": (f"apikey:v1:aigc:video-generation:video-synthesis:{self.request.model}"),
        }
        if status not in (PENDING, CANCELED):
            row["start_time"] = millis(self.submit_wall + self.pending_s)
        if status in (SUCCEEDED, FAILED, CANCELED):
            row["end_time"] = millis(self.submit_wall + self.ends_after())
        return row


@dataclass
class TaskStore:
    """All tasks of this emulator run, by id; a task id lives `lifetime` seconds."""

    lifetime: float = float("inf")
    tasks: dict[str, Task] = field(default_factory=dict)

    def add(self, task: Task) -> None:
        """Remember a new task."""
        self.tasks[task.task_id] = task

    def get(self, task_id: str, account: str, now_mono: float) -> Task | None:
        """A live task of this account (other accounts' tasks do not exist for it)."""
        task = self.tasks.get(task_id)
        if task is None or task.account != account or task.elapsed(now_mono) > self.lifetime:
            return None
        return task

    def of_account(self, account: str, now_mono: float) -> Iterator[Task]:
        """Live tasks of one account, oldest first."""
        return (
            t for t in self.tasks.values() if t.account == account and t.elapsed(now_mono) <= self.lifetime
        )

    def in_progress(self, account: str, model: str, now_mono: float) -> list[Task]:
        """Tasks counting against the account's in-progress quota for a model."""
        return [
            t
            for t in self.tasks.values()
            if t.account == account and t.request.model == model and t.status(now_mono) in IN_PROGRESS
        ]

    def cancel(self, task: Task, now_mono: float) -> bool:
        """Cancel a PENDING task; False when it is past that (the service refuses then)."""
        if task.status(now_mono) != PENDING:
            return False
        task.canceled_after = task.elapsed(now_mono)
        return True
