"""`check` probes local reference files: each bad one gets one diagnostic, at its cast line."""

from __future__ import annotations

from pathlib import Path

import pytest

from shotscript.media.check import check_file
from tests.media.conftest import pad_sparse, write_image, write_video

# name in the cast, kind declared, how to make the file, the code and problem expected
CASES = [
    ("long", "video", lambda d: write_video(d / "long.mp4", 40), "E314", "video-too-long"),
    ("alpha", "image", lambda d: write_image(d / "alpha.png", mode="RGBA"), "E314", "image-alpha"),
    ("tiny", "image", lambda d: write_image(d / "tiny.png", (100, 100)), "E314", "image-too-small"),
    ("huge", "image", lambda d: pad_sparse(write_image(d / "huge.png"), 10 * 2**20 + 1), "E314",
     "image-file-too-large"),
    ("mkv", "video", lambda d: write_video(d / "clip.mkv", 5, fmt="matroska"), "E314",
     "video-container"),
    ("fake", "video", lambda d: write_image(d / "png-inside.mp4", format="PNG"), "E309", None),
    ("text", "video", lambda d: (d / "text.mov").write_text("not a video\n" * 20) and d / "text.mov",
     "E314", "media-unreadable"),
]


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("refs")
    lines = ["duration 5", "cast"]
    for name, kind, make, _, _ in CASES:
        path = make(d)
        lines.append(f"  {name} {kind} {Path(path).name}")
    lines.append("prompt " + " ".join(f"@{name}" for name, *_ in CASES[:5]) + " 在一起。")
    (d / "s.shot").write_text("\n".join(lines) + "\n")
    return d / "s.shot"


def test_each_bad_reference_gets_one_diagnostic_at_its_cast_line(story: Path) -> None:
    result = check_file(story)
    by_line = {}
    for d in result.diagnostics:
        if d.code in ("E309", "E314", "W506"):
            assert d.span.line not in by_line, f"two diagnostics on line {d.span.line}"
            by_line[d.span.line] = d
    for k, (name, _, _, code, problem) in enumerate(CASES):
        d = by_line[3 + k]  # cast members start on line 3
        assert d.code == code, (name, d.message)
        assert d.span.column == len(f"  {name} {CASES[k][1]} ") + 1
        if problem:
            assert f"[{problem}]" in d.message
    # Five references is the limit: over it, E301 too; no other error is invented.
    assert {d.code for d in result.diagnostics if d.severity == "error"} <= {"E301", "E302", "E309",
                                                                             "E314"}


def test_the_public_check_probes_files_and_the_compile_stage_alone_opens_none(story: Path) -> None:
    import shotscript
    from shotscript.compiler import driver

    whole = [(d.code, d.span.line, d.span.column) for d in shotscript.check_file(story).diagnostics]
    assert whole == [(d.code, d.span.line, d.span.column) for d in check_file(story).diagnostics]
    assert {"E309", "E314"} <= {code for code, _, _ in whole}
    # Without the media stage's probe the compiler only sees that the files exist.
    compiled = [(d.code, d.span.line, d.span.column) for d in driver.check_file(story).diagnostics]
    assert compiled == [c for c in whole if c[0] not in ("E309", "E314", "W506")]
