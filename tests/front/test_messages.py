"""Helps that suggest only what works, in the spelling and place the user wrote it."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from shotscript.cli import cli

CAT = "cast\n  cat  image https://example.com/cat.png\n\n"


def _helps(path: Path, *flags: str) -> dict[str, list[str]]:
    out = CliRunner().invoke(cli, ["check", "--format", "json", str(path), *flags]).stdout
    helps: dict[str, list[str]] = {}
    for d in json.loads(out)[0]["diagnostics"]:
        helps.setdefault(d["code"], []).append(d["help"])
    return helps


def test_end_mismatch_offers_only_a_duration_the_model_takes(tmp_path: Path) -> None:
    shots = "shot 0-3s @cat sits.\nshot 3-11s @cat runs.\n"
    old = tmp_path / "old.shot"
    old.write_text(f"model wan2.6-r2v\nduration 10\n\n{CAT}{shots}", "utf-8")
    assert _helps(old)["E207"] == ["end the last shot at 10 s"]  # 11 s is refused on 2.6 (E201)
    new = tmp_path / "new.shot"
    new.write_text(f"model wan2.7-r2v\nduration 10\n\n{CAT}{shots}", "utf-8")
    assert _helps(new)["E207"] == ["end the last shot at 10 s or set `duration 11`"]


def test_an_unknown_model_flag_is_a_usage_error(tmp_path: Path) -> None:
    story = tmp_path / "s.shot"
    story.write_text(f"model wan2.6-r2v\n\n{CAT}prompt @cat sits.\n", "utf-8")
    result = CliRunner().invoke(cli, ["check", str(story), "--model", "wan2.5-r2v"])
    assert result.exit_code == 2 and "E401" not in result.output
    assert "--model" in result.stderr and "`wan2.5-r2v`" in result.stderr
    assert all(m in result.stderr for m in ("wan2.6-r2v-flash", "wan2.6-r2v", "wan2.7-r2v"))
    compiled = CliRunner().invoke(cli, ["compile", str(story), "--model", "nope"])
    assert compiled.exit_code == 2 and compiled.stdout == ""


def test_a_help_about_the_model_speaks_of_the_flag(tmp_path: Path) -> None:
    story = tmp_path / "s.shot"
    story.write_text(f"model wan2.7-r2v\nprompt_extend off\n\n{CAT}prompt @cat sits.\n", "utf-8")
    assert _helps(story) == {}
    [fix] = _helps(story, "--model", "wan2.6-r2v")["E501"]
    assert fix == "leave out `--model wan2.6-r2v` (the story says `model wan2.7-r2v`), or remove it"
    flash = tmp_path / "flash.shot"
    flash.write_text(f"prompt_extend off\n\n{CAT}prompt @cat sits.\n", "utf-8")
    [fix] = _helps(flash, "--model", "wan2.6-r2v")["E501"]
    assert fix == "use `--model wan2.7-r2v`, or remove it"
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "shotscript.toml").write_text('model = "wan2.7-r2v"\n', "utf-8")
    (folder / "s.shot").write_text(flash.read_text("utf-8"), "utf-8")
    [fix] = _helps(folder / "s.shot", "--model", "wan2.6-r2v")["E501"]
    assert fix == "leave out `--model wan2.6-r2v` (its shotscript.toml says `model wan2.7-r2v`), or remove it"


def test_a_yaml_story_gets_helps_in_yaml(tmp_path: Path) -> None:
    story = tmp_path / "s.yaml"
    story.write_text("model: wan2.7-r2v\naudio: false\ncast:\n  cat: {image: https://example.com/cat.png}\n"
                     "prompt: '@cat sits.'\n", "utf-8")
    [fix] = _helps(story)["E404"]
    assert fix == "remove `audio: false`, or use `model: wan2.6-r2v-flash`"
    dsl = tmp_path / "s.shot"
    dsl.write_text(f"model wan2.7-r2v\naudio off\n\n{CAT}prompt @cat sits.\n", "utf-8")
    assert _helps(dsl)["E404"] == ["remove `audio off`, or use `model wan2.6-r2v-flash`"]


def test_the_top_level_help_names_both_protocols() -> None:
    out = CliRunner().invoke(cli, ["--help"]).stdout
    assert "Wan 2.6 and 2.7" in out and "wan2.7-r2v" in out
