"""The routing table, and the DashScope API under `/api/v1` with the upload host; result
files are served by results.py, the test controls by controls.py.

POST /api/v1/services/aigc/video-generation/video-synthesis   create a task
GET  /api/v1/tasks/{id}                                       poll
POST /api/v1/tasks/{id}/cancel                                cancel (PENDING only)
GET  /api/v1/tasks                                            list
GET  /api/v1/uploads?action=getPolicy&model=M                 upload policy
POST /_oss                                                    upload host (multipart)
GET  /_results/{id}.mp4                                       result video (Range, HEAD)
GET  /_emulator/stats      POST /_emulator/reset              test controls
POST /_emulator/create_as                                     test control: another key creates
GET  /_emulator/tasks                                         every task's plan (benchmarks)
POST /_emulator/fail_next_create                              test control: one create fault
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

from shotscript.emulator.clock import parse_list_time
from shotscript.emulator.config import RESULT_URL_SECONDS, THROTTLE_RETRY_SECONDS
from shotscript.emulator.controls import create_as, fail_next_create, reset, stats, task_plans
from shotscript.emulator.errors import (
    MSG_INTERNAL,
    MSG_SYNC,
    ApiError,
    api_error,
    invalid,
    new_request_id,
    throttled,
)
from shotscript.emulator.multipart import boundary_of, parse_form
from shotscript.emulator.request_context import authorize, json_body, parser_of, public_url, state_of
from shotscript.emulator.responses import DroppedConnection, oss_error
from shotscript.emulator.results import download, result_url
from shotscript.emulator.state import EmulatorState
from shotscript.emulator.tasks import SUCCEEDED, UNKNOWN
from shotscript.emulator.uploads import MAX_FILE_MB, OssError
from shotscript.emulator.validate import parse_create

log = logging.getLogger("shotscript.emulator")

LIST_WINDOW_SECONDS = 24 * 3600  # the task list spans at most 24 hours
LIST_PAGE_MAX = 100
_URL_SECRET = b"shotscript-emulator-result-urls"


async def _request_faults(st: EmulatorState, endpoint: str) -> None:
    """Injected slowness and 429s, which happen before any work is done."""
    if st.faults.hit("slow", endpoint):
        await asyncio.sleep(st.config.slow_seconds)
    if st.faults.hit("429", endpoint):
        retry, fractional = st.scaled(THROTTLE_RETRY_SECONDS), st.config.time_scale < 1
        raise throttled("Throttling", "Requests throttling triggered.", retry, fractional=fractional)


async def create_task(request: Request) -> Response:
    """POST …/video-synthesis: validate, apply quotas and faults, accept a task."""
    st = state_of(request)
    st.stats.create_requests += 1
    await request.body()  # read it whatever the answer, so the connection stays usable
    caller = authorize(request)
    account = caller.account
    if request.headers.get("x-dashscope-async", "").strip().lower() != "enable":
        raise api_error("AccessDenied", MSG_SYNC)
    await _request_faults(st, "create")
    body = await json_body(request)
    model = body.get("model") if isinstance(body, dict) else None
    st.quotas.admit_create(account, str(model), st.clock.mono())
    oss_resolve = request.headers.get("x-dashscope-ossresourceresolve", "").strip().lower() == "enable"
    parsed = parse_create(
        body, region=st.region, oss_resolve=oss_resolve, legacy_fields=st.config.legacy_fields
    )
    st.check_running(account, parsed.model)
    request_id = new_request_id()
    fault = _create_fault(st)
    if fault is not None:
        kind, created = fault
        if created:
            task = st.create_task(caller, body, parsed, request_id)
            log.info("create %s (key %s) then fault %s", task.task_id, caller.hint, kind)
        st.fire_armed(caller, body, parser_of(st))
        if kind == "reset":
            return DroppedConnection()
        raise api_error("InternalError", MSG_INTERNAL)
    task = st.create_task(caller, body, parsed, request_id)
    st.fire_armed(caller, body, parser_of(st))
    log.info(
        "create %s (key %s): %s %s %ss, ends in %.1fs %s",
        task.task_id, caller.hint, parsed.model, parsed.size, parsed.duration,
        task.ends_after(), "FAILED" if task.failure else "SUCCEEDED",
    )  # fmt: skip
    return JSONResponse(
        {"output": {"task_id": task.task_id, "task_status": "PENDING"}, "request_id": request_id}
    )


def _create_fault(st: EmulatorState) -> tuple[str, bool] | None:
    """The fault this create meets, if any, and whether its task is made all the same: the
    unknown outcome clients must handle (one forced by the test control, or drawn)."""
    forced, st.next_create_fault = st.next_create_fault, None
    if forced is not None:
        st.faults.counts[forced[0]] += 1
        return forced
    for kind in ("500", "reset"):  # drawn in this order, as seeded runs expect
        if st.faults.hit(kind, "create"):
            return kind, st.faults.coin()
    return None


async def get_task(request: Request) -> Response:
    """GET /tasks/{id}: the task's current state (UNKNOWN for ids this account never made)."""
    st = state_of(request)
    st.stats.polls += 1
    account = authorize(request).account
    await _request_faults(st, "poll")
    if st.faults.hit("500", "poll"):
        raise api_error("InternalError", MSG_INTERNAL)
    if st.faults.hit("reset", "poll"):
        return DroppedConnection()
    st.quotas.admit_poll(account, st.clock.mono())
    task_id = request.path_params["task_id"]
    request_id = new_request_id()
    now = st.clock.mono()
    task = st.tasks.get(task_id, account, now)
    if task is None:
        unknown = {"task_id": task_id, "task_status": UNKNOWN}
        return JSONResponse({"request_id": request_id, "output": unknown})
    public, url_seconds = public_url(request), st.scaled(RESULT_URL_SECONDS)
    answer: dict[str, Any] = {
        "request_id": request_id,
        "output": task.output(now, lambda t: result_url(public, t, url_seconds)),
    }
    if task.status(now) == SUCCEEDED:
        answer["usage"] = task.usage
    return JSONResponse(answer)


async def cancel_task(request: Request) -> Response:
    """POST /tasks/{id}/cancel: only a PENDING task can be canceled."""
    st = state_of(request)
    st.stats.cancels += 1
    account = authorize(request).account
    task = st.tasks.get(request.path_params["task_id"], account, st.clock.mono())
    if task is None or not st.tasks.cancel(task, st.clock.mono()):
        # The cancel page's own code; not in the create/poll error table of the facts.
        raise ApiError(
            400,
            "UnsupportedOperation",
            "Failed to cancel the task, please confirm if the task is in PENDING status.",
        )
    return JSONResponse({"request_id": new_request_id()})


async def list_tasks(request: Request) -> Response:
    """GET /tasks: the account's tasks created in a window of at most 24 hours, newest first."""
    st = state_of(request)
    st.stats.lists += 1
    account = authorize(request).account
    q = request.query_params
    page_no = _positive_int(q.get("page_no", "1"), "page_no")
    page_size = _positive_int(q.get("page_size", "10"), "page_size")
    if page_size > LIST_PAGE_MAX:
        raise invalid(f"page_size must be at most {LIST_PAGE_MAX}.")
    start, end = _list_window(q.get("start_time"), q.get("end_time"), st.clock.wall())
    now = st.clock.mono()
    rows = [
        t.list_row(now, region=st.config.region_id)
        for t in reversed(list(st.tasks.of_account(account, now)))
        if start <= t.submit_wall <= end
        and (not q.get("task_id") or t.task_id == q["task_id"])
        and (not q.get("model_name") or t.request.model == q["model_name"])
    ]
    if q.get("status"):
        rows = [r for r in rows if r["status"] == q["status"].upper()]
    first = (page_no - 1) * page_size
    return JSONResponse(
        {
            "request_id": new_request_id(),
            "data": rows[first : first + page_size],
            "total": len(rows),
            "total_page": math.ceil(len(rows) / page_size),
            "page_no": page_no,
            "page_size": page_size,
        }
    )


def _positive_int(text: str, name: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise invalid(f"{name} must be a positive integer, got {text!r}.")
    return value


def _list_window(start_text: str | None, end_text: str | None, now: float) -> tuple[float, float]:
    try:
        start = parse_list_time(start_text) if start_text else None
        end = parse_list_time(end_text) if end_text else None
    except ValueError:
        raise invalid("start_time and end_time must look like YYYYMMDDhhmmss.") from None
    if start is None and end is None:
        end = now
    if start is None:
        start = end - LIST_WINDOW_SECONDS  # type: ignore[operator]
    if end is None:
        end = start + LIST_WINDOW_SECONDS
    if end < start or end - start > LIST_WINDOW_SECONDS:
        raise invalid("The time range of the query must be within 24 hours.")
    return start, end + 0.999  # the filter has whole seconds: include the last one


async def upload_policy(request: Request) -> Response:
    """GET /uploads?action=getPolicy&model=M: a policy for uploading one or more files."""
    st = state_of(request)
    account = authorize(request).account
    if request.query_params.get("action") != "getPolicy":
        raise invalid("Unsupported action; expected action=getPolicy.")
    model = request.query_params.get("model", "").strip()
    if not model:
        raise invalid("Field required: model.")
    if not st.region.uploads:
        raise api_error("AccessDenied", "Temporary file upload is not available in this region.")
    st.stats.policies += 1
    data = st.uploads.issue(account, model, f"{public_url(request)}/_oss")
    return JSONResponse({"request_id": new_request_id(), "data": data})


async def oss_upload(request: Request) -> Response:
    """POST /_oss: the OSS form upload (`success_action_status` chooses 200, 201 or 204)."""
    st = state_of(request)
    boundary = boundary_of(request.headers.get("content-type", ""))
    if boundary is None:
        return oss_error(400, "InvalidArgument", "The upload must be a multipart/form-data POST.")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > (MAX_FILE_MB + 1) * 1024 * 1024:
        return oss_error(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size.")
    try:
        form = parse_form(await request.body(), boundary)
        stored = await st.uploads.accept(form)
    except ValueError as exc:
        return oss_error(400, "MalformedPOSTRequest", f"The body of the POST is not well-formed: {exc}")
    except OssError as exc:
        return oss_error(exc.status, exc.code, exc.message)
    st.stats.uploads += 1
    log.info("upload %s (%d bytes)", stored.key, stored.size)
    etag = {"etag": f'"{stored.sha256[:32].upper()}"'}
    wanted = form["success_action_status"].text if "success_action_status" in form else ""
    if wanted == "200":
        return Response(b"", status_code=200, headers=etag)
    if wanted == "201":
        xml = f"<PostResponse><Key>{stored.key}</Key><ETag>{etag['etag']}</ETag></PostResponse>"
        return Response(xml, status_code=201, headers=etag, media_type="application/xml")
    return Response(status_code=204, headers=etag)


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    st = state_of(request)
    if exc.code.startswith("Throttling."):
        st.stats.throttled += 1  # quota refusals; injected 429s are counted as faults
    elif exc.status < 500:
        st.stats.errors += 1
    return exc.response()


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    # The gateway's answers to unknown paths and methods (not codes of the task API).
    code = {404: "NotFound", 405: "MethodNotAllowed"}.get(exc.status_code, "InvalidParameter")
    return ApiError(exc.status_code, code, f"{exc.detail}: {request.method} {request.url.path}").response()


async def _internal_error(request: Request, exc: Exception) -> Response:
    # A bug in the emulator: say so in the log, but answer like the service would.
    log.exception("internal error while answering %s %s", request.method, request.url.path)
    return api_error("InternalError", MSG_INTERNAL).response()


def create_app(state: EmulatorState) -> Starlette:
    """The ASGI application serving one emulator state (its files go when the app stops)."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        # Here, not after uvicorn returns: on SIGTERM uvicorn re-raises the signal once it
        # has shut down, and the process ends before any `finally` of the caller runs.
        state.close()

    api = [
        Route("/services/aigc/video-generation/video-synthesis", create_task, methods=["POST"]),
        Route("/tasks", list_tasks, methods=["GET"]),
        Route("/tasks/", list_tasks, methods=["GET"]),
        Route("/tasks/{task_id}", get_task, methods=["GET"]),
        Route("/tasks/{task_id}/cancel", cancel_task, methods=["POST"]),
        Route("/uploads", upload_policy, methods=["GET"]),
    ]
    routes = [
        Mount("/api/v1", routes=api),
        Route("/_oss", oss_upload, methods=["POST"]),
        Route("/_results/{name}", download, methods=["GET", "HEAD"]),
        Route("/_emulator/stats", stats, methods=["GET"]),
        Route("/_emulator/reset", reset, methods=["POST"]),
        Route("/_emulator/create_as", create_as, methods=["POST"]),
        Route("/_emulator/tasks", task_plans, methods=["GET"]),
        Route("/_emulator/fail_next_create", fail_next_create, methods=["POST"]),
    ]
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={ApiError: _api_error, HTTPException: _http_error, Exception: _internal_error},
    )
    app.state.emulator = state
    return app
