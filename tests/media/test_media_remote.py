"""Remote references: one ranged GET each says whether the service can fetch and accept them."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import httpx
import pytest

from shotscript.media.probe import probe_bytes
from shotscript.media.remote import HEAD_BYTES, RemoteInfo, check_remote, probe_urls

NOW = 1_800_000_000.0


def _serve(files: dict[str, tuple[int, str, bytes]], seen: list[httpx.Request]) -> httpx.MockTransport:
    """A fake CDN: path -> (status, content type, body); honours `Range: bytes=a-b`."""

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/slow":
            raise httpx.ReadTimeout("slow", request=request)
        if request.url.path == "/moved":
            return httpx.Response(302, headers={"location": "https://cdn.test/ok.png"})
        status, ctype, body = files.get(request.url.path, (404, "text/html", b"<h1>no</h1>"))
        rng = request.headers.get("range", "")
        if status == 200 and rng.startswith("bytes=") and not request.url.path.startswith("/norange"):
            a, _, b = rng[6:].partition("-")
            part = body[int(a) : int(b) + 1]
            headers = {
                "content-type": ctype,
                "content-range": f"bytes {a}-{int(a) + len(part) - 1}/{len(body)}",
            }
            return httpx.Response(206, headers=headers, content=part)
        return httpx.Response(status, headers={"content-type": ctype}, content=body)

    return httpx.MockTransport(handler)


@pytest.fixture(scope="module")
def cdn(media_dir: Path) -> dict[str, tuple[int, str, bytes]]:
    """What the fake CDN serves."""

    def read(name: str) -> bytes:
        return (media_dir / name).read_bytes()

    return {
        "/ok.png": (200, "image/png", read("ok.png")),
        "/alpha.png": (200, "image/png", read("alpha.png")),
        "/long.mp4": (200, "video/mp4", read("faststart.mp4")),
        "/ok.mp4": (200, "video/mp4", read("ok.mp4")),  # index at the end: length unknown
        "/norange-big.mp4": (200, "video/mp4", read("faststart.mp4") + bytes(3 * HEAD_BYTES)),
        "/share-page.mp4": (200, "text/html; charset=utf-8", b"<html>login</html>"),
        "/forbidden.png": (403, "application/xml", b"<Error>AccessDenied</Error>"),
    }


def _probe(
    cdn: dict[str, tuple[int, str, bytes]], *paths: str
) -> tuple[list[RemoteInfo], list[httpx.Request]]:
    seen: list[httpx.Request] = []
    urls = [p if "://" in p else f"https://cdn.test{p}" for p in paths]
    return asyncio.run(probe_urls(urls, transport=_serve(cdn, seen), timeout=2)), seen


def _codes(info: RemoteInfo, kind: str) -> list[str]:
    return [p.code for p in check_remote(info, kind, now=NOW)]


def test_a_good_image(cdn: dict[str, tuple[int, str, bytes]]) -> None:
    (info,), seen = _probe(cdn, "/ok.png")
    assert seen[0].headers["range"] == f"bytes=0-{HEAD_BYTES - 1}"
    assert (info.status, info.ranges, info.content_type) == (206, True, "image/png")
    assert info.length == len(cdn["/ok.png"][2])
    assert info.media is not None and (info.media.width, info.media.height) == (400, 300)
    assert _codes(info, "image") == []


@pytest.mark.parametrize(
    ("path", "kind", "codes"),
    [
        ("/alpha.png", "image", ["image-alpha"]),
        ("/long.mp4", "video", ["video-too-long"]),  # moov first: the head has the length
        ("/ok.mp4", "video", []),  # moov last: length unknown, no complaint about it
        ("/ok.png", "video", ["media-kind-mismatch"]),
        ("/share-page.mp4", "video", ["remote-not-media"]),
        ("/forbidden.png", "image", ["remote-http-error"]),
        ("/gone.mp4", "video", ["remote-http-error"]),
        ("/slow", "video", ["remote-unreachable"]),
    ],
)  # fmt: skip
def test_remote_problems(
    cdn: dict[str, tuple[int, str, bytes]], path: str, kind: str, codes: list[str]
) -> None:
    (info,), _ = _probe(cdn, path)
    assert _codes(info, kind) == codes


def test_a_server_ignoring_range_is_not_downloaded_whole(cdn: dict[str, tuple[int, str, bytes]]) -> None:
    (info,), _ = _probe(cdn, "/norange-big.mp4")
    assert info.status == 200 and not info.ranges
    assert info.length == len(cdn["/norange-big.mp4"][2])
    assert info.media is not None and info.media.duration == 40.0


def test_redirects_are_followed(cdn: dict[str, tuple[int, str, bytes]]) -> None:
    (info,), _ = _probe(cdn, "/moved")
    assert info.final_url == "https://cdn.test/ok.png"
    assert _codes(info, "image") == []


def test_huge_remote_file_from_its_content_range() -> None:
    body = b"\x00\x00\x00\x18ftypisom" + bytes(100)
    media = probe_bytes(body, total_bytes=200 * 2**20)
    info = RemoteInfo(url="https://cdn.test/x.mp4", status=206, length=200 * 2**20, media=media)
    assert _codes(info, "video") == ["video-file-too-large"]


def test_order_is_kept(cdn: dict[str, tuple[int, str, bytes]]) -> None:
    paths = ["/ok.png", "/gone.mp4", "/long.mp4", "/alpha.png"] * 3
    infos, _ = _probe(cdn, *paths)
    assert [i.url for i in infos] == [f"https://cdn.test{p}" for p in paths]


def test_connection_refused_on_loopback() -> None:
    with socket.socket() as s:  # a port nobody listens on: bind, then close
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    (info,) = asyncio.run(probe_urls([f"http://127.0.0.1:{port}/x.mp4"], timeout=2))
    assert info.status is None and info.error
    assert _codes(info, "video") == ["remote-private-host", "remote-unreachable"]


@pytest.mark.parametrize(
    ("url", "codes"),
    [
        (f"https://b.oss-cn-beijing.aliyuncs.com/a.mp4?Expires={int(NOW) + 600}&Signature=x",
         ["remote-url-expires"]),
        (f"https://b.oss-cn-beijing.aliyuncs.com/a.mp4?Expires={int(NOW) + 86400}", []),
        ("https://s3.test/a.mp4?X-Amz-Date=20270115T080000Z&X-Amz-Expires=60",
         ["remote-url-expires"]),
        ("http://192.168.1.20/a.mp4", ["remote-private-host"]),
        ("http://localhost:8000/a.mp4", ["remote-private-host"]),
        ("https://cdn.wanx.aliyuncs.com/static/demo-wan26/vace.mp4", []),
    ],
)  # fmt: skip
def test_url_checks(url: str, codes: list[str]) -> None:
    ok = RemoteInfo(url=url, status=206, media=probe_bytes(b"\x00\x00\x00\x18ftypisom" + bytes(64)))
    assert _codes(ok, "video") == codes


def test_expired_url_message() -> None:
    info = RemoteInfo(url=f"https://x.test/a?Expires={int(NOW) - 5}", status=403)
    problems = check_remote(info, "image", now=NOW)
    assert [p.code for p in problems] == ["remote-url-expires", "remote-http-error"]
    assert problems[0].message == "signed URL has expired"
