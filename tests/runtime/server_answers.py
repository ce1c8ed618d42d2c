"""Hypothesis strategies for what a server may answer, and one function that plays an answer
against the client: used by tests/runtime/test_fuzz_server.py (short) and
benchmarks/fuzz_server.py (long).

An answer is one operation (create, poll, list, upload policy, cancel, download) and the HTTP
replies the server gives it, one per request the client sends (the last repeats): a status,
headers (Retry-After, Content-Type, Content-Length, Location) and a body — a document of the
right shape with wrong types, missing fields, unknown statuses or hostile strings, broken
JSON, random bytes, deep nesting, a body over the size cap, a body cut mid-way or trickling
slowly, or a redirect. Whatever it is, the client must end in a result or a RenderError.
"""

from __future__ import annotations

import asyncio
import functools
import json
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from hypothesis import strategies as st

from shotscript.runtime.client import TASK_STATUSES, DashScopeClient
from shotscript.runtime.download import download_video
from shotscript.runtime.errors import RenderError
from shotscript.runtime.limits import RuntimeLimits
from shotscript.runtime.poll_schedule import PollSchedule
from shotscript.runtime.retry_policy import RetryPolicy
from shotscript.runtime.settings import RuntimeSettings

KEY = "sk-fuzz-7d1e0b44-do-not-print-0099"
BASE = "http://127.0.0.1:9/api/v1"
VIDEO_URL = "http://127.0.0.1:9/_results/v.mp4"
OPERATIONS = ("create", "poll", "list", "policy", "cancel", "download")
# Small caps so that hostile bodies end in milliseconds, each because of its own cap.
LIMITS = RuntimeLimits(
    retry_after_max=5.0,
    max_redirects=3,
    video_max_bytes=64 << 10,
    download_deadline=0.3,
    min_throughput=64 << 10,
    throughput_window=0.05,
    api_deadline=0.1,
    max_answer_bytes=16 << 10,
)

# --- values --------------------------------------------------------------------------------

hostile_text = st.sampled_from(
    [
        "",
        " ",
        "../../etc/passwd",
        "t-1/../x",
        "%2e%2e%2f",
        "a\u202eb",
        "\x1b[2J\x1b]0;owned\x07",
        "\ud800",
        KEY,
        f"echo {KEY}",
        "sk-" + "0123456789abcdef" * 2,  # a token shape, built so no key-shaped literal is tracked
        "x" * 5000,
        "null",
        "9" * 400,
    ]
)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=16)
    | hostile_text
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
task_ids = st.sampled_from(["t-1", "0385dc79-5ff8-4d82-bcb6-6c4b7c3b1a2e"]) | hostile_text | json_values
statuses = st.sampled_from([*TASK_STATUSES, "DONE", "succeeded", "Running", ""]) | json_values
codes = st.sampled_from(
    ["InvalidParameter", "Throttling", "Throttling.AllocationQuota", "InternalError.Algo", "InvalidApiKey",
     "DataInspectionFailed", "Arrearage", "Nope"]
) | hostile_text | json_values  # fmt: skip
urls = st.sampled_from(
    [VIDEO_URL, "https://10.0.0.1/v.mp4", "http://169.254.169.254/", "ftp://x/y", "", "not a url",
     "http://[::1", "https://cdn.example/v.mp4"]
) | hostile_text | json_values  # fmt: skip
times = st.sampled_from(["2026-01-01 10:00:00.123", "20260101100000", 1767232800000, "?"]) | json_values


@st.composite
def maybe_broken(draw: st.DrawFn, doc: dict[str, Any]) -> Any:
    """The document, or it with fields dropped or replaced by any JSON value, or not a dict."""
    how = draw(st.sampled_from(["as is", "as is", "drop", "retype", "other"]))
    if how == "drop" and doc:
        gone = draw(st.sets(st.sampled_from(sorted(doc)), max_size=len(doc)))
        return {k: v for k, v in doc.items() if k not in gone}
    if how == "retype" and doc:
        key = draw(st.sampled_from(sorted(doc)))
        return {**doc, key: draw(json_values)}
    if how == "other":
        return draw(json_values)
    return doc


@st.composite
def documents(draw: st.DrawFn, operation: str) -> Any:
    """A JSON document shaped like the operation's answer, possibly broken."""
    rid = draw(st.sampled_from(["r-1", KEY]) | json_values)
    if operation in ("create", "cancel"):
        output = {"task_id": draw(task_ids), "task_status": draw(statuses)}
        return {"output": draw(maybe_broken(output)), "request_id": rid}
    if operation == "poll":
        output = {
            "task_id": draw(task_ids),
            "task_status": draw(statuses),
            "video_url": draw(urls),
            "code": draw(codes),
            "message": draw(hostile_text | st.text(max_size=30)),
            "orig_prompt": draw(hostile_text),
            "submit_time": draw(times),
        }
        usage = draw(maybe_broken({"duration": draw(json_values), "video_count": 1}))
        return {"output": draw(maybe_broken(output)), "usage": usage, "request_id": rid}
    if operation == "list":
        row = {"task_id": draw(task_ids), "status": draw(statuses), "model_name": draw(json_values),
               "gmt_create": draw(times), "request_id": rid}  # fmt: skip
        rows = draw(st.lists(maybe_broken(row), max_size=3))
        shapes = [{"data": rows}, {"output": {"data": rows}}, {"data": draw(json_values)}]
        return draw(st.sampled_from(shapes))
    policy = {
        "upload_host": draw(urls), "upload_dir": draw(hostile_text | st.just("dashscope-instant/x")),
        "oss_access_key_id": "LTAI", "signature": "c2ln", "policy": "cG9s", "x_oss_object_acl": "private",
        "x_oss_forbid_overwrite": "true", "expire_in_seconds": draw(json_values),
        "max_file_size_mb": draw(json_values),
    }  # fmt: skip
    return {draw(st.sampled_from(["data", "output"])): draw(maybe_broken(policy)), "request_id": rid}


def _mp4_head() -> bytes:
    return b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"


@functools.cache
def real_mp4() -> bytes:
    """A small, real, decodable MP4 (made once), so that downloads can also succeed."""
    from rt_helpers import make_mp4

    with tempfile.TemporaryDirectory() as tmp:
        return make_mp4(Path(tmp) / "v.mp4", width=64, height=64).read_bytes()


@st.composite
def bodies(draw: st.DrawFn, operation: str) -> bytes:
    """The bytes of a body: the operation's document or something else entirely."""
    kind = draw(st.sampled_from(["doc", "doc", "doc", "truncated", "bytes", "deep", "huge", "text"]))
    if operation == "download" and kind == "doc":
        if draw(st.booleans()):
            return real_mp4()
        return _mp4_head() + draw(st.binary(max_size=2048))
    if kind == "doc":
        try:
            return json.dumps(draw(documents(operation)), allow_nan=True).encode()
        except (ValueError, UnicodeEncodeError):
            return b"{}"
    if kind == "truncated":
        text = json.dumps(draw(documents("poll" if operation == "download" else operation)), default=str)
        return text[: draw(st.integers(0, max(0, len(text) - 1)))].encode("utf-8", "surrogatepass")
    if kind == "bytes":
        return draw(st.binary(max_size=512))
    if kind == "deep":
        depth = draw(st.integers(100, 100_000))
        return b"[" * depth + b"]" * draw(st.sampled_from([0, depth]))
    if kind == "huge":
        head = _mp4_head() if operation == "download" else b'{"pad": "'
        return head + b"x" * (LIMITS.max_answer_bytes * 5)
    return draw(hostile_text).encode("utf-8", "surrogatepass")


@dataclass(frozen=True)
class Reply:
    """One HTTP reply: status, headers, body, and how the body is delivered."""

    status: int
    headers: dict[str, str]
    body: bytes = field(repr=False)
    delivery: str  # whole | chunks | cut | slow | reset


@st.composite
def replies(draw: st.DrawFn, operation: str) -> Reply:
    """One reply to a request of `operation`."""
    status = draw(
        st.sampled_from([200, 200, 200, 201, 204, 206, 301, 302, 307, 400, 401, 403, 404, 408, 413, 416,
                         429, 500, 502, 503, 504])
        | st.integers(100, 599)
    )  # fmt: skip
    headers: dict[str, str] = {}
    if draw(st.booleans()):
        headers["retry-after"] = draw(st.sampled_from(
            ["0", "1", "4", "100000", "inf", "nan", "-1", "abc", "1e999", "Fri, 31 Dec 9999 23:59:59 GMT",
             "Mon, 01 Jan 1900 00:00:00 GMT", ""]))  # fmt: skip
    if draw(st.booleans()):
        headers["content-type"] = draw(st.sampled_from(["application/json", "text/html", "video/mp4", ""]))
    if 300 <= status < 400 and draw(st.booleans()):
        headers["location"] = draw(st.sampled_from(
            [VIDEO_URL, "/_results/v.mp4", "https://10.0.0.1/v.mp4", "http://169.254.169.254/x", "ftp://x/",
             "//[::1", "", "http://127.0.0.1:9/elsewhere.mp4", "https://cdn.example/v.mp4"]))  # fmt: skip
    if operation == "download" and status == 206 and draw(st.booleans()):
        headers["content-range"] = draw(st.sampled_from(["bytes 0-9/10", "bytes 5-1/2", "bytes */*", "junk"]))
    if operation == "download" and draw(st.booleans()):
        headers["etag"] = '"v1"'
    body = draw(bodies(operation))
    if draw(st.booleans()):
        headers["content-length"] = str(draw(st.sampled_from([len(body), len(body) + 10, 0, 10**12])))
    delivery = draw(st.sampled_from(["whole", "whole", "chunks", "cut", "slow", "reset"]))
    return Reply(status, headers, body, delivery)


@st.composite
def answers(draw: st.DrawFn, operation: str | None = None) -> tuple[str, list[Reply]]:
    """An operation and the replies to its successive requests."""
    op = operation or draw(st.sampled_from(OPERATIONS))
    replies_ = draw(st.lists(replies(op), min_size=1, max_size=4))
    if op == "download" and draw(st.integers(0, 3)) == 0:
        # A video that does arrive, after whatever came first (resumes and restarts included).
        video = real_mp4()
        whole = Reply(200, {"content-length": str(len(video)), "etag": '"v1"'}, video, "whole")
        replies_ = [*replies_[: draw(st.integers(0, 2))], whole]
    return op, replies_


# --- playing an answer -------------------------------------------------------------------------


class _Stream(httpx.AsyncByteStream):
    def __init__(self, reply: Reply) -> None:
        self.reply = reply

    async def __aiter__(self) -> AsyncIterator[bytes]:
        body, how = self.reply.body, self.reply.delivery
        if how == "reset":
            raise httpx.ReadError("connection reset by peer")
        if how == "whole":
            yield body
            return
        step = max(1, len(body) // 4) if how != "slow" else 1
        for i in range(0, len(body), step):
            if how == "slow":
                await asyncio.sleep(0.01)  # slower than any cap allows: given up by the caps
            yield body[i : i + step]
            if how == "cut" and i >= len(body) // 2:
                raise httpx.RemoteProtocolError("peer closed connection without sending complete body")


def transport(replies_: list[Reply]) -> httpx.MockTransport:
    """A transport answering each request with the next reply (the last repeats)."""
    served = {"n": 0}

    async def handler(request: httpx.Request) -> httpx.Response:
        reply = replies_[min(served["n"], len(replies_) - 1)]
        served["n"] += 1
        return httpx.Response(reply.status, headers=reply.headers, stream=_Stream(reply))

    return httpx.MockTransport(handler)


def settings() -> RuntimeSettings:
    """Loopback base, the loopback guard on, no real waits, small caps."""
    return RuntimeSettings(
        base_url=BASE,
        region="beijing",
        api_key=KEY,
        poll=PollSchedule().scaled(0.0),
        retry=RetryPolicy(initial_delay=0.0, max_delay=0.0),
        require_loopback=True,
        limits=LIMITS,
    )


async def _nosleep(seconds: float) -> None:
    return None


@dataclass
class Played:
    """How one answer ended: `result` (a type name) or `error` (a RenderError kind)."""

    operation: str
    outcome: str
    seconds: float
    text: str  # every string the outcome carries, to look for the key in


async def _play(operation: str, replies_: list[Reply], folder: Path) -> object:
    mock = transport(replies_)
    async with DashScopeClient(settings(), transport=mock, plain_transport=mock, sleep=_nosleep) as client:
        if operation == "create":
            return await client.create_task({"model": "wan2.6-r2v-flash"}, oss_resolve=False)
        if operation == "poll":
            return await client.get_task("t-1")
        if operation == "list":
            now = datetime.now(UTC)
            return await client.list_tasks(start=now - timedelta(minutes=5), end=now)
        if operation == "policy":
            return await client.get_upload_policy("wan2.6-r2v-flash")
        if operation == "cancel":
            return await client.cancel_task("t-1")
        return await download_video(
            client.plain, VIDEO_URL, folder / "v.mp4", limits=LIMITS, sleep=_nosleep,
            policy=client.settings.retry,
        )


def play(operation: str, replies_: list[Reply]) -> Played:
    """Run one answer against the client; anything but a result or a RenderError propagates."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        try:
            result = asyncio.run(_play(operation, replies_, Path(tmp)))
        except RenderError as exc:
            text = " ".join([exc.message, exc.hint or "", json.dumps(exc.to_dict(), default=str)])
            played = Played(operation, exc.kind, time.perf_counter() - started, text)
        else:
            played = Played(operation, type(result).__name__, time.perf_counter() - started, repr(result))
        left = sorted(p.name for p in Path(tmp).iterdir() if p.name != "v.mp4")
        assert not left, f"left behind: {left}"
    return played
