"""The client's plumbing over an in-memory transport: headers, retries, never a second create."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

import httpx
import pytest
from rt_helpers import TEST_KEY

from shotscript.runtime.client import DashScopeClient, api_time, parse_api_time, parse_status
from shotscript.runtime.errors import (
    APIConnectionError,
    AuthenticationError,
    ConfigError,
    ProtocolError,
    RateLimitError,
    ServerError,
)
from shotscript.runtime.events import Collect
from shotscript.runtime.retry_policy import RetryPolicy
from shotscript.runtime.settings import RuntimeSettings

BASE = "http://127.0.0.1:9/api/v1"
Handler = Callable[[httpx.Request], httpx.Response]


def client_for(handler: Handler, *, loopback: bool = True, events: Collect | None = None) -> DashScopeClient:
    settings = RuntimeSettings(
        base_url=BASE,
        region="beijing",
        api_key=TEST_KEY,
        retry=RetryPolicy(initial_delay=0.0, max_delay=0.0),
        require_loopback=loopback,
    )
    slept: list[float] = []

    async def sleep(s: float) -> None:
        slept.append(s)

    mock = httpx.MockTransport(handler)
    client = DashScopeClient(
        settings, transport=mock, plain_transport=mock, sleep=sleep, events=events or Collect()
    )
    client.slept = slept  # type: ignore[attr-defined]
    return client


def ok(task_id: str = "t-1") -> httpx.Response:
    return httpx.Response(
        200, json={"output": {"task_id": task_id, "task_status": "PENDING"}, "request_id": "r-ok"}
    )


def run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


def test_create_sends_the_async_and_resolve_headers_and_the_key_only_to_the_api() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return ok()

    async def go() -> None:
        async with client_for(handler) as c:
            created = await c.create_task({"model": "m"}, oss_resolve=True)
            assert created.task_id == "t-1" and created.request_id == "r-ok"
            await c.plain.get("http://127.0.0.1:9/_results/x.mp4")

    run(go())
    api, other = seen
    assert api.headers["X-DashScope-Async"] == "enable"
    assert api.headers["X-DashScope-OssResourceResolve"] == "enable"
    assert api.headers["Authorization"] == f"Bearer {TEST_KEY}"
    assert json.loads(api.content) == {"model": "m"}
    assert "authorization" not in other.headers  # uploads and downloads never carry the key


def test_no_resolve_header_without_oss_urls() -> None:
    seen: list[httpx.Request] = []
    run(client_for(lambda r: seen.append(r) or ok()).create_task({}, oss_resolve=False))
    assert "X-DashScope-OssResourceResolve" not in seen[0].headers


def test_throttled_create_is_retried_after_retry_after() -> None:
    answers = [
        httpx.Response(
            429,
            json={"code": "Throttling.RateQuota", "message": "slow down"},
            headers={"Retry-After": "2"},
        ),
        ok(),
    ]
    events = Collect()
    c = client_for(lambda r: answers.pop(0), events=events)
    assert run(c.create_task({}, oss_resolve=False)).task_id == "t-1"
    assert c.slept == [2.0]  # type: ignore[attr-defined]
    assert [e.data["operation"] for e in events.of("retry")] == ["create"]


@pytest.mark.parametrize(
    "failure",
    [
        lambda: httpx.Response(500, json={"code": "InternalError", "message": "x"}),
        lambda: httpx.Response(503, json={"code": "ModelUnavailable", "message": "x"}),
    ],
)
def test_create_is_never_resent_after_an_unknown_outcome(
    failure: Callable[[], httpx.Response],
) -> None:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return failure()

    with pytest.raises(ServerError):
        run(client_for(handler).create_task({}, oss_resolve=False))
    assert len(calls) == 1


def test_create_cut_after_sending_is_not_resent() -> None:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        raise httpx.ReadError("connection reset by peer", request=request)

    with pytest.raises(APIConnectionError) as info:
        run(client_for(handler).create_task({}, oss_resolve=False))
    assert info.value.sent is True and len(calls) == 1


def test_create_that_never_connected_is_retried() -> None:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if len(calls) < 3:
            raise httpx.ConnectError("refused", request=request)
        return ok()

    assert run(client_for(handler).create_task({}, oss_resolve=False)).task_id == "t-1"
    assert len(calls) == 3


def test_polls_retry_server_errors_and_resets() -> None:
    answers: list[Callable[[httpx.Request], httpx.Response]] = [
        lambda r: httpx.Response(500, json={"code": "InternalError"}),
        lambda r: (_ for _ in ()).throw(httpx.RemoteProtocolError("reset", request=r)),
        lambda r: httpx.Response(200, json={"output": {"task_id": "t", "task_status": "RUNNING"}}),
    ]
    snap = run(client_for(lambda r: answers.pop(0)(r)).get_task("t"))
    assert snap.status == "RUNNING"


def test_retries_give_up_with_the_typed_error() -> None:
    c = client_for(lambda r: httpx.Response(429, json={"code": "Throttling"}))
    with pytest.raises(RateLimitError):
        run(c.get_task("t"))
    assert len(c.slept) == 4  # type: ignore[attr-defined]


def test_bad_key_is_not_retried_and_the_message_never_has_the_key() -> None:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(
            401, json={"code": "InvalidApiKey", "message": f"Invalid API-key provided: {TEST_KEY}"}
        )

    with pytest.raises(AuthenticationError) as info:
        run(client_for(handler).get_task("t"))
    assert len(calls) == 1
    assert TEST_KEY not in str(info.value) and "***" in str(info.value)
    assert info.value.hint and "region" in info.value.hint


def test_loopback_guard_blocks_other_hosts() -> None:
    c = client_for(lambda r: ok())
    with pytest.raises(ConfigError, match="non-loopback"):
        run(c.plain.get("https://dashscope.aliyuncs.com/api/v1/tasks/x"))


def test_status_is_closed() -> None:
    assert parse_status("RUNNING", task_id="t") == "RUNNING"
    with pytest.raises(ProtocolError):
        parse_status("EXPLODED", task_id="t")


def test_a_success_without_a_task_id_is_a_protocol_error() -> None:
    with pytest.raises(ProtocolError):
        run(client_for(lambda r: httpx.Response(200, json={"output": {}})).create_task({}, oss_resolve=False))


def test_upload_policy_accepts_data_or_output() -> None:
    policy = {
        "upload_host": "http://127.0.0.1:9/_oss",
        "upload_dir": "dir/x/",
        "oss_access_key_id": "id",
        "signature": "sig",
        "policy": "pol",
        "x_oss_object_acl": "private",
        "x_oss_forbid_overwrite": "true",
        "max_file_size_mb": 100,
    }
    for wrapper in ("data", "output"):
        p = run(client_for(lambda r, w=wrapper: httpx.Response(200, json={w: policy})).get_upload_policy("m"))
        assert p.upload_dir == "dir/x" and p.max_bytes == 100 * 1024 * 1024
        assert p.form["OSSAccessKeyId"] == "id"


def test_list_parses_rows_and_sends_api_times() -> None:
    seen: list[httpx.Request] = []
    rows = [
        {
            "task_id": "a",
            "status": "PENDING",
            "model_name": "m",
            "request_id": "r",
            "gmt_create": 1700000000123,
        }
    ]

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"data": rows, "total": 1})

    from datetime import UTC, datetime

    start = datetime(2026, 2, 1, 0, 0, 0, tzinfo=UTC)
    got = run(client_for(handler).list_tasks(start=start, end=start, model="m"))
    assert got[0].task_id == "a" and got[0].created == pytest.approx(1700000000.123)
    assert seen[0].url.params["start_time"] == "20260201080000"  # China Standard Time
    assert api_time(start) == "20260201080000"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1700000000123, 1700000000.123),
        ("1700000000123", 1700000000.123),
        ("2023-11-15 06:13:20.000", 1700000000.0),
        ("20231115061320", 1700000000.0),
        ("yesterday", None),
        (None, None),
    ],
)
def test_parse_api_time(value: object, expected: float | None) -> None:
    assert parse_api_time(value) == (pytest.approx(expected) if expected else None)
