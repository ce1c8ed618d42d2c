"""An async client for the DashScope task protocol: create, get, cancel, list, upload policy."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Literal, get_args

import httpx

from shotscript import __version__
from shotscript.runtime import constants as C
from shotscript.runtime.errors import (
    APIConnectionError,
    APIError,
    ConfigError,
    ProtocolError,
    RenderError,
    error_from_response,
)
from shotscript.runtime.events import Event, EventSink, ignore
from shotscript.runtime.retry_policy import parse_retry_after, retry_delay
from shotscript.runtime.settings import RuntimeSettings, is_loopback

TaskStatus = Literal["PENDING", "RUNNING", "SUSPENDED", "SUCCEEDED", "FAILED", "CANCELED", "UNKNOWN"]
TASK_STATUSES: tuple[str, ...] = get_args(TaskStatus)

Sleep = Callable[[float], Awaitable[None]]
API_TZ = timezone(timedelta(hours=C.API_UTC_OFFSET_HOURS))

# httpx errors raised before a single byte of the request left this machine: sending again
# cannot duplicate anything.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


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
        return value  # type: ignore[return-value]
    raise ProtocolError(f"task {task_id}: unexpected status {value!r}", task_id=task_id)


def api_time(moment: datetime) -> str:
    """A moment in the form the task list filters take, in the API's time zone."""
    return moment.astimezone(API_TZ).strftime(C.LIST_TIME_FORMAT)


def connection_error(exc: httpx.TransportError, operation: str) -> APIConnectionError:
    """The typed error for a request that got no HTTP answer."""
    sent = not isinstance(exc, _NOT_SENT)
    detail = type(exc).__name__ + (f": {exc}" if str(exc) else "")
    return APIConnectionError(f"{operation}: no answer from the API ({detail})", sent=sent)


class DashScopeClient:
    """The task protocol over one httpx.AsyncClient; policy decisions live in retry_policy."""

    def __init__(
        self,
        settings: RuntimeSettings,
        *,
        events: EventSink = ignore,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep = asyncio.sleep,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.settings = settings
        self.events = events
        self.requests: list[RequestRecord] = []
        self._sleep = sleep
        self._rand = rand
        timeout = httpx.Timeout(
            C.READ_TIMEOUT, connect=C.CONNECT_TIMEOUT, write=C.WRITE_TIMEOUT, pool=C.POOL_TIMEOUT
        )
        hooks: dict[str, list[Callable[[httpx.Request], Awaitable[None]]]] = {"request": [self._guard]}
        self.api = httpx.AsyncClient(
            base_url=settings.base_url,
            headers={
                "Authorization": f"Bearer {settings.api_key}",
                "User-Agent": f"shotscript/{__version__}",
            },
            timeout=timeout,
            transport=transport,
            event_hooks=hooks,
        )
        # Uploads and downloads go to other hosts (OSS, CDN): they must never see the key.
        self.plain = httpx.AsyncClient(
            headers={"User-Agent": f"shotscript/{__version__}"},
            timeout=timeout,
            transport=transport,
            event_hooks=hooks,
            follow_redirects=True,
        )

    def __repr__(self) -> str:
        return f"DashScopeClient(base_url={self.settings.base_url!r})"

    async def __aenter__(self) -> DashScopeClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close both connection pools."""
        await self.api.aclose()
        await self.plain.aclose()

    async def _guard(self, request: httpx.Request) -> None:
        # Tests set SHOTSCRIPT_REQUIRE_LOOPBACK: then not one byte may leave this machine.
        if self.settings.require_loopback and not is_loopback(str(request.url)):
            raise ConfigError(f"refusing request to non-loopback host {request.url.host}")

    def redact(self, text: str) -> str:
        """The text with the API key blanked out, should a server ever echo it."""
        key = self.settings.api_key
        return text.replace(key, "***") if key else text

    # --- plumbing -------------------------------------------------------------------------

    async def send(
        self,
        operation: str,
        method: str,
        url: str,
        *,
        idempotent: bool,
        client: httpx.AsyncClient | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """Send one request, retrying as retry_policy decides; raise the typed error if not."""
        http = client or self.api
        retries = 0
        while True:
            retry_after: float | None = None
            try:
                response = await http.request(method, url, **kwargs)
            except httpx.TransportError as exc:
                error: RenderError = connection_error(exc, operation)
            else:
                request_id = response.headers.get("x-request-id") or _body_request_id(response)
                if response.is_success:
                    self.requests.append(RequestRecord(operation, response.status_code, request_id))
                    return response
                error = self._error(response, request_id)
                self.requests.append(
                    RequestRecord(operation, response.status_code, getattr(error, "request_id", None))
                )
                retry_after = parse_retry_after(response.headers.get("retry-after"), now=time.time())
                error.retry_after = retry_after  # for callers that wait longer than one request
            delay = retry_delay(
                error,
                retries_done=retries,
                idempotent=idempotent,
                retry_after=retry_after,
                policy=self.settings.retry,
                rand=self._rand(),
            )
            if delay is None:
                raise error
            retries += 1
            self.events(
                Event(
                    "retry",
                    f"{operation}: {error.message}; retry {retries} in {delay:.1f}s",
                    {"operation": operation, "delay": delay, "retry": retries},
                )
            )
            await self._sleep(delay)

    def _error(self, response: httpx.Response, request_id: str | None) -> APIError:
        body: Any
        try:
            body = response.json()
        except ValueError:
            body = response.text[:300]
        if isinstance(body, dict) and isinstance(body.get("message"), str):
            body = {**body, "message": self.redact(body["message"])}
        elif isinstance(body, str):
            body = self.redact(body)
        return error_from_response(
            response.status_code, body, request_id=request_id, region=self.settings.region
        )

    @staticmethod
    def _json(response: httpx.Response, operation: str) -> dict[str, Any]:
        try:
            data = response.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise ProtocolError(f"{operation}: the API answered {response.status_code} without JSON")
        return data

    # --- the task protocol ----------------------------------------------------------------

    async def create_task(self, body: dict[str, Any], *, oss_resolve: bool) -> TaskCreated:
        """Submit a generation task (asynchronously); never sent twice unless refused."""
        headers = {C.HEADER_ASYNC: "enable"}
        if oss_resolve:
            headers[C.HEADER_OSS_RESOLVE] = "enable"
        response = await self.send(
            "create", "POST", C.CREATE_PATH, idempotent=False, json=body, headers=headers
        )
        data = self._json(response, "create")
        output = data.get("output") if isinstance(data.get("output"), dict) else {}
        task_id = output.get("task_id") if output else None
        if not task_id:
            raise ProtocolError("create: the answer has no task id", request_id=data.get("request_id"))
        return TaskCreated(str(task_id), str(output.get("task_status", "PENDING")), data.get("request_id"))

    async def get_task(self, task_id: str) -> TaskSnapshot:
        """One poll of a task."""
        response = await self.send("poll", "GET", f"{C.TASKS_PATH}/{task_id}", idempotent=True)
        data = self._json(response, "poll")
        output = data.get("output")
        if not isinstance(output, dict):
            raise ProtocolError(f"poll: task {task_id} answer has no output", task_id=task_id)
        status = parse_status(output.get("task_status"), task_id=task_id)
        usage = data.get("usage") if isinstance(data.get("usage"), dict) else {}
        return TaskSnapshot(
            task_id=str(output.get("task_id") or task_id),
            status=status,
            request_id=data.get("request_id"),
            output=output,
            usage=dict(usage or {}),
        )

    async def cancel_task(self, task_id: str) -> None:
        """Cancel a task (the API only cancels one still PENDING)."""
        await self.send("cancel", "POST", f"{C.TASKS_PATH}/{task_id}/cancel", idempotent=True)

    async def list_tasks(
        self,
        *,
        start: datetime,
        end: datetime,
        model: str | None = None,
        status: str | None = None,
        page_no: int = 1,
        page_size: int = C.LIST_PAGE_SIZE,
    ) -> list[ListedTask]:
        """One page of recent tasks created between `start` and `end`."""
        params: dict[str, str | int] = {
            "start_time": api_time(start),
            "end_time": api_time(end),
            "page_no": page_no,
            "page_size": page_size,
        }
        if model:
            params["model_name"] = model
        if status:
            params["status"] = status
        response = await self.send("list", "GET", C.TASKS_PATH, idempotent=True, params=params)
        data = self._json(response, "list")
        rows = data.get("data")
        if rows is None and isinstance(data.get("output"), dict):
            rows = data["output"].get("data") or data["output"].get("tasks")
        return [_listed(row) for row in rows or [] if isinstance(row, dict) and row.get("task_id")]

    async def get_upload_policy(self, model: str) -> UploadPolicy:
        """A credential for uploading local files bound to `model`."""
        response = await self.send(
            "upload_policy",
            "GET",
            C.UPLOADS_PATH,
            idempotent=True,
            params={"action": "getPolicy", "model": model},
        )
        data = self._json(response, "upload_policy")
        # The service answers with `data`; the SDK reads it as `output`: accept either.
        output = data.get("data") if isinstance(data.get("data"), dict) else data.get("output")
        try:
            assert isinstance(output, dict)
            form = {
                "OSSAccessKeyId": str(output["oss_access_key_id"]),
                "Signature": str(output["signature"]),
                "policy": str(output["policy"]),
                "x-oss-object-acl": str(output["x_oss_object_acl"]),
                "x-oss-forbid-overwrite": str(output["x_oss_forbid_overwrite"]),
            }
            host, upload_dir = str(output["upload_host"]), str(output["upload_dir"])
        except (AssertionError, KeyError) as exc:
            raise ProtocolError(f"upload policy: missing field {exc}") from None
        expires = output.get("expire_in_seconds")
        max_mb = output.get("max_file_size_mb")
        return UploadPolicy(
            upload_host=host,
            upload_dir=upload_dir.rstrip("/"),
            form=form,
            expires_in=float(expires) if isinstance(expires, int | float) else None,
            max_bytes=int(max_mb * 1024 * 1024) if isinstance(max_mb, int | float) else None,
        )


def _body_request_id(response: httpx.Response) -> str | None:
    if "json" not in response.headers.get("content-type", ""):
        return None
    try:
        data = response.json()
    except ValueError:
        return None
    rid = data.get("request_id") if isinstance(data, dict) else None
    return str(rid) if rid else None


def parse_api_time(value: object) -> float | None:
    """Epoch seconds from an API time: epoch ms (task list), or `YYYY-MM-DD HH:MM:SS[.mmm]`
    / `YYYYMMDDhhmmss` in the API's time zone; None when unreadable."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value / 1000.0 if value > 1e11 else float(value)
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.isdigit() and len(text) != 14:
        return parse_api_time(int(text))
    for fmt in ("%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S", C.LIST_TIME_FORMAT):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=API_TZ).timestamp()
        except ValueError:
            continue
    return None


def _listed(row: dict[str, Any]) -> ListedTask:
    created = row.get("gmt_create") or row.get("submit_time")
    return ListedTask(
        task_id=str(row["task_id"]),
        status=str(row.get("status") or row.get("task_status") or ""),
        model=row.get("model_name") or row.get("model"),
        request_id=row.get("request_id"),
        created=parse_api_time(created),
        raw=row,
    )


def now_utc() -> datetime:
    """The current time, time-zone aware (a seam for tests)."""
    return datetime.now(UTC)
