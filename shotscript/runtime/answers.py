"""The API's answers read safely: typed records, and pure functions that decode, validate and
convert what a server sent (task ids, statuses, times, numbers, nested JSON)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Literal, cast, get_args

import httpx

from shotscript.runtime import constants as C
from shotscript.runtime.errors import ProtocolError

TaskStatus = Literal["PENDING", "RUNNING", "SUSPENDED", "SUCCEEDED", "FAILED", "CANCELED", "UNKNOWN"]
TASK_STATUSES: tuple[str, ...] = get_args(TaskStatus)
API_TZ = timezone(timedelta(hours=C.API_UTC_OFFSET_HOURS))

_TASK_ID = re.compile(C.TASK_ID_PATTERN)


def valid_task_id(value: object) -> bool:
    """Whether a value is a task id as the service issues them (safe to put into a URL)."""
    return isinstance(value, str) and _TASK_ID.fullmatch(value) is not None


def check_task_id(task_id: str) -> str:
    """The task id, or a ProtocolError before a malformed one (`../x`) reaches a URL."""
    if not valid_task_id(task_id):
        raise ProtocolError(
            f"task id {task_id!r} is not one the service issues; refusing to use it",
            hint="the record or the server's answer is damaged: check the Model Studio console",
        )
    return task_id


@dataclass(frozen=True)
class RequestRecord:
    """One answered API request: what it was and the id the service gave it."""

    operation: str
    status: int
    request_id: str | None


@dataclass(frozen=True)
class TaskCreated:
    """The answer to a create: the task id to poll."""

    task_id: str
    status: str
    request_id: str | None


@dataclass(frozen=True)
class TaskSnapshot:
    """One poll's view of a task (the signed video URL is kept out of every record)."""

    task_id: str
    status: TaskStatus
    request_id: str | None
    output: dict[str, Any] = field(repr=False)
    usage: dict[str, Any]

    @property
    def video_url(self) -> str | None:
        """The signed result URL of a SUCCEEDED task."""
        url = self.output.get("video_url")
        return str(url) if url else None

    def times(self) -> dict[str, str]:
        """The service's own timestamps (submit, scheduled, end) that are present."""
        keys = ("submit_time", "scheduled_time", "end_time")
        return {k: str(self.output[k]) for k in keys if self.output.get(k)}


@dataclass(frozen=True)
class ListedTask:
    """One row of the task list."""

    task_id: str
    status: str
    model: str | None
    request_id: str | None
    created: float | None  # epoch seconds
    raw: dict[str, Any] = field(repr=False)


@dataclass(frozen=True)
class UploadPolicy:
    """A temporary-upload credential from `GET /uploads?action=getPolicy`."""

    upload_host: str
    upload_dir: str
    form: dict[str, str] = field(repr=False)
    expires_in: float | None
    max_bytes: int | None


def parse_status(value: object, *, task_id: str) -> TaskStatus:
    """The task status as the closed Literal, or a ProtocolError for anything else."""
    if isinstance(value, str) and value in TASK_STATUSES:
        return cast(TaskStatus, value)  # get_args loses the Literal: the check above is it
    shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:59] + "…"
    raise ProtocolError(f"task {task_id}: unexpected status {shown}", task_id=task_id)


def api_time(moment: datetime) -> str:
    """A moment in the form the task list filters take, in the API's time zone."""
    return moment.astimezone(API_TZ).strftime(C.LIST_TIME_FORMAT)


def decoded(response: httpx.Response) -> Any:
    """The answer's JSON, or None when it is not JSON or nested deeper than any API answer."""
    try:
        data = response.json()
    except (ValueError, RecursionError):
        return None
    return data if _depth(data) <= C.MAX_ANSWER_DEPTH else None


def _depth(value: Any) -> int:
    """How deeply containers nest in a decoded JSON value (iteratively: no recursion limit)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            if depth > C.MAX_ANSWER_DEPTH:
                break
            stack.extend((v, depth + 1) for v in (item.values() if isinstance(item, dict) else item))
    return deepest


def text_of(value: object) -> str | None:
    """A server-given scalar as a string (already redacted by _json), None when absent."""
    if value is None or value == "" or isinstance(value, dict | list):
        return None
    return str(value)


def number_of(value: object) -> float | None:
    """A finite number from the answer, or None (booleans and infinities are no numbers)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) and value >= 0 else None


def header_request_id(response: httpx.Response) -> str | None:
    """The request id the answer's `X-Request-Id` header gives, if any."""
    return response.headers.get("x-request-id") or None


def body_request_id(response: httpx.Response) -> str | None:
    """The `request_id` of a JSON answer's body, if any."""
    if "json" not in response.headers.get("content-type", ""):
        return None
    data = decoded(response)
    rid = data.get("request_id") if isinstance(data, dict) else None
    return text_of(rid)


def parse_api_time(value: object) -> float | None:
    """Epoch seconds from an API time: epoch ms (task list), or `YYYY-MM-DD HH:MM:SS[.mmm]`
    / `YYYYMMDDhhmmss` in the API's time zone; None when unreadable."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        if not math.isfinite(value) or abs(value) > 1e15:
            return None
        return value / 1000.0 if value > 1e11 else float(value)
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.isascii() and text.isdigit() and len(text) != 14:
        return parse_api_time(int(text)) if len(text) <= 20 else None
    for fmt in ("%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S", C.LIST_TIME_FORMAT):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=API_TZ).timestamp()
        except ValueError:
            continue
    return None


def listed(row: dict[str, Any]) -> ListedTask:
    """One row of the task list, every field read leniently."""
    created = row.get("gmt_create") or row.get("submit_time")
    return ListedTask(
        task_id=str(row["task_id"]),
        status=text_of(row.get("status") or row.get("task_status")) or "",
        model=text_of(row.get("model_name") or row.get("model")),
        request_id=text_of(row.get("request_id")),
        created=parse_api_time(created),
        raw=row,
    )


def now_utc() -> datetime:
    """The current time, time-zone aware (a seam for tests)."""
    return datetime.now(UTC)
