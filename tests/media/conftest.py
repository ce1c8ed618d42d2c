"""Reference files made on the spot with PyAV and Pillow: good ones and one of each bad kind."""

from __future__ import annotations

from pathlib import Path

import av
import pytest
from PIL import Image


def write_video(
    path: Path,
    seconds: float,
    *,
    fmt: str | None = None,
    codec: str = "libx264",
    size: tuple[int, int] = (64, 48),
    fps: int = 2,
    faststart: bool = False,
) -> Path:
    """A tiny one-colour video: cheap to make whatever its length."""
    options = {"movflags": "+faststart"} if faststart else {}
    with av.open(str(path), "w", format=fmt, options=options) as container:
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        picture = Image.new("RGB", size, (30, 90, 200))
        for i in range(max(1, round(seconds * fps))):
            frame = av.VideoFrame.from_image(picture)
            frame.pts = i
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


def write_image(path: Path, size: tuple[int, int] = (400, 300), mode: str = "RGB", **kw: object) -> Path:
    """A one-colour image in the format its suffix (or `format=`) says."""
    Image.new(mode, size, (200, 60, 40) if mode != "P" else 3).save(path, **kw)  # type: ignore[arg-type]
    return path


def pad_sparse(path: Path, size: int) -> Path:
    """Grow a file to `size` bytes without writing them (a sparse tail of zeros)."""
    with path.open("r+b") as f:
        f.truncate(size)
    return path


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of reference files, good and bad (see test_media_corpus.py for each one)."""
    d = tmp_path_factory.mktemp("media")
    # Good ones.
    write_video(d / "ok.mp4", 5)
    write_video(d / "ok.mov", 5, fmt="mov")
    write_video(d / "faststart.mp4", 40, faststart=True)
    write_image(d / "ok.jpg")
    write_image(d / "ok.png")
    write_image(d / "ok.webp")
    write_image(d / "ok.bmp")
    write_image(d / "photo.jpeg.txt", format="JPEG")
    # Bad ones.
    write_video(d / "long.mp4", 40)
    write_video(d / "short.mp4", 0.5)
    write_video(d / "clip.mkv", 5, fmt="matroska")
    write_video(d / "clip.avi", 5, fmt="avi", codec="mpeg4")
    pad_sparse(write_video(d / "huge.mp4", 5), 100 * 2**20 + 1)
    write_image(d / "alpha.png", mode="RGBA")
    palette = Image.new("P", (400, 300), 3)
    palette.save(d / "palette-alpha.png", transparency=3)
    write_image(d / "tiny.png", (100, 100))
    write_image(d / "wide.png", (5001, 300))
    pad_sparse(write_image(d / "huge.png"), 10 * 2**20 + 1)
    write_image(d / "anim.gif", mode="P")
    write_image(d / "scan.tiff")
    write_image(d / "png-inside.mp4", format="PNG")
    (d / "text.mov").write_text("this is not a video\n" * 20)
    (d / "empty.mp4").write_bytes(b"")
    whole = (d / "ok.mp4").read_bytes()
    (d / "truncated.mp4").write_bytes(whole[: len(whole) // 2])
    for name in ("ok.png", "ok.jpg"):
        whole = (d / name).read_bytes()
        (d / f"truncated-{name}").write_bytes(whole[: len(whole) // 2])
    return d
