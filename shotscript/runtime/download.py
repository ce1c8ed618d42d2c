"""Fetch the result video: stream to a temporary file, resume after a cut, check, rename.

Bounded: a deadline for the whole download, a minimum throughput, a largest size; the
temporary file is created exclusively inside the output folder and renamed within it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import BinaryIO

import httpx

from shotscript.runtime import constants as C
from shotscript.runtime.atomic import create_exclusive, open_dir, output_error, refuse_link_at, replace_in
from shotscript.runtime.errors import (
    DownloadError,
    DownloadTooLargeError,
    DownloadTooSlowError,
    OutputError,
    UnsafeURLError,
)
from shotscript.runtime.events import Event, EventSink, ignore
from shotscript.runtime.limits import RuntimeLimits
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


def prepare() -> None:
    """Load PyAV ahead of the first video check (a batch does it while its tasks run)."""
    import av  # noqa: F401


def probe_video(path: Path, file: BinaryIO | None = None) -> VideoProbe:
    """Open the file with FFmpeg (PyAV), decode one frame, and report size, fps, duration.

    With `file`, that open file is read (from its start) and `path` only names it."""
    import av  # PyAV takes ~40 ms to load: only once a video is checked, not before the first create

    try:
        if file is not None:
            file.seek(0)
        with av.open(file if file is not None else str(path), mode="r") as container:
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


@dataclass
class ThroughputMeter:
    """Each window must bring `quota` bytes: met early, a new window starts at once; not met
    by its end, the body is too slow. Pure: the caller passes the clock."""

    window: float
    quota: float
    ends_at: float = 0.0
    got: int = 0

    def start(self, now: float) -> float:
        """Open a window at `now`; the moment it ends."""
        self.ends_at, self.got = now + self.window, 0
        return self.ends_at

    def add(self, count: int, now: float) -> float | None:
        """Count bytes received; the new window's end when this met the quota, else None."""
        self.got += count
        return self.start(now) if self.got >= self.quota else None


def _mib(count: float) -> str:
    return f"{count / (1 << 20):.1f} MiB"


async def download_video(
    client: httpx.AsyncClient,
    url: str,
    dest: Path,
    *,
    events: EventSink = ignore,
    policy: RetryPolicy | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    rand: Callable[[], float] = random.random,
    limits: RuntimeLimits | None = None,
    max_bytes: int | None = None,
    root: Path | None = None,
) -> DownloadResult:
    """Download `url` to `dest` atomically: `dest` is either absent or a checked MP4.

    `max_bytes` (see RuntimeLimits.video_cap) bounds the size, never above the hard ceiling;
    `root` is the output folder: no link may lie between it and `dest`."""
    policy = policy or RetryPolicy()
    limits = limits or RuntimeLimits()
    cap = min(max_bytes if max_bytes is not None else limits.video_max_bytes, limits.video_max_bytes)
    part_name = dest.name + C.PART_SUFFIX
    part = dest.with_name(part_name)
    dir_fd = open_dir(dest.parent, root)
    created = False
    try:
        refuse_link_at(dir_fd, dest.name, dest)
        fd = create_exclusive(dir_fd, part_name, part)
        created = True
        with os.fdopen(fd, "w+b") as f:
            try:
                async with asyncio.timeout(limits.download_deadline):
                    resumes = await _fetch_resuming(client, url, f, cap, limits, policy, events, sleep, rand)
            except TimeoutError:
                raise DownloadTooSlowError(
                    f"the download did not finish within {limits.download_deadline:g}s "
                    f"({_mib(f.tell())} received); given up",
                    hint="run the same command again later to fetch the video (its URL stays valid 24 h)",
                ) from None
            received = f.tell()
            f.flush()
            os.fsync(f.fileno())
            f.seek(0)
            if not looks_like_mp4(f.read(12)):
                raise DownloadError("the downloaded file is not an MP4")
            probe = await asyncio.to_thread(probe_video, part, f)
        replace_in(dir_fd, part_name, dest.name, dest)
        created = False
    except BaseException as exc:
        if created:
            _unlink(dir_fd, part_name)  # never leave a half-written video behind
        if isinstance(exc, OSError) and not isinstance(exc, OutputError):
            raise output_error(exc, part) from None
        raise
    finally:
        os.close(dir_fd)
    return DownloadResult(path=dest, bytes=received, resumes=resumes, probe=probe)


def _unlink(dir_fd: int, name: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(name, dir_fd=dir_fd)


async def _fetch_resuming(
    client: httpx.AsyncClient,
    url: str,
    f: BinaryIO,
    cap: int,
    limits: RuntimeLimits,
    policy: RetryPolicy,
    events: EventSink,
    sleep: Callable[[float], Awaitable[None]],
    rand: Callable[[], float],
) -> int:
    """Fetch into `f`, resuming after cuts; the number of resumes."""
    progress, resumes, stalls = _Progress(), 0, 0
    while True:
        before = progress.received
        try:
            await _fetch(client, url, f, progress, events, cap, limits)
            return resumes
        except httpx.TooManyRedirects:
            raise UnsafeURLError(
                f"the video URL redirects more than {limits.max_redirects} times",
                hint="a redirect loop on the server's side; see docs/runtime-limits.md",
            ) from None
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


async def _fetch(
    client: httpx.AsyncClient,
    url: str,
    f: BinaryIO,
    progress: _Progress,
    events: EventSink,
    cap: int,
    limits: RuntimeLimits,
) -> None:
    """One GET (ranged when resuming), appending to `f` until the body is complete; too slow
    a body (below the minimum throughput over a window) is given up."""
    loop = asyncio.get_running_loop()
    meter = ThroughputMeter(limits.throughput_window, limits.min_throughput * limits.throughput_window)
    try:
        async with asyncio.timeout_at(meter.start(loop.time())) as watch:
            await _fetch_once(client, url, f, progress, events, cap, meter, watch)
    except TimeoutError:
        if not watch.expired():
            raise  # the overall deadline, reported by the caller
        raise DownloadTooSlowError(
            f"the download came slower than {limits.min_throughput / 1024:g} KiB/s "
            f"({meter.got} bytes in the last {limits.throughput_window:g}s); given up",
            hint="run the same command again later to fetch the video (its URL stays valid 24 h)",
        ) from None


async def _fetch_once(
    client: httpx.AsyncClient,
    url: str,
    f: BinaryIO,
    progress: _Progress,
    events: EventSink,
    cap: int,
    meter: ThroughputMeter,
    watch: asyncio.Timeout,
) -> None:
    loop = asyncio.get_running_loop()
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
            progress.total = int(length) if length and length.isascii() and length.isdigit() else None
            progress.etag = response.headers.get("etag")
        elif status == 416 and progress.received == progress.total:
            return
        elif status >= 500 or status in (408, 429):
            raise _Cut()
        else:
            raise DownloadError(f"download refused: HTTP {status}")
        if progress.total is not None and progress.total > cap:
            raise _too_large(f"the server announces {_mib(progress.total)}", cap)
        step = max((progress.total or 0) // 20, C.DOWNLOAD_PROGRESS_STEP)
        mark = progress.received + step
        async for chunk in response.aiter_raw():  # as they come: a cut loses nothing
            if progress.received + len(chunk) > cap:
                raise _too_large(f"the body passed {_mib(cap)}", cap)
            f.write(chunk)
            progress.received += len(chunk)
            window_end = meter.add(len(chunk), loop.time())
            if window_end is not None:
                watch.reschedule(window_end)
            if progress.received >= mark:
                mark = progress.received + step
                events(Event("download", "", {"received": progress.received, "total": progress.total}))
    if progress.total is not None and progress.received < progress.total:
        raise _Cut()
    if progress.total is not None and progress.received > progress.total:
        raise DownloadError(f"received {progress.received} bytes, {progress.total} announced")
    events(Event("download", "", {"received": progress.received, "total": progress.total}))


def _too_large(what: str, cap: int) -> DownloadTooLargeError:
    return DownloadTooLargeError(
        f"{what}, more than the {_mib(cap)} any video of this story can be; given up",
        hint="the service sent something other than the video; see docs/runtime-limits.md",
    )
