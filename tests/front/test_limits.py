"""Bounded, total front ends: limits from input_limits.toml, line endings, hostile values."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

from click.testing import CliRunner

from shotscript.cli import cli
from shotscript.compiler.diagnostics import render_human
from shotscript.compiler.driver import check_file, check_text
from shotscript.compiler.input_limits import limits

CAST = "cast\n  a image https://e.com/a.png\n"


def codes(text: str, name: str = "s.shot") -> list[tuple[str, int, int]]:
    return [(d.code, d.span.line, d.span.column) for d in check_text(text, name=name).diagnostics]


def test_a_file_over_the_size_limit_is_one_diagnostic() -> None:
    big = CAST + "shot 0-3s @a\n" + "  走走走走走走走走走走走走走走走走走走走走\n" * 1_000_000  # ~60 MB
    assert len(big.encode()) > limits().file_bytes
    assert codes(big) == [("E112", 1, 1)]
    assert codes(big.replace("shot 0-3s @a", "prompt: '@a'"), "s.yaml") == [("E112", 1, 1)]


def test_a_huge_file_is_refused_having_read_no_more_than_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "huge.shot"
    with path.open("wb") as f:  # sparse: 2 GiB on the file system, nothing on the disk
        f.truncate(2 << 30)
    tracemalloc.start()
    result = check_file(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < limits().file_bytes * 4  # the limit and a little, not the file
    assert [(d.code, d.span.line) for d in result.diagnostics] == [("E112", 1)]
    assert str(2 << 30) in result.diagnostics[0].message.replace(",", "")


def test_a_line_of_a_million_at_signs_is_one_diagnostic() -> None:
    assert codes(CAST + "prompt " + "@" * 1_000_000 + "\n") == [("E114", 3, 10_001)]


def test_long_texts_within_the_limits_still_compile() -> None:
    # 15,000 continued lines and 4,000 `@@`: built in one pass (timings: benchmarks/fuzz.py).
    text = CAST + "duration 5\nprompt @a\n" + "  走\n" * 9_000
    result = check_text(text, name="s.shot")
    assert [d.code for d in result.diagnostics] == ["E408"]  # longer than the API takes
    result = check_text(CAST + "prompt @a " + "@@" * 4_000 + "\n", name="s.shot")
    assert [d.code for d in result.diagnostics] == ["E408"]


def test_cr_only_and_crlf_files_read_line_by_line() -> None:
    story = ["title x", "cast", "  a image https://e.com/a.png", "shot 0-3s @b 走"]
    for newline in ("\r", "\r\n", "\n"):
        text = newline.join(story) + newline
        result = check_text(text, name="s.shot")
        assert [(d.code, d.span.line, d.span.column) for d in result.diagnostics] == [
            ("W501", 3, 3), ("E310", 4, 11)]
        shown = render_human(result.diagnostics, result.source)
        assert "4 | shot 0-3s @b 走" in shown
        yaml = newline.join(["title: x", "cast:", "  a: {image: https://e.com/a.png}",
                             "shots:", "  - 0-3s: '@b 走'"]) + newline
        assert [c for c, *_ in codes(yaml, "s.yaml")] == ["W501", "E310"]


def test_a_form_feed_does_not_shift_the_lines_shown() -> None:
    result = check_text("title a\x0cb\n" + CAST + "shot 0-3s @b 走\n", name="s.shot")
    shown = render_human(result.diagnostics, result.source)
    assert "4 | shot 0-3s @b 走" in shown


def test_one_hostile_file_does_not_stop_a_folder(tmp_path: Path) -> None:
    bad = Path(__file__).parents[1] / "bad"
    for name in ("yaml-billion-laughs.yaml", "number-too-long.shot", "yaml-numbers.yaml"):
        (tmp_path / name).write_text((bad / name).read_text("utf-8"), encoding="utf-8")
    (tmp_path / "z-good.shot").write_text(CAST + "shot 0-3s @a 走\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", str(tmp_path)], catch_exceptions=False)
    assert result.exit_code == 1
    assert "4 stories: 1 ok, 3 with errors" in result.stderr
    assert "E115" in result.stderr and "E116" in result.stderr


def test_limits_come_from_the_data_file() -> None:
    text = (Path(__file__).parents[2] / "shotscript/facts/input_limits.toml").read_text("utf-8")
    for name in ("file_bytes", "lines", "line_chars", "yaml_nodes", "number_chars",
                 "reference_chars", "file_name_bytes"):
        assert f"{name} = " in text
    assert check_file(Path("/nonexistent/x.shot")).diagnostics[0].code == "E111"


def test_folder_defaults_with_hostile_numbers_are_diagnostics(tmp_path: Path) -> None:
    (tmp_path / "shotscript.toml").write_text(
        "duration = inf\nseed = nan\n[render]\nbudget = nan\n", encoding="utf-8")
    story = tmp_path / "s.shot"
    story.write_text(CAST + "shot 0-3s @a 走\n", encoding="utf-8")
    got = sorted((d.code, d.span.line) for d in check_file(story).diagnostics)
    assert got == [("E105", 1), ("E105", 2), ("E105", 4)]
    (tmp_path / "shotscript.toml").write_text("seed = " + "9" * 4301 + "\n", encoding="utf-8")
    [d] = check_file(story).diagnostics
    assert d.code == "E110"


def test_a_checker_bug_on_one_file_does_not_stop_the_folder(tmp_path: Path, monkeypatch) -> None:
    from shotscript.compiler import driver

    real = driver.check_file

    def flaky(path: Path, **kwargs: object) -> object:
        if path.name == "a.shot":
            raise RuntimeError("boom")
        return real(path, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(driver, "check_file", flaky)
    for name in ("a.shot", "b.shot"):
        (tmp_path / name).write_text(CAST + "shot 0-3s @a 走\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", str(tmp_path)], catch_exceptions=False)
    assert result.exit_code == 1
    assert "internal error while checking: RuntimeError: boom" in result.stderr
    assert "2 stories: 1 ok, 1 with errors" in result.stderr


def test_check_walks_folders_in_the_order_of_sorted_paths(tmp_path: Path) -> None:
    from shotscript.cli.check import _stories
    from shotscript.compiler.driver import find_stories

    for rel in ("b/2.shot", "b/10.yaml", "a.shot", "b.yml", "c/d/e.shot", "c/x.txt", "v1/a.shot",
                "v10.shot", "v2.shot", "a1/x.shot", "a12.shot"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("prompt x\n", encoding="utf-8")
    paths = (tmp_path, tmp_path / "a.shot")
    assert list(_stories(paths)) == find_stories(list(paths))


def test_a_reference_the_file_system_refuses_is_a_missing_file(monkeypatch) -> None:
    def refuse(self: Path) -> bool:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "is_file", refuse)
    [d] = [d for d in check_text("cast\n  a image secret/a.png\nshot 0-3s @a 走\n",
                                 name="s.shot").diagnostics if d.code == "E308"]
    assert "Permission denied" in d.message
