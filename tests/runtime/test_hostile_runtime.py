"""The runtime against a hostile server on 127.0.0.1: every misbehaviour ends in one typed
error with a hint, bounded by the caps (small ones here), no file left half-written, the key
nowhere. The caps bound the time; no test measures it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from hostile_server import (
    CREATE,
    HostileServer,
    created,
    endless_body,
    json_answer,
    redirect,
    sequence,
    task,
    task_path,
    trickle,
    video_answer,
)
from rt_helpers import TEST_KEY, files_containing, leftovers, local_ref, make_mp4, make_payload, make_png

from shotscript.runtime import constants as C
from shotscript.runtime.backend import DashScopeBackend
from shotscript.runtime.client import DashScopeClient
from shotscript.runtime.download import download_video
from shotscript.runtime.errors import (
    APIError,
    AuthenticationError,
    DownloadTooLargeError,
    DownloadTooSlowError,
    ProtocolError,
    RenderError,
    RetryLaterError,
    UnsafePathError,
    UnsafeURLError,
)
from shotscript.runtime.events import Collect
from shotscript.runtime.limits import RuntimeLimits
from shotscript.runtime.poll_schedule import PollSchedule
from shotscript.runtime.record import MemoryRecordStore
from shotscript.runtime.retry_policy import RetryPolicy, outcome_unknown
from shotscript.runtime.settings import RuntimeSettings
from shotscript.runtime.uploads import UploadCache, upload_references

# Small caps, so each case ends quickly because of the cap under test. The throughput window
# stays seconds long: a busy machine may stall a healthy loopback body for a while, and only
# the trickle test (its own limits) means to be cut.
LIMITS = RuntimeLimits(
    retry_after_max=2.0,
    max_redirects=3,
    video_max_bytes=1 << 20,
    download_deadline=20.0,
    min_throughput=4096,
    throughput_window=5.0,
)


@pytest.fixture
def server() -> Iterator[HostileServer]:
    with HostileServer() as s:
        yield s


def settings_for(server: HostileServer, limits: RuntimeLimits = LIMITS) -> RuntimeSettings:
    return RuntimeSettings(
        base_url=server.base_url,
        region="beijing",
        api_key=TEST_KEY,
        poll=PollSchedule().scaled(0.001),
        retry=RetryPolicy(initial_delay=0.001, max_delay=0.001),
        require_loopback=True,
        limits=limits,
    )


def clean(error: RenderError) -> None:
    """The error is one line, has a hint, and carries no secret in any field."""
    texts = [error.message, error.hint or "", str(error), json.dumps(error.to_dict())]
    assert all(TEST_KEY not in t and "sk-" not in t.replace("sk-***", "") for t in texts), texts
    assert "\n" not in error.message


async def _download(server: HostileServer, path: str, dest: Path, **kw: object) -> None:
    async with DashScopeClient(settings_for(server)) as client:
        await download_video(client.plain, server.url(path), dest, limits=LIMITS, **kw)  # type: ignore[arg-type]


def fetch(server: HostileServer, path: str, dest: Path, **kw: object) -> RenderError:
    with pytest.raises(RenderError) as info:
        asyncio.run(_download(server, path, dest, **kw))
    clean(info.value)
    assert not dest.exists() and leftovers(dest.parent) == []
    return info.value


# --- downloads --------------------------------------------------------------------------------


def test_a_redirect_loop_on_the_video_url_stops_at_the_cap(server: HostileServer, tmp_path: Path) -> None:
    server.route("GET", "/v.mp4", redirect(server.url("/v.mp4")))
    error = fetch(server, "/v.mp4", tmp_path / "o.mp4")
    assert isinstance(error, UnsafeURLError) and error.hint
    assert "redirects more than 3" in error.message
    assert server.hits[("GET", "/v.mp4")] == LIMITS.max_redirects + 1


@pytest.mark.parametrize(
    "target",
    [
        "http://169.254.169.254/latest/meta-data/",
        "https://169.254.169.254/latest/meta-data/",
        "https://100.100.100.200/latest/meta-data/",
        "https://10.1.2.3/v.mp4",
        "https://192.168.0.7/v.mp4",
        "https://[fe80::1]/v.mp4",
        "https://[::ffff:10.0.0.1]/v.mp4",
        "http://example.com/v.mp4",
        "file:///etc/passwd",
    ],
)
def test_redirects_to_private_link_local_or_plain_addresses_are_refused(
    server: HostileServer, tmp_path: Path, target: str
) -> None:
    server.route("GET", "/v.mp4", redirect(target))
    error = fetch(server, "/v.mp4", tmp_path / "o.mp4")
    assert isinstance(error, UnsafeURLError), error
    assert error.hint
    assert server.hits[("GET", "/v.mp4")] == 1


def test_an_endless_body_stops_at_the_size_cap(server: HostileServer, tmp_path: Path) -> None:
    server.route("GET", "/v.mp4", endless_body())
    error = fetch(server, "/v.mp4", tmp_path / "o.mp4", max_bytes=256 << 10)
    assert isinstance(error, DownloadTooLargeError)
    assert "0.2 MiB" in error.message and error.hint


def test_an_announced_size_over_the_cap_is_refused_before_reading(
    server: HostileServer, tmp_path: Path
) -> None:
    server.route("GET", "/v.mp4", video_answer(b"\0\0\0\x18ftypmp42" + b"\0" * (300 << 10)))
    error = fetch(server, "/v.mp4", tmp_path / "o.mp4", max_bytes=256 << 10)
    assert isinstance(error, DownloadTooLargeError) and "announces" in error.message


def test_a_body_trickling_one_byte_every_5_s_is_given_up(server: HostileServer, tmp_path: Path) -> None:
    limits = replace(LIMITS, throughput_window=0.3)  # one byte in 5 s misses any window under 5 s

    async def go() -> None:
        async with DashScopeClient(settings_for(server, limits)) as client:
            await download_video(client.plain, server.url("/v.mp4"), tmp_path / "o.mp4", limits=limits)

    server.route("GET", "/v.mp4", trickle(every=5.0))
    with pytest.raises(DownloadTooSlowError) as info:
        asyncio.run(go())
    error = info.value
    assert "slower than 4 KiB/s" in error.message and error.hint


def test_the_overall_deadline_ends_a_download_that_is_just_fast_enough(
    server: HostileServer, tmp_path: Path
) -> None:
    # Fast enough for every window, but longer than the deadline allows.
    limits = RuntimeLimits(download_deadline=0.5, min_throughput=1, throughput_window=2.0)

    async def go() -> None:
        async with DashScopeClient(settings_for(server, limits)) as client:
            await download_video(client.plain, server.url("/v.mp4"), tmp_path / "o.mp4", limits=limits)

    server.route("GET", "/v.mp4", trickle(every=0.05))
    with pytest.raises(DownloadTooSlowError) as info:
        asyncio.run(go())
    assert "within 0.5s" in info.value.message
    assert leftovers(tmp_path) == [] and not (tmp_path / "o.mp4").exists()


def test_a_result_url_that_is_plain_http_to_another_host_is_refused(tmp_path: Path) -> None:
    base = "https://dashscope.example/api/v1"
    settings = RuntimeSettings(base_url=base, region="beijing", api_key=TEST_KEY)

    async def go(url: str) -> None:
        async with DashScopeClient(settings) as client:
            await download_video(client.plain, url, tmp_path / "o.mp4")

    # Refused on their face: no connection, not even a name lookup, is attempted.
    cases = [("http://127.0.0.1:9/v.mp4", "a loopback address"), ("http://cdn.example/v", "plain http")]
    for url, why in cases:
        with pytest.raises(UnsafeURLError) as info:
            asyncio.run(go(url))
        assert why in info.value.message
    assert leftovers(tmp_path) == []


# --- files ----------------------------------------------------------------------------------


@pytest.fixture
def mp4(tmp_path: Path) -> bytes:
    return make_mp4(tmp_path / "src.mp4").read_bytes()


def test_a_symlink_planted_at_the_part_file_is_refused_and_the_outside_file_untouched(
    server: HostileServer, tmp_path: Path, mp4: bytes
) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("precious")
    out = tmp_path / "out"
    out.mkdir()
    (out / "x.mp4.part").symlink_to(outside)
    server.route("GET", "/v.mp4", video_answer(mp4))
    with pytest.raises(UnsafePathError) as info:
        asyncio.run(_download(server, "/v.mp4", out / "x.mp4"))
    assert "x.mp4.part is a symbolic link" in info.value.message and info.value.hint
    assert outside.read_text() == "precious"
    assert not (out / "x.mp4").exists()
    assert server.hits[("GET", "/v.mp4")] == 0  # refused before anything was fetched


def test_a_symlink_at_the_video_or_on_the_way_is_refused(
    server: HostileServer, tmp_path: Path, mp4: bytes
) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "keep.mp4").write_bytes(b"mine")
    out = tmp_path / "out"
    out.mkdir()
    (out / "x.mp4").symlink_to(outside / "keep.mp4")
    (out / "sub").symlink_to(outside, target_is_directory=True)
    server.route("GET", "/v.mp4", video_answer(mp4))
    with pytest.raises(UnsafePathError):
        asyncio.run(_download(server, "/v.mp4", out / "x.mp4"))
    with pytest.raises(UnsafePathError) as info:
        asyncio.run(_download(server, "/v.mp4", out / "sub" / "keep.mp4", root=out))
    assert "sub is a symbolic link" in info.value.message
    assert (outside / "keep.mp4").read_bytes() == b"mine"
    assert sorted(p.name for p in outside.iterdir()) == ["keep.mp4"]


def test_a_stale_part_file_of_a_killed_run_is_replaced(
    server: HostileServer, tmp_path: Path, mp4: bytes
) -> None:
    (tmp_path / "x.mp4.part").write_bytes(b"half of something")
    server.route("GET", "/v.mp4", video_answer(mp4))
    asyncio.run(_download(server, "/v.mp4", tmp_path / "x.mp4"))
    assert (tmp_path / "x.mp4").read_bytes() == mp4 and leftovers(tmp_path) == []


# --- the task protocol ------------------------------------------------------------------------


async def _poll(server: HostileServer, task_id: str) -> None:
    async with DashScopeClient(settings_for(server)) as client:
        await client.get_task(task_id)


def test_retry_after_100000_on_a_poll_stops_with_retry_later(server: HostileServer) -> None:
    throttled = {"code": "Throttling", "message": "Requests throttling triggered."}
    server.route(*task_path("t1"), json_answer(429, throttled, {"Retry-After": "100000"}))
    with pytest.raises(RetryLaterError) as info:
        asyncio.run(_poll(server, "t1"))
    error = info.value
    clean(error)
    assert error.exit_code == C.EXIT_RETRY_LATER == 75 and not error.retryable
    assert "100000s" in error.message and "run the same command again after" in (error.hint or "")
    assert server.hits[task_path("t1")] == 1  # no sleep, no second request


@pytest.mark.parametrize("value", ["inf", "1e999", "Fri, 31 Dec 9999 23:59:59 GMT"])
def test_endless_retry_afters_stop_too(server: HostileServer, value: str) -> None:
    server.route(*task_path("t1"), json_answer(503, {"code": "ModelUnavailable"}, {"Retry-After": value}))
    with pytest.raises(RetryLaterError):
        asyncio.run(_poll(server, "t1"))


def test_a_short_retry_after_is_waited(server: HostileServer) -> None:
    server.route(
        *task_path("t1"),
        sequence(json_answer(429, {"code": "Throttling"}, {"Retry-After": "0"}), task("t1", "RUNNING")),
    )
    asyncio.run(_poll(server, "t1"))
    assert server.hits[task_path("t1")] == 2


@pytest.mark.parametrize("task_id", ["../../services/x", "t1/../../x", "a b", "t1?x=1", "%2e%2e", ""])
def test_a_malformed_task_id_never_reaches_a_url(server: HostileServer, task_id: str) -> None:
    with pytest.raises(ProtocolError) as info:
        asyncio.run(_poll(server, task_id))
    assert info.value.hint
    assert sum(server.hits.values()) == 0


def test_a_create_answering_a_task_id_with_dot_dot_is_a_protocol_error(server: HostileServer) -> None:
    server.route(*CREATE, created("../../uploads"))

    async def go() -> None:
        async with DashScopeClient(settings_for(server)) as client:
            await client.create_task({"model": "m"}, oss_resolve=False)

    with pytest.raises(ProtocolError) as info:
        asyncio.run(go())
    assert "malformed" in info.value.message


ECHO = f"key {TEST_KEY} and another sk-{'0123456789abcdef' * 2}"


@pytest.mark.parametrize(
    "body",
    [
        {"code": f"InvalidApiKey.{TEST_KEY}", "message": "bad key", "request_id": "r1"},
        {"code": "InvalidApiKey", "message": ECHO, "request_id": "r1"},
        {"code": "InvalidApiKey", "message": "bad key", "request_id": ECHO},
        ECHO,  # not even JSON
    ],
)
def test_a_key_echoed_in_an_error_is_redacted_everywhere(server: HostileServer, body: object) -> None:
    server.route(*task_path("t1"), json_answer(401, body, {"X-Request-Id": TEST_KEY}))
    with pytest.raises(APIError) as info:
        asyncio.run(_poll(server, "t1"))
    clean(info.value)
    assert info.value.status == 401
    for value in (info.value.code, info.value.request_id):
        assert value is None or (TEST_KEY not in value and "sk-0123" not in value)
    if isinstance(body, dict) and body["code"] == "InvalidApiKey":
        assert isinstance(info.value, AuthenticationError)


def test_a_key_that_is_not_sk_shaped_is_redacted_too(
    server: HostileServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = "Q9v-plain-looking-credential-77"
    monkeypatch.setenv("DASHSCOPE_API_KEY", key)
    server.route(*task_path("t1"), json_answer(400, {"code": key, "message": f"no {key}", "request_id": key}))
    with pytest.raises(APIError) as info:
        asyncio.run(_poll(server, "t1"))
    assert key not in json.dumps(info.value.to_dict()) + info.value.message


# --- a whole render through the backend ---------------------------------------------------------


def render_story(
    server: HostileServer, out: Path, store: MemoryRecordStore | None = None
) -> tuple[object, Collect]:
    events = Collect()
    backend = DashScopeBackend(settings_for(server), store=store or MemoryRecordStore())
    try:
        return asyncio.run(backend.render(make_payload(), out / "story.mp4", events)), events
    except RenderError as exc:
        return exc, events


def no_key_anywhere(*roots: Path, events: Collect) -> None:
    for root in roots:
        assert files_containing(root, TEST_KEY) == []
        assert files_containing(root, "sk-0123456789") == []
    assert TEST_KEY not in repr(events.events)


def test_a_failed_tasks_message_with_the_key_is_recorded_redacted(
    server: HostileServer, tmp_path: Path, hermetic_env: Path
) -> None:
    server.route(*CREATE, created("t1", request_id=TEST_KEY))
    failed = task("t1", "FAILED", request_id=ECHO, code="InternalError.X", message=ECHO)
    server.route(*task_path("t1"), failed)
    result, events = render_story(server, tmp_path)
    assert isinstance(result, RenderError)
    clean(result)
    no_key_anywhere(tmp_path, hermetic_env, events=events)


def test_a_success_echoing_the_key_still_writes_video_and_sidecar_without_it(
    server: HostileServer, tmp_path: Path, hermetic_env: Path, mp4: bytes
) -> None:
    server.route(*CREATE, created("t1", request_id=TEST_KEY))
    server.route(
        *task_path("t1"),
        task(
            "t1",
            "SUCCEEDED",
            request_id=ECHO,
            video_url=server.url("/v.mp4"),
            orig_prompt=ECHO,
            actual_prompt=ECHO,
        ),
    )
    server.route("GET", "/v.mp4", video_answer(mp4))
    result, events = render_story(server, tmp_path)
    assert not isinstance(result, RenderError), result
    assert (tmp_path / "story.mp4").read_bytes() == mp4
    sidecar = json.loads((tmp_path / "story.json").read_text())
    assert sidecar["task_id"] == "t1" and "***" in sidecar["service_prompts"]["orig_prompt"]
    no_key_anywhere(tmp_path, hermetic_env, events=events)


def test_retry_after_on_a_poll_during_a_render_stops_it_with_the_task_recorded(
    server: HostileServer, tmp_path: Path
) -> None:
    server.route(*CREATE, created("t1"))
    server.route(*task_path("t1"), json_answer(429, {"code": "Throttling"}, {"Retry-After": "100000"}))
    store = MemoryRecordStore()
    result, _ = render_story(server, tmp_path, store)
    assert isinstance(result, RetryLaterError) and result.exit_code == 75
    assert server.hits[task_path("t1")] == 1
    assert [p.name for p in tmp_path.iterdir() if p.suffix == ".mp4"] == []
    record = store.load("story")
    assert record is not None and record.task_id == "t1"  # kept: a rerun polls it


def test_the_video_cap_follows_the_story() -> None:
    limits = RuntimeLimits()
    assert limits.video_cap(5, "720P") == 5 * (4 << 20) + C.VIDEO_BYTES_ALLOWANCE
    assert limits.video_cap(10, "1080P") < limits.video_cap(None, None) == C.VIDEO_MAX_BYTES
    assert limits.video_cap(10_000, "1080P") == C.VIDEO_MAX_BYTES


@pytest.mark.parametrize("host", ["http://169.254.169.254/", "https://10.0.0.8/", "http://cdn.example.com/"])
def test_an_upload_host_the_policy_refuses_gets_no_byte(
    server: HostileServer, tmp_path: Path, host: str
) -> None:
    policy = {"upload_host": host, "upload_dir": "d", "oss_access_key_id": "LTAI", "signature": "s",
              "policy": "p", "x_oss_object_acl": "private", "x_oss_forbid_overwrite": "true"}  # fmt: skip
    server.route("GET", "/api/v1/uploads", json_answer(200, {"data": policy}))
    payload = make_payload(references=(local_ref("cup", "character1", make_png(tmp_path / "cup.png")),))

    async def go() -> None:
        async with DashScopeClient(settings_for(server)) as client:
            await upload_references(client, payload, UploadCache(tmp_path / "uploads.json"))

    with pytest.raises(UnsafeURLError) as info:
        asyncio.run(go())
    clean(info.value)
    assert server.hits[("GET", "/api/v1/uploads")] == 1


async def _create(server: HostileServer) -> None:
    async with DashScopeClient(settings_for(server)) as client:
        await client.create_task({"model": "m"}, oss_resolve=False)


def test_a_long_retry_after_on_a_throttled_create_is_retry_later(server: HostileServer) -> None:
    server.route(*CREATE, json_answer(429, {"code": "Throttling"}, {"Retry-After": "100000"}))
    with pytest.raises(RetryLaterError) as info:
        asyncio.run(_create(server))
    assert "nothing was created" in (info.value.hint or "")


def test_a_long_retry_after_on_a_failed_create_stays_an_unknown_outcome(server: HostileServer) -> None:
    # A 503 may have made the task: "retry later" would let a rerun pay for a second one.
    server.route(*CREATE, json_answer(503, {"code": "ModelUnavailable"}, {"Retry-After": "100000"}))
    with pytest.raises(APIError) as info:
        asyncio.run(_create(server))
    assert not isinstance(info.value, RetryLaterError) and outcome_unknown(info.value)
    assert server.hits[CREATE] == 1
