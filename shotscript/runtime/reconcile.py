"""After a create whose outcome is unknown: find the task it made, or prove it made none."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from shotscript.runtime import constants as C
from shotscript.runtime.client import DashScopeClient, ListedTask
from shotscript.runtime.errors import RenderError

Verdict = Literal["found", "none", "ambiguous", "unavailable"]


@dataclass(frozen=True)
class Reconciled:
    """What the task list says about an unanswered create."""

    verdict: Verdict
    task_id: str | None = None
    detail: str = ""


def candidates(
    rows: Iterable[ListedTask],
    *,
    model: str,
    since: float,
    until: float,
    known: frozenset[str] = frozenset(),
) -> list[ListedTask]:
    """Listed tasks that may be the one an unanswered create made."""
    found = []
    for row in rows:
        if row.task_id in known or (row.model and row.model != model):
            continue
        if row.created is not None and not since <= row.created <= until:
            continue
        found.append(row)
    return found


def same_prompt(reported: str | None, sent: str) -> bool | None:
    """Whether a task's reported prompt is the one sent (the service may have cut it short);
    None when the task does not tell."""
    if not reported:
        return None
    return reported == sent or sent.startswith(reported)


def decide(
    rows: list[ListedTask],
    *,
    request_id: str | None,
    prompts: dict[str, str | None],
    prompt: str,
) -> Reconciled:
    """The verdict over candidate rows: a request id settles it, then the prompt sent."""
    if request_id:
        for row in rows:
            if row.request_id == request_id:
                return Reconciled("found", row.task_id, "matched by request id")
    # A candidate whose prompt is known and differs is someone else's task.
    mine = [r for r in rows if same_prompt(prompts.get(r.task_id), prompt) is not False]
    if not mine:
        return Reconciled("none", detail="no task was created")
    if len(mine) == 1:
        return Reconciled("found", mine[0].task_id, "the only task created at that time")
    ids = ", ".join(r.task_id for r in mine)
    return Reconciled("ambiguous", detail=f"several tasks could be this story's: {ids}")


async def reconcile(
    client: DashScopeClient,
    *,
    model: str,
    prompt: str,
    sent_at: float,
    request_id: str | None = None,
    known: frozenset[str] = frozenset(),
    sleep: Callable[[float], Awaitable[None]],
    settle: float = C.RECONCILE_SETTLE_DELAY,
) -> Reconciled:
    """Ask the task list, twice if it shows nothing, which task (if any) a create made."""
    since = datetime.fromtimestamp(sent_at, UTC) - timedelta(seconds=C.RECONCILE_WINDOW_BEFORE)
    verdict = Reconciled("none")
    for look in range(2):
        if look:
            await sleep(settle)  # a task may take a moment to show up in the list
        until = datetime.now(UTC) + timedelta(seconds=C.RECONCILE_WINDOW_AFTER)
        try:
            rows = await client.list_tasks(start=since, end=until, model=model)
            rows = candidates(
                rows, model=model, since=since.timestamp(), until=until.timestamp(), known=known
            )
            prompts = {r.task_id: await _prompt_of(client, r.task_id) for r in rows[:10]}
        except RenderError as exc:
            return Reconciled("unavailable", detail=f"the task list could not be read: {exc}")
        verdict = decide(rows, request_id=request_id, prompts=prompts, prompt=prompt)
        if verdict.verdict != "none":
            return verdict
    return verdict


async def _prompt_of(client: DashScopeClient, task_id: str) -> str | None:
    """The prompt a task was created with, when the API tells (finished tasks usually do)."""
    snapshot = await client.get_task(task_id)
    value = snapshot.output.get("orig_prompt")
    return str(value) if value else None
