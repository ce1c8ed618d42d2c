"""Makes the small real media files committed beside the stories and bad stories (run by hand:
`.venv/bin/python -m tests.make_media`); tests read the committed files, never this module's output."""

from __future__ import annotations

import math
import struct
from fractions import Fraction
from pathlib import Path

import av
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parents[1]


def tone(path: Path, seconds: float, *, hz: float = 220.0, rate: int = 8000) -> Path:
    """A WAV, FLAC or MP3 (by suffix) of a soft tone with a little vibrato, like a hummed voice."""
    fmt, codec, sample_fmt = {".wav": ("wav", "pcm_s16le", "s16"), ".flac": ("flac", "flac", "s16"),
                              ".mp3": ("mp3", "libmp3lame", "s16p")}[path.suffix]
    with av.open(str(path), "w", format=fmt) as out:
        stream = out.add_stream(codec, rate=rate)
        stream.layout = "mono"
        total, chunk = int(rate * seconds), 1152
        for start in range(0, total, chunk):
            n = min(chunk, total - start)
            pitch = [hz + 8 * math.sin(t / rate * 6) for t in range(start, start + n)]
            samples = b"".join(
                struct.pack("<h", int(6000 * math.sin(2 * math.pi * f * t / rate)))
                for f, t in zip(pitch, range(start, start + n), strict=True)
            )
            frame = av.AudioFrame(format=sample_fmt, layout="mono", samples=n)
            frame.planes[0].update(samples)
            frame.sample_rate, frame.pts = rate, start
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


def figure(path: Path, size: tuple[int, int], colour: str, *, label: str = "") -> Path:
    """A simple drawn figure (head and body) on a plain background."""
    w, h = size
    im = Image.new("RGB", size, "#f2efe6")
    d = ImageDraw.Draw(im)
    d.ellipse((w * 0.35, h * 0.12, w * 0.65, h * 0.36), fill="#e8c39e", outline="#333333", width=3)
    d.rounded_rectangle((w * 0.28, h * 0.38, w * 0.72, h * 0.88), radius=int(w * 0.08), fill=colour)
    if label:
        d.text((10, 10), label, fill="#333333")
    im.save(path)
    return path


def scene(path: Path, size: tuple[int, int]) -> Path:
    """A street at night: sky, road, a lamp (the first frame of a story)."""
    w, h = size
    im = Image.new("RGB", size, "#1b2340")
    d = ImageDraw.Draw(im)
    d.rectangle((0, h * 0.65, w, h), fill="#3a3a3a")
    d.rectangle((w * 0.7, h * 0.2, w * 0.72, h * 0.65), fill="#777777")
    d.ellipse((w * 0.68, h * 0.15, w * 0.74, h * 0.23), fill="#ffe9a8")
    im.save(path, quality=85) if path.suffix == ".jpg" else im.save(path)
    return path


def video(path: Path, size: tuple[int, int], seconds: int = 1) -> Path:
    """A short solid-colour H.264 MP4."""
    with av.open(str(path), "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        stream.options = {"preset": "ultrafast"}
        frame = av.VideoFrame(size[0], size[1], "yuv420p")
        for plane in frame.planes:
            plane.update(bytes([100]) * plane.buffer_size)
        frame.time_base = Fraction(1, 30)
        for i in range(seconds * 30):
            frame.pts = i
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


def main() -> None:
    """Write every committed file."""
    bad = ROOT / "tests" / "bad" / "refs"
    tone(bad / "voice.mp3", 2)
    tone(bad / "long-voice.mp3", 11)
    tone(bad / "short-voice.mp3", 0.5)
    tone(bad / "voice.flac", 2)
    Image.new("RGB", (240, 2200), "#808080").save(bad / "narrow.png")
    Image.new("RGB", (8100, 1100), "#808080").save(bad / "huge-side.png")
    video(bad / "wide.mp4", (4112, 600))
    refs = ROOT / "stories" / "wan27" / "refs"
    refs.mkdir(parents=True, exist_ok=True)
    figure(refs / "girl.png", (480, 640), "#c0392b")
    figure(refs / "boy.png", (480, 640), "#2e86c1")
    figure(refs / "robot.png", (480, 640), "#7f8c8d")
    scene(refs / "street.jpg", (1280, 720))
    tone(refs / "girl-voice.wav", 3, hz=260)
    tone(refs / "boy-voice.wav", 3, hz=140)


if __name__ == "__main__":
    main()
