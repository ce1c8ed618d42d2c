"""Result videos: real MP4s of the requested size, 30 fps and length; Range; cut downloads."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import httpx
import pytest

from tests.emulator.emulator_helpers import created_id, seed_payload, wait_for
from tests.emulator_process import Emulator


def finished(api: httpx.Client, body: dict[str, Any]) -> dict[str, Any]:
    """Create a task and wait for its SUCCEEDED answer."""
    answer = wait_for(api, created_id(api, body))
    assert answer["output"]["task_status"] == "SUCCEEDED", answer
    return answer


def probe(path: Path) -> dict[str, Any]:
    """What PyAV reads from a file."""
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        return {
            "codec": video.codec_context.name,
            "pix_fmt": video.codec_context.pix_fmt,
            "size": f"{video.width}*{video.height}",
            "fps": video.average_rate,
            "seconds": float(video.duration * video.time_base) if video.duration else None,
            "frames": video.frames,
            "audio": [s.codec_context.name for s in container.streams.audio],
        }


@pytest.mark.parametrize(
    ("name", "size", "seconds", "audio"),
    [("silent-dance", "1280*720", 5, False), ("smartwatch", "1920*1080", 2, True)],
)
def test_result_is_a_real_mp4_as_requested(
    api: httpx.Client, tmp_path: Path, name: str, size: str, seconds: int, audio: bool
) -> None:
    body = seed_payload(name)
    body["parameters"].update(size=size, duration=seconds)
    url = finished(api, body)["output"]["video_url"]
    response = httpx.get(url)
    assert response.status_code == 200 and response.headers["content-type"] == "video/mp4"
    assert response.headers["accept-ranges"] == "bytes"
    path = tmp_path / "result.mp4"
    path.write_bytes(response.content)
    info = probe(path)
    assert info["codec"] == "h264" and info["pix_fmt"] == "yuv420p"
    assert info["size"] == size and info["fps"] == Fraction(30)
    assert info["seconds"] == seconds and info["frames"] == 30 * seconds
    assert info["audio"] == (["aac"] if audio else [])


def test_range_requests_resume_a_download(api: httpx.Client, emulator: Emulator) -> None:
    url = finished(api, seed_payload())["output"]["video_url"]
    whole = httpx.get(url).content
    head = httpx.get(url, headers={"Range": "bytes=0-999"})
    assert head.status_code == 206 and len(head.content) == 1000
    assert head.headers["content-range"] == f"bytes 0-999/{len(whole)}"
    rest = httpx.get(url, headers={"Range": "bytes=1000-", "If-Range": head.headers["etag"]})
    assert rest.status_code == 206 and head.content + rest.content == whole
    stale = httpx.get(url, headers={"Range": "bytes=1000-", "If-Range": '"other"'})
    assert stale.status_code == 200 and stale.content == whole
    beyond = httpx.get(url, headers={"Range": f"bytes={len(whole)}-"})
    assert beyond.status_code == 416 and beyond.headers["content-range"] == f"bytes */{len(whole)}"
    info = httpx.head(url)
    assert info.status_code == 200 and int(info.headers["content-length"]) == len(whole)
    stats = emulator.stats()
    assert stats["downloads"] == 6
    assert stats["download_bytes"] == 2 * len(whole) + 1000 + len(rest.content)


def test_result_urls_are_signed_and_only_for_finished_tasks(api: httpx.Client, emulator: Emulator) -> None:
    url = finished(api, seed_payload())["output"]["video_url"]
    tampered = url.replace("Signature=", "Signature=x")
    assert httpx.get(tampered).status_code == 403
    assert httpx.get(url.split("?")[0]).status_code == 403
    missing = httpx.get(f"{emulator.root_url}/_results/nope.mp4")
    assert missing.status_code == 404 and "<Code>NoSuchKey</Code>" in missing.text


def test_cut_downloads_can_be_resumed(api: httpx.Client, emulator: Emulator) -> None:
    url = finished(api, seed_payload())["output"]["video_url"]
    whole = httpx.get(url).content
    emulator.reset(faults="truncate=1")  # every download is cut short from now on
    url = finished(api, seed_payload())["output"]["video_url"]
    received = b""
    cuts = 0
    while len(received) < len(whole) and cuts < 200:
        headers = {"Range": f"bytes={len(received)}-"} if received else {}
        try:
            with httpx.stream("GET", url, headers=headers) as response:
                assert response.status_code in (200, 206)
                for chunk in response.iter_raw():
                    received += chunk
        except httpx.RemoteProtocolError:  # the connection closed before Content-Length bytes
            cuts += 1
    assert cuts >= 1 and received == whole
    assert emulator.stats()["faults"]["truncate"] == cuts
    assert "Traceback" not in emulator.log()
