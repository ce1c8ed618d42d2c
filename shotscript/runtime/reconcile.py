"""After a create whose outcome is unknown: find the task it made, or prove it made none.

The task list holds every task of the account — every key, every person and machine using
it — and a task's `orig_prompt` shows only once it has SUCCEEDED. So a candidate is followed
to its end before anything is decided, and only a task shown to be this request's (a request
id, or its prompt and result parameters) is adopted; ids known as other requests' (the
journal's, the ledger's) are never candidates.

Two steps, so that a batch holds its submit lock only for the first: `look` reads the list
(seconds; no other create of the batch may be in flight meanwhile), `settle` follows what it
found to the end and decides (as long as the candidates run: minutes)."""

from __future__ import annotations

import random
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from shotscript.runtime import constants as C
from shotscript.runtime.client import DashScopeClient, ListedTask
from shotscript.runtime.errors import RenderError
from shotscript.runtime.poll_schedule import poll_delay

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


@dataclass(frozen=True)
class Followed:
    """A candidate followed as far as it went: its status, and what a SUCCEEDED task tells."""

    status: str
    prompt: str | None = None  # `orig_prompt`: only a SUCCEEDED task has it
    usage: dict[str, Any] = field(default_factory=dict)


TERMINAL = ("SUCCEEDED", "FAILED", "CANCELED", "UNKNOWN")


def same_result(usage: dict[str, Any], params: dict[str, Any]) -> bool:
    """Whether a task's result has the parameters asked for (when the service tells them)."""
    size = usage.get("size")
    if size is not None and params.get("size") is not None and str(size).replace("x", "*") != params["size"]:
        return False
    seconds = usage.get("output_video_duration")
    wanted = params.get("duration")
    if isinstance(seconds, int | float) and wanted is not None:
        return bool(abs(float(seconds) - float(wanted)) <= 0.5)
    return True


def decide(
    rows: list[ListedTask],
    *,
    request_id: str | None,
    followed: dict[str, Followed],
    prompt: str,
    params: dict[str, Any] | None = None,
) -> Reconciled:
    """The verdict over candidate rows: a request id settles it; else only a SUCCEEDED task
    whose prompt and result are this request's is ours. A task still running cannot be told
    from another key's (the list holds every key of the account): never adopted on a guess."""
    if request_id:
        for row in rows:
            if row.request_id == request_id:
                return Reconciled("found", row.task_id, "matched by request id")
    mine, undecided = [], []
    for row in rows:
        seen = followed.get(row.task_id, Followed("UNKNOWN"))
        if seen.status == "SUCCEEDED":
            if same_prompt(seen.prompt, prompt) and same_result(seen.usage, params or {}):
                mine.append(row.task_id)
        elif seen.status not in TERMINAL:
            undecided.append(row.task_id)
        # FAILED, CANCELED, UNKNOWN: billed nothing; if it was ours, sending again is honest.
    if len(mine) == 1:
        return Reconciled("found", mine[0], "its prompt and result are this request's")
    if len(mine) > 1:
        return Reconciled("ambiguous", detail=f"tasks {', '.join(mine)} all have this request's prompt and "
                          "result (another key of the account sent the same request)")  # fmt: skip
    if undecided:
        ids = ", ".join(undecided)
        return Reconciled("ambiguous", detail=f"tasks {ids} of the account were created then and are still "
                          "running; a running task cannot be matched to a request")  # fmt: skip
    return Reconciled("none", detail="no task was created")


@dataclass(frozen=True)
class Listed:
    """What the task list showed after an unanswered create: a verdict already, or the
    candidates to follow (read while no other create of ours was in flight)."""

    verdict: Reconciled | None
    rows: tuple[ListedTask, ...] = ()


async def look(
    client: DashScopeClient,
    *,
    model: str,
    sent_at: float,
    request_id: str | None = None,
    known: frozenset[str] = frozenset(),
    sleep: Callable[[float], Awaitable[None]],
    settle: float = C.RECONCILE_SETTLE_DELAY,
) -> Listed:
    """Ask the task list, twice if it shows nothing, which tasks an unanswered create may have
    made: seconds, not the minutes `settle` may take to follow them."""
    since = datetime.fromtimestamp(sent_at, UTC) - timedelta(seconds=C.RECONCILE_WINDOW_BEFORE)
    for attempt in range(2):
        if attempt:
            await sleep(settle)  # a task may take a moment to show up in the list
        until = datetime.now(UTC) + timedelta(seconds=C.RECONCILE_WINDOW_AFTER)
        try:
            rows = await client.list_tasks(start=since, end=until, model=model)
        except RenderError as exc:
            return Listed(Reconciled("unavailable", detail=f"the task list could not be read: {exc}"))
        found = candidates(rows, model=model, since=since.timestamp(), until=until.timestamp(), known=known)
        if not found:
            continue
        if request_id and any(r.request_id == request_id for r in found):
            return Listed(decide(found, request_id=request_id, followed={}, prompt=""))
        return Listed(None, tuple(found[:10]))
    return Listed(Reconciled("none", detail="no task was created"))


async def settle(
    client: DashScopeClient,
    listed: Listed,
    *,
    prompt: str,
    sleep: Callable[[float], Awaitable[None]],
    params: dict[str, Any] | None = None,
    follow_for: float | None = None,
) -> Reconciled:
    """The verdict over what `look` found: each candidate followed to its end (at most
    `follow_for` seconds: the poll deadline), then only one shown to be this request's adopted."""
    if listed.verdict is not None:
        return listed.verdict
    try:
        followed = await follow(client, [r.task_id for r in listed.rows], sleep=sleep, follow_for=follow_for)
    except RenderError as exc:
        return Reconciled("unavailable", detail=f"a candidate task could not be polled: {exc}")
    return decide(list(listed.rows), request_id=None, followed=followed, prompt=prompt, params=params)


async def follow(
    client: DashScopeClient,
    task_ids: list[str],
    *,
    sleep: Callable[[float], Awaitable[None]],
    follow_for: float | None = None,
) -> dict[str, Followed]:
    """Poll each task until it ends (or `follow_for` seconds pass): what each showed last."""
    schedule = client.settings.poll
    deadline = time.monotonic() + (schedule.deadline_seconds if follow_for is None else follow_for)
    seen: dict[str, Followed] = {}
    index = 0
    while True:
        for task_id in task_ids:
            if task_id in seen and seen[task_id].status in TERMINAL:
                continue
            try:
                snapshot = await client.get_task(task_id)
            except RenderError as exc:
                if not exc.retryable:
                    raise
                seen.setdefault(task_id, Followed("PENDING"))  # not known yet: looked at again
                continue
            value = snapshot.output.get("orig_prompt")
            seen[task_id] = Followed(snapshot.status, str(value) if value else None, dict(snapshot.usage))
        if all(f.status in TERMINAL for f in seen.values()) or time.monotonic() > deadline:
            return seen
        await sleep(poll_delay(index, schedule, random.random()))
        index += 1
