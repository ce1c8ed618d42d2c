"""probe() reads what the limits are about, and never raises on garbage."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shotscript.media.probe import MediaInfo, probe, probe_bytes


def test_video_facts(media_dir: Path) -> None:
    info = probe(media_dir / "ok.mp4")
    assert info.model_dump(exclude={"path", "bytes"}) == {
        "kind": "video",
        "container": "mp4",
        "codec": "h264",
        "duration": 5.0,
        "width": 64,
        "height": 48,
        "fps": 2.0,
        "has_alpha": False,
        "mode": "yuv420p",
        "partial": False,
        "error": None,
    }
    assert info.bytes == (media_dir / "ok.mp4").stat().st_size
    assert info.readable


def test_mov_and_mp4_are_told_apart(media_dir: Path) -> None:
    assert probe(media_dir / "ok.mov").container == "mov"
    assert probe(media_dir / "clip.mkv").container == "matroska"
    assert probe(media_dir / "clip.avi").container == "avi"


def test_image_facts(media_dir: Path) -> None:
    info = probe(media_dir / "alpha.png")
    assert (info.kind, info.container, info.width, info.height) == ("image", "png", 400, 300)
    assert (info.has_alpha, info.mode, info.duration, info.codec) == (True, "RGBA", None, None)
    assert probe(media_dir / "ok.jpg").has_alpha is False
    assert probe(media_dir / "palette-alpha.png").has_alpha is True


def test_unreadable_files_say_why(media_dir: Path, tmp_path: Path) -> None:
    assert probe(media_dir / "missing.png").error.startswith("not found")  # type: ignore[union-attr]
    assert probe(media_dir / "empty.mp4").error == "empty file"
    assert probe(tmp_path).error == "not a regular file"
    text = probe(media_dir / "text.mov")
    assert text.kind == "unknown" and text.error and not text.readable
    truncated = probe(media_dir / "truncated.mp4")
    assert truncated.kind == "video" and truncated.error


def test_head_of_a_faststart_mp4_gives_its_length(media_dir: Path) -> None:
    data = (media_dir / "faststart.mp4").read_bytes()
    info = probe_bytes(data[:4096], total_bytes=len(data))
    assert (info.kind, info.container, info.partial, info.bytes) == ("video", "mp4", True, len(data))
    assert info.duration == 40.0


def test_head_of_an_image_gives_its_size(media_dir: Path) -> None:
    data = (media_dir / "wide.png").read_bytes()
    info = probe_bytes(data[:64])
    assert (info.kind, info.width, info.height) == ("image", 5001, 300)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=2048), suffix=st.sampled_from([".mp4", ".mov", ".png", ".jpg", ""]))
def test_garbage_never_raises(tmp_path: Path, data: bytes, suffix: str) -> None:
    path = tmp_path / f"garbage{suffix}"
    path.write_bytes(data)
    assert isinstance(probe(path), MediaInfo)
    assert isinstance(probe_bytes(data), MediaInfo)


@settings(max_examples=40, deadline=None)
@given(cut=st.integers(min_value=0, max_value=4000), flip=st.integers(min_value=0, max_value=255))
def test_damaged_real_files_never_raise(media_dir: Path, cut: int, flip: int) -> None:
    # Real headers with damage are what trips parsers, more than random bytes do.
    for name in ("ok.png", "ok.mp4", "faststart.mp4", "ok.jpg"):
        data = (media_dir / name).read_bytes()
        damaged = bytearray(data[: max(cut, 16)])
        damaged[min(cut, len(damaged) - 1)] ^= flip
        assert isinstance(probe_bytes(bytes(damaged)), MediaInfo)
        with tempfile.NamedTemporaryFile(suffix=Path(name).suffix) as f:
            f.write(damaged)
            f.flush()
            assert isinstance(probe(f.name), MediaInfo)  # decodes a frame too
