"""An async client for the DashScope task protocol: create, get, cancel, list, upload policy."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import httpx

from shotscript.facts.version import __version__
from shotscript.runtime import constants as C
from shotscript.runtime.answers import (
    API_TZ,
    TASK_STATUSES,
    ListedTask,
    RequestRecord,
    TaskCreated,
    TaskSnapshot,
    TaskStatus,
    UploadPolicy,
    api_time,
    body_request_id,
    check_task_id,
    decoded,
    header_request_id,
    listed,
    now_utc,
    number_of,
    parse_api_time,
    parse_status,
    text_of,
    valid_task_id,
)
from shotscript.runtime.errors import (
    APIConnectionError,
    APIError,
    ConfigError,
    ProtocolError,
    RenderError,
    RetryLaterError,
    UnsafeURLError,
    error_from_response,
)
from shotscript.runtime.events import Event, EventSink, ignore
from shotscript.runtime.pinned import pinned_transport
from shotscript.runtime.redact import add_secret, redact, redact_optional, redact_tree
from shotscript.runtime.retry_policy import parse_retry_after, proves_not_created, retry_delay
from shotscript.runtime.settings import RuntimeSettings, is_loopback
from shotscript.runtime.url_policy import UrlPolicy

# The answers' records and readers live in answers.py; importers of the client find them here.
__all__ = [
    "API_TZ", "TASK_STATUSES", "DashScopeClient", "ListedTask", "RequestRecord", "TaskCreated",
    "TaskSnapshot", "TaskStatus", "UploadPolicy", "api_time", "check_task_id", "connection_error",
    "now_utc", "parse_api_time", "parse_status", "valid_task_id",
]

Sleep = Callable[[float], Awaitable[None]]

# httpx errors raised before a single byte of the request left this machine: sending again
# cannot duplicate anything.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)
def connection_error(
    exc: httpx.TransportError, operation: str, base_url: str | None = None
) -> APIConnectionError:
    """The typed error for a request that got no HTTP answer; with `base_url`, a hint that
    names where it was sent (a refused connection is most often a wrong or stopped server)."""
    sent = not isinstance(exc, _NOT_SENT)
    detail = type(exc).__name__ + (f": {exc}" if str(exc) else "")
    hint = None
    if base_url is not None and isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
        hint = (f"nothing answered at {base_url}: check the network and DASHSCOPE_HTTP_BASE_URL "
                "(if it points at `shotscript emulate`, start the emulator first)")
    return APIConnectionError(f"{operation}: no answer from the API ({detail})", sent=sent, hint=hint)


def _answer_error(
    exc: httpx.HTTPError | httpx.InvalidURL, operation: str, redirects: int, base_url: str
) -> RenderError:
    """The typed error for an answer httpx could not follow or decode."""
    if isinstance(exc, httpx.TooManyRedirects):
        return UnsafeURLError(
            f"{operation}: more redirects than the {redirects} followed",
            hint="a redirect loop on the server's side; see docs/runtime-limits.md",
        )
    if isinstance(exc, httpx.TransportError):
        return connection_error(exc, operation, base_url)
    return ProtocolError(f"{operation}: unreadable answer ({type(exc).__name__}: {exc})")


class DashScopeClient:
    """The task protocol over one httpx.AsyncClient; policy decisions live in retry_policy."""

    def __init__(
        self,
        settings: RuntimeSettings,
        *,
        events: EventSink = ignore,
        transport: httpx.AsyncBaseTransport | None = None,
        plain_transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep = asyncio.sleep,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.settings = settings
        self.events = events
        add_secret(settings.api_key)  # whatever the server echoes, redact() now removes the key
        self.url_policy = UrlPolicy.for_base_url(settings.base_url)
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
        # Uploads and downloads go to hosts the server names (OSS, CDN): they must never see
        # the key, and every hop, redirects included, must pass the URL policy — at the
        # request (the hook) and at the connection (`pinned`: the addresses connected to).
        self.plain = httpx.AsyncClient(
            headers={"User-Agent": f"shotscript/{__version__}"},
            timeout=timeout,
            transport=plain_transport or pinned_transport(self.url_policy),
            event_hooks={"request": [self._policy_guard]},
            follow_redirects=True,
            max_redirects=settings.limits.max_redirects,
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
            raise ConfigError(
                f"refusing request to non-loopback host {request.url.host}",
                hint=f"{C.ENV_REQUIRE_LOOPBACK} is set: only 127.0.0.1 and ::1 may be reached",
            )

    async def _policy_guard(self, request: httpx.Request) -> None:
        # Runs for the first request and for every redirect httpx follows. The URL's face is
        # judged first, then the loopback guard, and only then is a name resolved (so a test
        # never sends even a DNS query off the machine).
        url = str(request.url)
        self.url_policy.refuse(url)
        await self._guard(request)
        await self.url_policy.check(url)

    def redact(self, text: str) -> str:
        """The text with the API key (and any `sk-…` token) blanked out."""
        return redact(text)

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
        limits = self.settings.limits
        deadline = C.UPLOAD_TIMEOUT if "files" in kwargs else limits.api_deadline
        retries = 0
        while True:
            retry_after: float | None = None
            try:
                async with asyncio.timeout(deadline):
                    response = await self._request(http, method, url, operation, **kwargs)
            except TimeoutError:
                error: RenderError = APIConnectionError(
                    f"{operation}: no complete answer within {deadline:g}s", sent=True
                )
            except (httpx.HTTPError, httpx.InvalidURL) as exc:
                error = _answer_error(exc, operation, limits.max_redirects, self.settings.base_url)
            else:
                request_id = redact_optional(
                    header_request_id(response) or body_request_id(response)
                )
                if response.is_success:
                    self.requests.append(RequestRecord(operation, response.status_code, request_id))
                    return response
                error = self._error(response, request_id)
                self.requests.append(
                    RequestRecord(operation, response.status_code, getattr(error, "request_id", None))
                )
                retry_after = parse_retry_after(response.headers.get("retry-after"), now=time.time())
                error.retry_after = retry_after  # for callers that wait longer than one request
                too_long = retry_after is not None and retry_after > limits.retry_after_max
                # A create's 5xx may have made a task: it stays an unknown outcome (reconciled),
                # never a "retry later" that a rerun would answer with a second create.
                if too_long and error.retryable and (idempotent or proves_not_created(error)):
                    raise _too_long(error, retry_after or 0.0, limits.retry_after_max, operation)
            delay = retry_delay(
                error,
                retries_done=retries,
                idempotent=idempotent,
                retry_after=retry_after,
                policy=self.settings.retry,
                rand=self._rand(),
                retry_after_max=limits.retry_after_max,
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

    async def _request(
        self, http: httpx.AsyncClient, method: str, url: str, operation: str, **kwargs: Any
    ) -> httpx.Response:
        """One request whose answer is read whole, but never more than max_answer_bytes."""
        cap = self.settings.limits.max_answer_bytes
        request = http.build_request(method, url, **kwargs)
        response = await http.send(request, stream=True)
        try:
            length = response.headers.get("content-length", "")
            if length.isdigit() and int(length) > cap:
                raise ProtocolError(f"{operation}: an answer of {int(length)} bytes (more than {cap})")
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > cap:
                    raise ProtocolError(f"{operation}: an answer of more than {cap} bytes")
        finally:
            await response.aclose()
        # Decoded already: the copy must not claim an encoding or length it no longer has.
        headers = [(k, v) for k, v in response.headers.multi_items()
                   if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")]
        return httpx.Response(
            response.status_code, headers=headers, content=bytes(body), request=request
        )

    def _error(self, response: httpx.Response, request_id: str | None) -> APIError:
        body: Any = decoded(response)
        if body is None:
            body = response.content[:300].decode("utf-8", "replace")
        return error_from_response(
            response.status_code, redact_tree(body), request_id=request_id, region=self.settings.region
        )

    @staticmethod
    def _json(response: httpx.Response, operation: str) -> dict[str, Any]:
        """The answer's JSON object, every string in it redacted; ProtocolError otherwise."""
        data = decoded(response)
        if not isinstance(data, dict):
            raise ProtocolError(f"{operation}: the API answered {response.status_code} without a JSON object")
        clean: dict[str, Any] = redact_tree(data)
        return clean

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
        answer = data.get("output")
        output: dict[str, Any] = answer if isinstance(answer, dict) else {}
        task_id = output.get("task_id")
        request_id = text_of(data.get("request_id"))
        if not task_id:
            raise ProtocolError("create: the answer has no task id", request_id=request_id)
        if not valid_task_id(task_id):
            # The task may exist (and be billed): an unknown outcome, which reconciling settles.
            raise ProtocolError(f"create: the answer's task id {str(task_id)[:80]!r} is malformed",
                                request_id=request_id)
        return TaskCreated(str(task_id), text_of(output.get("task_status")) or "PENDING", request_id)

    async def get_task(self, task_id: str) -> TaskSnapshot:
        """One poll of a task."""
        path = f"{C.TASKS_PATH}/{check_task_id(task_id)}"
        response = await self.send("poll", "GET", path, idempotent=True)
        data = self._json(response, "poll")
        output = data.get("output")
        if not isinstance(output, dict):
            raise ProtocolError(f"poll: task {task_id} answer has no output", task_id=task_id)
        status = parse_status(output.get("task_status"), task_id=task_id)
        usage = data.get("usage") if isinstance(data.get("usage"), dict) else {}
        return TaskSnapshot(
            task_id=task_id,  # the id asked for: an answer cannot swap it for another
            status=status,
            request_id=text_of(data.get("request_id")),
            output=output,
            usage=dict(usage or {}),
        )

    async def cancel_task(self, task_id: str) -> None:
        """Cancel a task (the API only cancels one still PENDING)."""
        path = f"{C.TASKS_PATH}/{check_task_id(task_id)}/cancel"
        await self.send("cancel", "POST", path, idempotent=True)

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
        if not isinstance(rows, list):
            rows = []
        # A row whose id could not be polled safely is no candidate for anything.
        return [listed(row) for row in rows if isinstance(row, dict) and valid_task_id(row.get("task_id"))]

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
        if not isinstance(output, dict):
            raise ProtocolError("upload policy: the answer has no policy")
        try:
            form = {
                "OSSAccessKeyId": str(output["oss_access_key_id"]),
                "Signature": str(output["signature"]),
                "policy": str(output["policy"]),
                "x-oss-object-acl": str(output["x_oss_object_acl"]),
                "x-oss-forbid-overwrite": str(output["x_oss_forbid_overwrite"]),
            }
            host, upload_dir = str(output["upload_host"]), str(output["upload_dir"])
        except KeyError as exc:
            raise ProtocolError(f"upload policy: missing field {exc}") from None
        expires = number_of(output.get("expire_in_seconds"))
        max_mb = number_of(output.get("max_file_size_mb"))
        return UploadPolicy(
            upload_host=host,
            upload_dir=upload_dir.rstrip("/"),
            form=form,
            expires_in=expires,
            max_bytes=int(max_mb * 1024 * 1024) if max_mb is not None else None,
        )


def _too_long(error: APIError, wait: float, cap: float, operation: str) -> RetryLaterError:
    """The error that stops a render the server asked to wait longer than `cap` seconds."""
    if wait < 366 * 86400:
        after = "after " + time.strftime("%Y-%m-%d %H:%M", time.localtime(time.time() + wait))
        waited = f"{wait:.0f}s"
    else:
        after, waited = "much later", "over a year"
    nothing = "nothing was created" if operation == "create" else "what was done is recorded"
    retry = RetryLaterError(
        f"{operation}: the service asked to wait {waited} before trying again (Retry-After), "
        f"longer than the {cap:g}s shotscript waits",
        status=error.status,
        code=error.code,
        request_id=error.request_id,
        hint=f"{nothing}; run the same command again {after} (or raise retry_after_max in "
        f"{C.ENV_LIMITS}, see docs/runtime-limits.md)",
    )
    retry.retry_after = wait
    return retry

