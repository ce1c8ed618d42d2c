"""Fetch the result video: stream to a temporary file, resume after a cut, check, rename."""

from __future__ import annotations

import asyncio
import os
import random
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import BinaryIO

import av
import httpx

from shotscript.runtime import constants as C
from shotscript.runtime.errors import DownloadError
from shotscript.runtime.events import Event, EventSink, ignore
from shotscript.runtime.retry_policy import RetryPolicy, backoff_delay

_CONTENT_RANGE = re.compile(r"^\s*bytes\s+(\d+)-(\d+)/(\d+|\*)\s*$")


@dataclass(frozen=True)
class VideoProbe:
    """What the container says about the video."""

    width: int
    height: int
    fps: float
    duration: float
    codec: str

    @property
    def size(self) -> str:
        """The size spelled as the API does, `W*H`."""
        return f"{self.width}*{self.height}"


@dataclass(frozen=True)
class DownloadResult:
    """A video on disk, with how it got there."""

    path: Path
    bytes: int
    resumes: int
    probe: VideoProbe


def parse_content_range(value: str | None) -> tuple[int, int, int | None] | None:
    """(first, last, total) from `Content-Range: bytes a-b/n`; total None for `*`."""
    match = _CONTENT_RANGE.match(value or "")
    if not match:
        return None
    first, last, total = match.groups()
    return int(first), int(last), None if total == "*" else int(total)


def looks_like_mp4(head: bytes) -> bool:
    """Whether the first bytes are an ISO-BMFF `ftyp` box, as every MP4 starts."""
    return len(head) >= 12 and head[4:8] == b"ftyp"


def probe_video(path: Path) -> VideoProbe:
    """Open the file with FFmpeg (PyAV), decode one frame, and report size, fps, duration."""
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise DownloadError(f"{path.name}: no video stream")
            stream = container.streams.video[0]
            rate = stream.average_rate or stream.guessed_rate or Fraction(0)
            if container.duration is not None:
                duration = container.duration / av.time_base
            elif stream.duration is not None and stream.time_base is not None:
                duration = float(stream.duration * stream.time_base)
            else:
                duration = 0.0
            next(container.decode(stream), None)  # a real, decodable video, not just a header
            return VideoProbe(
                width=stream.codec_context.width,
                height=stream.codec_context.height,
                fps=float(rate),
                duration=float(duration),
                codec=stream.codec_context.name,
            )
    except DownloadError:
        raise
    except (av.FFmpegError, OSError, ValueError) as exc:
        raise DownloadError(f"{path.name} is not a playable MP4 ({exc})") from None


class _Cut(Exception):
    """The body ended before its announced length."""


@dataclass
class _Progress:
    received: int = 0
    total: int | None = None
    etag: str | None = None  # of the first answer: a resume must continue the same file


async def download_video(
    client: httpx.AsyncClient,
    url: str,
    dest: Path,
    *,
    events: EventSink = ignore,
    policy: RetryPolicy | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    rand: Callable[[], float] = random.random,
) -> DownloadResult:
    """Download `url` to `dest` atomically: `dest` is either absent or a checked MP4."""
    policy = policy or RetryPolicy()
    part = dest.with_name(dest.name + C.PART_SUFFIX)
    dest.parent.mkdir(parents=True, exist_ok=True)
    progress, resumes, stalls = _Progress(), 0, 0
    try:
        with part.open("wb") as f:
            while True:
                before = progress.received
                try:
                    await _fetch(client, url, f, progress, events)
                    break
                except (httpx.TransportError, _Cut) as exc:
                    # What is on disk is what we have, whatever the loop had counted.
                    f.flush()
                    progress.received = f.tell()
                    resumes += 1
                    # A cut after progress resumes at once; only cuts that got nothing
                    # count against the patience and wait, like any retry.
                    stalls = 0 if progress.received > before else stalls + 1
                    if stalls > policy.max_retries or resumes > C.DOWNLOAD_MAX_RESUMES:
                        raise DownloadError(
                            f"download cut {resumes} times, {progress.received} bytes received"
                        ) from None
                    why = type(exc).__name__ if isinstance(exc, httpx.TransportError) else "cut"
                    events(Event("retry", f"download {why} at {progress.received} bytes; resuming"))
                    if stalls:
                        await sleep(backoff_delay(stalls - 1, policy, rand()))
            f.flush()
            os.fsync(f.fileno())
        with part.open("rb") as f:
            if not looks_like_mp4(f.read(12)):
                raise DownloadError("the downloaded file is not an MP4")
        probe = await asyncio.to_thread(probe_video, part)
        os.replace(part, dest)
    except BaseException:
        part.unlink(missing_ok=True)  # never leave a half-written video behind
        raise
    return DownloadResult(path=dest, bytes=progress.received, resumes=resumes, probe=probe)


async def _fetch(
    client: httpx.AsyncClient,
    url: str,
    f: BinaryIO,
    progress: _Progress,
    events: EventSink,
) -> None:
    """One GET (ranged when resuming), appending to `f` until the body is complete."""
    headers = {"Accept-Encoding": "identity"}
    if progress.received:
        headers["Range"] = f"bytes={progress.received}-"
        if progress.etag:
            headers["If-Range"] = progress.etag  # a changed file comes back whole (200)
    async with client.stream("GET", url, headers=headers) as response:
        status = response.status_code
        if progress.received and status == 206:
            span = parse_content_range(response.headers.get("content-range"))
            if span is None or span[0] != progress.received:
                raise DownloadError(f"server resumed at the wrong offset ({span})")
            progress.total = span[2] if span[2] is not None else progress.total
        elif status == 200:
            if progress.received:
                # The server ignored the range: start over rather than append a second copy.
                f.seek(0)
                f.truncate()
                progress.received = 0
            length = response.headers.get("content-length")
            progress.total = int(length) if length and length.isdigit() else None
            progress.etag = response.headers.get("etag")
        elif status == 416 and progress.received == progress.total:
            return
        elif status >= 500 or status in (408, 429):
            raise _Cut()
        else:
            raise DownloadError(f"download refused: HTTP {status}")
        step = max((progress.total or 0) // 20, C.DOWNLOAD_PROGRESS_STEP)
        mark = progress.received + step
        async for chunk in response.aiter_raw():  # as they come: a cut loses nothing
            f.write(chunk)
            progress.received += len(chunk)
            if progress.received >= mark:
                mark = progress.received + step
                events(Event("download", "", {"received": progress.received, "total": progress.total}))
    if progress.total is not None and progress.received < progress.total:
        raise _Cut()
    if progress.total is not None and progress.received > progress.total:
        raise DownloadError(f"received {progress.received} bytes, {progress.total} announced")
    events(Event("download", "", {"received": progress.received, "total": progress.total}))
