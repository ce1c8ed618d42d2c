"""The bad-story corpus: each file in tests/bad/ says, in `# expect: CODE line:col` comments,
exactly which diagnostics it must produce (mypy-style expectations beside the input)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from shotscript.compiler.codes import CODES
from shotscript.media.check import check_file, check_text

BAD = Path(__file__).parent / "bad"
FILES = sorted(p for p in BAD.iterdir() if p.suffix in (".shot", ".yaml"))
_EXPECT = re.compile(r"#\s*expect:\s*([EW]\d{3})\s+(\d+):(\d+)")


def expected(path: Path) -> set[tuple[str, int, int]]:
    """The (code, line, column) triples a corpus file declares."""
    return {(c, int(line), int(col)) for c, line, col in _EXPECT.findall(path.read_text("utf-8"))}


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_bad_story_reports_exactly_what_it_expects(path: Path) -> None:
    want = expected(path)
    assert want, f"{path.name} declares no expectation"
    result = check_file(path)
    got = {(d.code, d.span.line, d.span.column) for d in result.diagnostics}
    assert got == want
    if any(code.startswith("E") for code, _, _ in want):
        assert result.payload is None and not result.ok


def test_many_mistakes_are_all_reported() -> None:
    result = check_file(BAD / "many-mistakes.shot")
    assert len([d for d in result.diagnostics if d.severity == "error"]) == 10


def test_corpus_covers_every_code_that_a_story_can_trigger() -> None:
    covered = {code for p in FILES for code, _, _ in expected(p)}
    # E109/E111 need bytes or a missing file (tests below); E314/W506 come from media probing;
    # E112 needs a file over 1 MiB (tests/front/test_limits.py); E303 a model taking fewer
    # images than references, which none does today (test_too_many_images_is_one_diagnostic).
    untestable_here = {"E109", "E111", "E112", "E303", "E314", "W506"}
    assert set(CODES) - untestable_here <= covered


def test_not_utf8_points_at_the_bad_byte(tmp_path: Path) -> None:
    story = tmp_path / "latin1.shot"
    story.write_bytes("title caf\xe9\n".encode("latin-1"))
    result = check_file(story)
    [d] = result.diagnostics
    assert (d.code, d.span.line, d.span.column) == ("E109", 1, 10)


def test_unreadable_file_is_a_diagnostic(tmp_path: Path) -> None:
    result = check_file(tmp_path / "missing.shot")
    [d] = result.diagnostics
    assert d.code == "E111" and "cannot read" in d.message


def test_diagnostic_rendering_has_source_line_caret_and_help() -> None:
    result = check_text("size 1280x720\ncast\n  a video https://e.com/a.mp4\nprompt @a 走\n",
                        name="s.shot")
    from shotscript.compiler.diagnostics import render_human

    text = render_human(result.diagnostics, result.source)
    assert text.splitlines() == [
        "s.shot:1:6: error[E405]: size `1280x720` is not accepted by wan2.6-r2v-flash",
        "  |",
        "1 | size 1280x720",
        "  |      ^^^^^^^^",
        "  = help: did you mean `1280*720`?",
    ]


def test_caret_under_cjk_text_counts_double_width() -> None:
    result = check_text("cast\n  girl video https://e.com/a.mp4\nprompt 你好@gril\n",
                        name="s.shot")
    from shotscript.compiler.diagnostics import render_human

    [d] = [d for d in result.diagnostics if d.code == "E310"]
    lines = render_human([d], result.source).splitlines()
    assert lines[3] == "  |            ^^^^^"  # "prompt " (7) + "你好" (4 columns)


def test_too_many_images_is_one_diagnostic(monkeypatch: pytest.MonkeyPatch) -> None:
    """Six images: E301 says it; E303 only where fewer images than references are allowed."""
    from shotscript.facts.capabilities import capabilities

    [d] = check_file(BAD / "too-many-images.shot").diagnostics
    assert d.code == "E301"
    monkeypatch.setitem(capabilities().protocol_of("wan2.6-r2v").limits, "images_max", 3)
    four = "cast\n" + "".join(f"  {n} image https://example.com/{n}.png\n" for n in "abcd")
    [d] = check_text(four + "prompt @a @b @c @d 在一起。\n", name="s.shot").diagnostics
    assert (d.code, d.span.line, d.message) == ("E303", 5, "4 reference images; the API takes at most 3")
