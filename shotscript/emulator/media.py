"""Result videos: real MP4 files (H.264, yuv420p, 30 fps, exact size and length) made with PyAV.

A solid frame encodes in well under a second even at 1080P; each (size, seconds, sound)
combination is made once and kept in a cache directory shared by emulator runs.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from fractions import Fraction
from pathlib import Path

import av

from shotscript.facts.service import output_fps

FPS = output_fps()
AUDIO_RATE = 48000
AUDIO_FRAME = 1024  # samples per AAC frame
FORMAT_VERSION = 1  # bump when the files made here change, so old caches are not reused


def make_mp4(path: Path, width: int, height: int, seconds: int, audio: bool) -> None:
    """Write an MP4 of a solid colour, with a silent AAC track when `audio` is set."""
    with av.open(str(path), "w", format="mp4") as container:
        video = container.add_stream("libx264", rate=FPS)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.options = {"preset": "ultrafast", "tune": "stillimage", "crf": "35"}
        sound = container.add_stream("aac", rate=AUDIO_RATE) if audio else None
        if sound is not None:
            sound.layout = "stereo"
        frame = av.VideoFrame(width, height, "yuv420p")
        for plane, value in zip(frame.planes, (90, 150, 110), strict=True):
            plane.update(bytes([value]) * plane.buffer_size)
        frame.time_base = Fraction(1, FPS)
        for index in range(seconds * FPS):
            frame.pts = index
            container.mux(video.encode(frame))
        container.mux(video.encode(None))
        if sound is not None:
            _silence(container, sound, seconds * AUDIO_RATE)


def _silence(container: av.container.OutputContainer, stream: av.AudioStream, samples: int) -> None:
    done = 0
    while done < samples:
        count = min(AUDIO_FRAME, samples - done)
        frame = av.AudioFrame(format="fltp", layout="stereo", samples=count)
        for plane in frame.planes:
            plane.update(bytes(plane.buffer_size))
        frame.sample_rate, frame.pts, frame.time_base = AUDIO_RATE, done, Fraction(1, AUDIO_RATE)
        container.mux(stream.encode(frame))
        done += count
    container.mux(stream.encode(None))


class MediaCache:
    """Result files by (size, seconds, sound), made on first use."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._locks: dict[str, asyncio.Lock] = {}
        self._bytes: dict[Path, bytes] = {}  # a handful of small files: keep them in memory

    def path_for(self, size: str, seconds: int, audio: bool) -> Path:
        """Where the file for this combination lives."""
        sound = "audio" if audio else "silent"
        return self.directory / f"v{FORMAT_VERSION}-{size.replace('*', 'x')}-{seconds}s-{sound}.mp4"

    async def get(self, size: str, seconds: int, audio: bool) -> Path:
        """The file for this combination, encoding it (off the event loop) if needed."""
        path = self.path_for(size, seconds, audio)
        lock = self._locks.setdefault(path.name, asyncio.Lock())
        async with lock:  # one encoder per file; later requests wait and reuse it
            if not path.is_file():
                width, height = (int(n) for n in size.split("*"))
                await asyncio.to_thread(self._make, path, width, height, seconds, audio)
        return path

    async def read(self, size: str, seconds: int, audio: bool) -> bytes:
        """The content of the file for this combination."""
        path = await self.get(size, seconds, audio)
        if path not in self._bytes:
            self._bytes[path] = await asyncio.to_thread(path.read_bytes)
        return self._bytes[path]

    def _make(self, path: Path, width: int, height: int, seconds: int, audio: bool) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".mp4", dir=self.directory)
        os.close(fd)
        try:
            make_mp4(Path(tmp), width, height, seconds, audio)
            os.chmod(tmp, 0o644)  # mkstemp makes it private; the cache is shared by runs
            os.replace(tmp, path)  # atomic: other emulator processes never see half a file
        finally:
            Path(tmp).unlink(missing_ok=True)
