"""One diagnostic for each kind of bad reference, none for good ones (expected codes inline)."""

from __future__ import annotations

from pathlib import Path

import pytest

from shotscript.media.limits import check_reference
from shotscript.media.probe import probe
from shotscript.media.problems import REGISTRY

# file, kind on the cast line, expected problem codes
CORPUS = [
    ("ok.mp4", "video", []),
    ("ok.mov", "video", []),
    ("ok.jpg", "image", []),
    ("ok.png", "image", []),
    ("ok.webp", "image", []),
    ("ok.bmp", "image", []),
    ("long.mp4", "video", ["video-too-long"]),
    ("faststart.mp4", "video", ["video-too-long"]),
    ("short.mp4", "video", ["video-too-short"]),
    ("huge.mp4", "video", ["video-file-too-large"]),
    ("clip.mkv", "video", ["video-container"]),
    ("clip.avi", "video", ["video-container"]),
    ("alpha.png", "image", ["image-alpha"]),
    ("palette-alpha.png", "image", ["image-alpha"]),
    ("tiny.png", "image", ["image-too-small"]),
    ("wide.png", "image", ["image-too-large"]),
    ("huge.png", "image", ["image-file-too-large"]),
    ("anim.gif", "image", ["image-format"]),
    ("scan.tiff", "image", ["image-format"]),
    ("png-inside.mp4", "video", ["media-kind-mismatch"]),
    ("ok.mp4", "image", ["media-kind-mismatch"]),
    ("text.mov", "video", ["media-unreadable"]),
    ("empty.mp4", "video", ["media-unreadable"]),
    ("truncated.mp4", "video", ["media-unreadable"]),
    ("truncated-ok.png", "image", ["media-unreadable"]),
    ("truncated-ok.jpg", "image", ["media-unreadable"]),
    ("missing.png", "image", ["media-not-found"]),
    ("photo.jpeg.txt", "image", ["media-extension"]),
]


@pytest.mark.parametrize(("name", "kind", "codes"), CORPUS, ids=[f"{n}-{k}" for n, k, _ in CORPUS])
def test_corpus(media_dir: Path, name: str, kind: str, codes: list[str]) -> None:
    problems = check_reference(probe(media_dir / name), kind)
    assert [p.code for p in problems] == codes
    for p in problems:
        assert p.severity == REGISTRY[p.code].severity
        assert p.message and "{" not in p.message and "None" not in p.message
        assert p.help and "{" not in p.help


def test_messages_quote_the_limits_from_the_capability_data(media_dir: Path) -> None:
    (too_long,) = check_reference(probe(media_dir / "long.mp4"), "video")
    assert too_long.message == "video is 40.0 s long; references may be at most 30 s"
    assert too_long.help == "trim it: ffmpeg -i long.mp4 -t 30 -c copy long-trimmed.mp4"
    (tiny,) = check_reference(probe(media_dir / "tiny.png"), "image")
    assert tiny.message == "image is 100×100 px; each side must be at least 240 px"
    (huge,) = check_reference(probe(media_dir / "huge.png"), "image")
    assert huge.message.endswith("(10,485,761 bytes); the limit is 10 MiB")
    (mismatch,) = check_reference(probe(media_dir / "png-inside.mp4"), "video")
    assert mismatch.message == "declared as video, but the file is an image (PNG)"


def test_limits_can_be_overridden(media_dir: Path) -> None:
    from dataclasses import replace

    from shotscript.facts.capabilities import capabilities

    media = dict(capabilities().media)
    media["video"] = replace(media["video"], max_seconds=60)
    assert check_reference(probe(media_dir / "long.mp4"), "video", media) == []


def test_every_code_is_a_slug_with_a_description() -> None:
    for code, kind in REGISTRY.items():
        assert code == code.lower() and " " not in code and code.count("-") >= 1
        assert kind.severity in ("error", "warning")
        assert kind.description and kind.message
