"""Downloads: streamed to a .part file, resumed with Range after a cut, checked, renamed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from rt_helpers import make_mp4

from shotscript.runtime.download import (
    download_video,
    looks_like_mp4,
    parse_content_range,
    probe_video,
)
from shotscript.runtime.errors import DownloadError

URL = "http://127.0.0.1:9/_results/t.mp4"


class Body(httpx.AsyncByteStream):
    """A streamed body, as a network answer is; `cut` drops the connection after it."""

    def __init__(self, data: bytes, *, cut: bool = False) -> None:
        self.data, self.cut = data, cut

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self.data
        if self.cut:
            raise httpx.ReadError("connection closed mid-body")


class Server:
    """Serves one file; cuts the first `cuts` answers at `cut_at` bytes; may ignore Range."""

    def __init__(self, data: bytes, *, cuts: int = 0, cut_at: int = 100, ranges: bool = True) -> None:
        self.data, self.cuts, self.cut_at, self.ranges = data, cuts, cut_at, ranges
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        start = 0
        rng = request.headers.get("range")
        if rng and self.ranges:
            start = int(rng.removeprefix("bytes=").rstrip("-"))
        body = self.data[start:]
        headers = {"content-length": str(len(body)), "etag": '"v1"'}
        status = 200
        if start:
            status = 206
            headers["content-range"] = f"bytes {start}-{len(self.data) - 1}/{len(self.data)}"
        if self.cuts:
            self.cuts -= 1
            return httpx.Response(status, headers=headers, stream=Body(body[: self.cut_at], cut=True))
        return httpx.Response(status, headers=headers, stream=Body(body))


@pytest.fixture(scope="module")
def video(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return make_mp4(tmp_path_factory.mktemp("v") / "v.mp4", width=320, height=240, seconds=1).read_bytes()


def fetch(server: Server, dest: Path, **kw: object) -> object:
    async def go() -> object:
        async with httpx.AsyncClient(transport=httpx.MockTransport(server)) as client:

            async def nosleep(_: float) -> None:
                return None

            return await download_video(client, URL, dest, sleep=nosleep, **kw)  # type: ignore[arg-type]

    return asyncio.run(go())


def test_whole_download(tmp_path: Path, video: bytes) -> None:
    result = fetch(Server(video), tmp_path / "out.mp4")
    assert (tmp_path / "out.mp4").read_bytes() == video
    assert result.resumes == 0 and result.probe.size == "320*240"  # type: ignore[attr-defined]
    assert result.probe.fps == pytest.approx(30)  # type: ignore[attr-defined]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.mp4"]


def test_many_cuts_with_progress_keep_going(tmp_path: Path, video: bytes) -> None:
    server = Server(video, cuts=12, cut_at=200)
    result = fetch(server, tmp_path / "out.mp4")
    assert (tmp_path / "out.mp4").read_bytes() == video
    assert result.resumes == 12  # type: ignore[attr-defined]


def test_cut_download_resumes_with_range(tmp_path: Path, video: bytes) -> None:
    server = Server(video, cuts=2, cut_at=500)
    result = fetch(server, tmp_path / "out.mp4")
    assert (tmp_path / "out.mp4").read_bytes() == video
    assert result.resumes == 2  # type: ignore[attr-defined]
    assert [r.headers.get("range") for r in server.requests] == [None, "bytes=500-", "bytes=1000-"]
    assert server.requests[1].headers["if-range"] == '"v1"'


def test_server_ignoring_range_restarts_cleanly(tmp_path: Path, video: bytes) -> None:
    server = Server(video, cuts=1, cut_at=700, ranges=False)
    fetch(server, tmp_path / "out.mp4")
    assert (tmp_path / "out.mp4").read_bytes() == video  # not 700 bytes + a second copy


def test_cuts_that_bring_nothing_give_up_and_leave_nothing_behind(tmp_path: Path, video: bytes) -> None:
    with pytest.raises(DownloadError, match="cut"):
        fetch(Server(video, cuts=99, cut_at=0), tmp_path / "out.mp4")
    assert list(tmp_path.iterdir()) == []


def test_not_an_mp4_is_refused_and_removed(tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match="not an MP4"):
        fetch(Server(b"<html>gateway error</html>" * 10), tmp_path / "out.mp4")
    assert list(tmp_path.iterdir()) == []


def test_a_header_that_looks_right_but_does_not_decode_is_refused(tmp_path: Path, video: bytes) -> None:
    broken = video[:32] + bytes(len(video) - 32)
    with pytest.raises(DownloadError):
        fetch(Server(broken), tmp_path / "out.mp4")
    assert list(tmp_path.iterdir()) == []


def test_an_earlier_video_survives_a_failed_download(tmp_path: Path, video: bytes) -> None:
    dest = tmp_path / "out.mp4"
    dest.write_bytes(video)
    with pytest.raises(DownloadError):
        fetch(Server(b"nope" * 100), dest)
    assert dest.read_bytes() == video


def test_refused_download(tmp_path: Path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(403, text="<Error><Code>AccessDenied</Code></Error>")

    async def go() -> None:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
            await download_video(client, URL, tmp_path / "o.mp4")

    with pytest.raises(DownloadError, match="403"):
        asyncio.run(go())


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes 0-9/10", (0, 9, 10)),
        ("bytes 5-9/*", (5, 9, None)),
        ("bytes */10", None),
        (None, None),
    ],
)
def test_parse_content_range(header: str | None, expected: object) -> None:
    assert parse_content_range(header) == expected


def test_looks_like_mp4(video: bytes) -> None:
    assert looks_like_mp4(video[:12])
    assert not looks_like_mp4(b"\x00\x00\x00\x18moov")


def test_probe_of_garbage(tmp_path: Path) -> None:
    p = tmp_path / "x.mp4"
    p.write_bytes(b"garbage" * 100)
    with pytest.raises(DownloadError):
        probe_video(p)
