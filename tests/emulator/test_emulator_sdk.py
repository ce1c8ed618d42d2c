"""The official `dashscope` SDK, pointed at the emulator, runs seed payloads to SUCCEEDED.

This is the proof that the emulator speaks the real protocol: the SDK builds the URL,
headers and body itself (`input.function`, `input.extend_prompt`, its own headers), polls
with its own `wait()`, and fetches upload policies and uploads local files its own way.
"""

from __future__ import annotations

import ipaddress
import socket
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import av
import httpx
import pytest
from PIL import Image

from tests.emulator.emulator_helpers import KEY, create, seed_payload
from tests.emulator_process import Emulator


@pytest.fixture
def sdk(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The `dashscope` module, able to reach the emulator and nothing else."""
    monkeypatch.setenv("DASHSCOPE_HTTP_BASE_URL", emulator.base_url)  # read at import time
    monkeypatch.setenv("DASHSCOPE_API_KEY", KEY)
    import dashscope

    monkeypatch.setattr(dashscope, "base_http_api_url", emulator.base_url)  # read per call
    assert urlparse(dashscope.base_http_api_url).hostname == "127.0.0.1"
    real_getaddrinfo = socket.getaddrinfo

    def loopback_only(host: Any, *args: Any, **kwargs: Any) -> Any:
        # Belt and braces: whatever URL the SDK might build, only loopback resolves.
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name != "localhost" and not ipaddress.ip_address(name).is_loopback:
            raise OSError(f"test guard: refusing to resolve {name}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", loopback_only)
    yield dashscope


def sdk_arguments(body: dict[str, Any]) -> dict[str, Any]:
    """A seed request body as `VideoSynthesis.async_call` keyword arguments."""
    return {
        "model": body["model"],
        "prompt": body["input"]["prompt"],
        "reference_urls": body["input"]["reference_urls"],
        **body["parameters"],  # size, duration, shot_type, watermark go by name; audio via kwargs
    }


def test_official_sdk_runs_a_seed_payload_to_succeeded(sdk: Any, emulator: Emulator) -> None:
    body = seed_payload("multi-character")
    started = sdk.VideoSynthesis.async_call(api_key=KEY, **sdk_arguments(body))
    assert started.status_code == 200, started
    assert started.output.task_status == "PENDING"
    result = sdk.VideoSynthesis.wait(started, api_key=KEY)
    assert result.status_code == 200, result
    assert result.output.task_status == "SUCCEEDED"
    assert result.output.video_url.startswith(emulator.root_url + "/_results/")
    assert result.usage.video_count == 1 and result.usage["output_video_duration"] == 10
    assert httpx.get(result.output.video_url).status_code == 200
    stats = emulator.stats()
    assert (stats["creates"], stats["duplicate_creates"], stats["errors"]) == (1, 0, 0)
    assert stats["polls"] >= 1
    # The SDK added input.function and input.extend_prompt; the same story sent by hand
    # is still recognised as the same request.
    with httpx.Client(base_url=emulator.base_url, headers={"Authorization": f"Bearer {KEY}"}) as api:
        assert create(api, body).status_code == 200
    assert emulator.stats()["duplicate_creates"] == 1


def test_official_sdk_uploads_a_local_file(sdk: Any, emulator: Emulator, tmp_path: Path) -> None:
    picture = tmp_path / "role.png"
    Image.new("RGB", (400, 600), (10, 120, 200)).save(picture)
    body = seed_payload("silent-dance")
    arguments = {**sdk_arguments(body), "reference_urls": [f"file://{picture}"]}
    started = sdk.VideoSynthesis.async_call(api_key=KEY, **arguments)
    assert started.status_code == 200, started
    result = sdk.VideoSynthesis.wait(started, api_key=KEY)
    assert result.output.task_status == "SUCCEEDED", result
    stats = emulator.stats()
    assert (stats["policies"], stats["uploads"], stats["creates"]) == (1, 1, 1)


def test_official_sdk_lists_cancels_and_sees_errors(sdk: Any, emulator: Emulator) -> None:
    emulator.reset(gen_seconds=3.0)  # long enough in the queue to cancel
    body = seed_payload("smartwatch")
    started = sdk.VideoSynthesis.async_call(api_key=KEY, **sdk_arguments(body))
    canceled = sdk.VideoSynthesis.cancel(started, api_key=KEY)
    assert canceled.status_code == 200, canceled
    assert sdk.VideoSynthesis.fetch(started, api_key=KEY).output.task_status == "CANCELED"
    listed = sdk.VideoSynthesis.list(api_key=KEY)
    assert listed.status_code == 200
    assert [row["task_id"] for row in listed.output["data"]] == [started.output.task_id]
    again = sdk.VideoSynthesis.cancel(started, api_key=KEY)
    assert (again.status_code, again.code) == (400, "UnsupportedOperation")
    refused = sdk.VideoSynthesis.async_call(api_key="bad-key", **sdk_arguments(body))
    assert (refused.status_code, refused.code) == (401, "InvalidApiKey")
    wrong = sdk.VideoSynthesis.async_call(api_key=KEY, **{**sdk_arguments(body), "duration": 11})
    assert (wrong.status_code, wrong.code) == (400, "InvalidParameter")


def test_official_sdk_resends_a_create_after_a_dropped_connection(sdk: Any, emulator: Emulator) -> None:
    """What the `reset` fault is for: dashscope 2.0.2 retries a POST once on a connection
    error, even after the server got it, so a dropped create can be billed twice while the
    caller gets only an exception. Clients must not retry creates blindly."""
    import requests

    body = seed_payload("smartwatch")
    duplicated = 0
    for seed in range(10):
        emulator.reset(faults="reset=1", seed=seed)
        with pytest.raises(requests.ConnectionError):
            sdk.VideoSynthesis.async_call(api_key=KEY, **sdk_arguments(body))
        stats = emulator.stats()
        assert stats["create_requests"] == 2  # the SDK's own silent retry
        assert stats["duplicate_creates"] == max(0, stats["creates"] - 1)
        duplicated += stats["duplicate_creates"]
    assert duplicated > 0  # some runs created the task twice, and the caller never knew


def test_official_sdk_runs_wan27_media_to_an_mp4_of_the_right_size(
    sdk: Any, emulator: Emulator, tmp_path: Path
) -> None:
    media = [
        {
            "type": "reference_image",
            "url": "https://example.com/girl.png",
            "reference_voice": "https://example.com/girl.mp3",
        },
        {"type": "reference_video", "url": "https://example.com/boy.mp4"},
    ]
    started = sdk.VideoSynthesis.async_call(
        api_key=KEY, model="wan2.7-r2v", prompt="图1和视频1在咖啡厅里聊天", media=media,
        resolution="720P", ratio="9:16", duration=3,
    )  # fmt: skip
    assert started.status_code == 200, started
    result = sdk.VideoSynthesis.wait(started, api_key=KEY)
    assert result.output.task_status == "SUCCEEDED", result
    assert result.usage["ratio"] == "9:16" and result.usage["SR"] == 720
    assert result.usage["input_video_duration"] == 5.0 and result.usage["output_video_duration"] == 3
    path = tmp_path / "wan27.mp4"
    path.write_bytes(httpx.get(result.output.video_url).content)
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert (stream.width, stream.height) == (720, 1280)
        assert float(stream.duration * stream.time_base) == 3.0
        assert [s.codec_context.name for s in container.streams.audio] == ["aac"]
    stats = emulator.stats()
    assert (stats["creates"], stats["duplicate_creates"], stats["errors"]) == (1, 0, 0)


def test_official_sdk_uploads_wan27_local_images_and_voices(
    sdk: Any, emulator: Emulator, tmp_path: Path
) -> None:
    picture, voice = tmp_path / "girl.png", tmp_path / "girl.wav"
    Image.new("RGB", (480, 640), (10, 120, 200)).save(picture)
    with wave.open(str(voice), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\0\0" * 8000 * 2)
    media = [{"type": "reference_image", "url": f"file://{picture}", "reference_voice": f"file://{voice}"}]
    started = sdk.VideoSynthesis.async_call(
        api_key=KEY, model="wan2.7-r2v", prompt="图1说：你好", media=media, resolution="1080P", ratio="1:1",
        duration=2,
    )  # fmt: skip
    assert started.status_code == 200, started
    result = sdk.VideoSynthesis.wait(started, api_key=KEY)
    assert result.output.task_status == "SUCCEEDED", result  # the uploads passed the 2.7 checks
    assert result.usage["ratio"] == "1:1" and result.usage["SR"] == 1080
    stats = emulator.stats()
    assert (stats["uploads"], stats["creates"]) == (2, 1)
