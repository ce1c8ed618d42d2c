"""Folder defaults (shotscript.toml): nearest file wins, the story wins over its folders,
and mistakes in the file are reported at their place in it."""

from __future__ import annotations

import shutil
from pathlib import Path

from shotscript.compiler.diagnostics import Sink, render_human
from shotscript.compiler.driver import check_file
from shotscript.compiler.folder_config import FolderConfig, folder_config
from tests.conftest import STORIES


def _story(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy(STORIES / "seed" / "pet.shot", folder / "pet.shot"))


def test_defaults_apply_and_nearest_file_wins(tmp_path: Path) -> None:
    (tmp_path / "shotscript.toml").write_text(
        'model = "wan2.6-r2v"\nsize = "1920*1080"\nwatermark = true\n[render]\nout = "r"\n')
    (tmp_path / "ads" / "shotscript.toml").parent.mkdir()
    (tmp_path / "ads" / "shotscript.toml").write_text('size = "1280*720"\n')
    story = _story(tmp_path / "ads")
    result = check_file(story)
    assert result.ok and result.payload
    assert result.payload.model == "wan2.6-r2v"
    assert result.payload.parameters["size"] == "1280*720"
    assert result.payload.parameters["watermark"] is True
    config = folder_config(story, Sink())
    assert config.render == {"out": "r"} and len(config.files) == 2


def test_the_story_overrides_its_folder(tmp_path: Path) -> None:
    (tmp_path / "shotscript.toml").write_text('duration = 5\nwatermark = true\n')
    story = _story(tmp_path)
    story.write_text(story.read_text().replace("duration 10", "duration 10\nwatermark off"))
    result = check_file(story)
    assert result.payload and result.payload.parameters["duration"] == 10
    assert result.payload.parameters["watermark"] is False


def test_mistakes_in_the_file_point_into_it(tmp_path: Path) -> None:
    (tmp_path / "shotscript.toml").write_text(
        'size = "1280x720"\ntitle = "x"\n[render]\nconcurency = 2\n')
    result = check_file(_story(tmp_path))
    got = {(d.code, Path(d.path).name, d.span.line, d.span.column) for d in result.diagnostics}
    assert got == {("E405", "shotscript.toml", 1, 8), ("E104", "shotscript.toml", 2, 1),
                   ("E104", "shotscript.toml", 4, 1)}
    text = render_human(result.diagnostics, result.source, path=result.path)
    assert 'size = "1280x720"' in text  # the toml line is shown, not the story's


def test_broken_toml_is_one_diagnostic(tmp_path: Path) -> None:
    (tmp_path / "shotscript.toml").write_text('size = "1280*720\n')
    result = check_file(_story(tmp_path))
    [d] = [d for d in result.diagnostics if d.path.endswith("shotscript.toml")]
    assert d.code == "E110" and d.span.line == 1


def test_no_file_no_defaults(tmp_path: Path) -> None:
    assert folder_config(None, Sink()) == FolderConfig()


def test_render_values_are_checked_at_their_line(tmp_path: Path) -> None:
    """`concurrency = 0` is refused by `check`, at its line in the file, not later by render."""
    (tmp_path / "shotscript.toml").write_text(
        '[render]\nout = "r"\nconcurrency = 0\nbudget = -1\nbackend = "previwe"\n')
    result = check_file(_story(tmp_path))
    got = {(d.code, Path(d.path).name, d.span.line, d.span.column) for d in result.diagnostics}
    assert got == {("E105", "shotscript.toml", 3, 15), ("E105", "shotscript.toml", 4, 10),
                   ("E105", "shotscript.toml", 5, 11)}
    by_line = {d.span.line: d for d in result.diagnostics}
    assert "≥ 1" in by_line[3].message and "≥ 0" in by_line[4].message
    assert by_line[5].help is not None and "preview" in by_line[5].help
    assert result.payload is None


def test_good_render_values_pass(tmp_path: Path) -> None:
    (tmp_path / "shotscript.toml").write_text('[render]\nconcurrency = 2\nbudget = 0\nbackend = "preview"\n')
    result = check_file(_story(tmp_path))
    assert result.ok and folder_config(_story(tmp_path), Sink()).render == {
        "concurrency": 2, "budget": 0.0, "backend": "preview"}
