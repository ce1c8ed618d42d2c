"""Cancelling a recorded task at the user's request, and saying what happened if it cannot be."""

from __future__ import annotations

from dataclasses import dataclass
from typing import assert_never

from shotscript.runtime.client import DashScopeClient
from shotscript.runtime.errors import RenderError, TaskCanceledError
from shotscript.runtime.record import RecordStore


@dataclass(frozen=True)
class Canceled:
    """A task canceled at the user's request."""

    task_id: str
    message: str


async def cancel_recorded(client: DashScopeClient, store: RecordStore, story: str) -> Canceled:
    """Cancel the task recorded for a story; a RenderError says why not and what to do.

    The API cancels only PENDING tasks: a RUNNING one will finish and be billed, so the
    answer says so and how to fetch its video instead."""
    record = store.load(story)
    if record is None or record.task_id is None:
        raise RenderError(
            f"{story}: no task is recorded, so there is nothing to cancel",
            hint="nothing was sent for it (or its create is still being reconciled: run the same "
            "command without --cancel)",
        )
    task_id = record.task_id
    status = (await client.get_task(task_id)).status
    if status == "PENDING":
        try:
            await client.cancel_task(task_id)
        except RenderError:
            status = (await client.get_task(task_id)).status  # it started meanwhile
        else:
            error = TaskCanceledError(f"task {task_id} canceled by the user", task_id=task_id)
            store.save(record.advance("failed", error=error.to_dict()))
            message = f"{story}: canceled task {task_id} while it was PENDING; nothing is billed"
            return Canceled(task_id, message)
    rerun = "run the same render command without --cancel to download its video"
    match status:
        case "RUNNING" | "SUSPENDED" | "PENDING":
            raise RenderError(
                f"{story}: task {task_id} is already {status}; the API cancels only PENDING tasks, "
                "so it will finish and be billed",
                hint=rerun + " once it is done",
            )
        case "SUCCEEDED":
            raise RenderError(
                f"{story}: task {task_id} already SUCCEEDED (it is billed; only PENDING tasks can be "
                "canceled)",
                hint=rerun,
            )
        case "FAILED" | "CANCELED":
            raise RenderError(f"{story}: task {task_id} already ended {status}; nothing is billed for it")
        case "UNKNOWN":
            raise RenderError(f"{story}: the API no longer knows task {task_id} (tasks live 24 h)")
        case _:
            assert_never(status)
