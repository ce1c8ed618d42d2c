"""`fmt --check` agrees with the project: every shipped story and README example is canonical;
`--check` is honoured with `--to`."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from shotscript.cli import cli
from shotscript.compiler import dsl
from shotscript.compiler.diagnostics import Sink
from shotscript.compiler.format import to_shot
from tests.conftest import ROOT, STORIES

STORY_START = re.compile(r"^(title|model|size|duration|cast|shot|prompt|intro)\b", re.M)


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def readme_stories() -> list[str]:
    """The README's code blocks that are .shot stories."""
    blocks = re.findall(r"```(\w*)\n(.*?)```", (ROOT / "README.md").read_text("utf-8"), re.S)
    return [text for lang, text in blocks if lang in ("", "shot") and STORY_START.match(text)
            and "shotscript " not in text and "error[" not in text]


def test_fmt_check_passes_on_every_shipped_story() -> None:
    code, _, err = run("fmt", "--check", str(STORIES))
    assert code == 0, err


def test_fmt_check_passes_on_every_readme_example(tmp_path: Path) -> None:
    examples = readme_stories()
    assert examples
    for i, text in enumerate(examples):
        (tmp_path / f"readme-{i}.shot").write_text(text, encoding="utf-8")
    code, _, err = run("fmt", "--check", str(tmp_path))
    assert code == 0, err


def test_continued_lines_and_comments_between_them_are_kept() -> None:
    text = ("cast\n  a  image https://e.com/a.png\n\nprompt @a jogs along the lake,\n"
            "  # the camera\n  slow dolly shot.\n\nshot 0-3s  @a 走\n")
    text = text.replace("prompt", "intro")
    story = dsl.parse(text, Sink())
    assert story is not None
    assert to_shot(story, text) == text


def test_fmt_check_with_to_yaml_changes_and_prints_nothing(tmp_path: Path) -> None:
    story = tmp_path / "s.shot"
    story.write_text((STORIES / "seed" / "pet.shot").read_text("utf-8"), encoding="utf-8")
    code, out, err = run("fmt", "--check", "--to", "yaml", str(story))
    assert code == 1 and out == "" and "would reformat" in err
    code, converted, _ = run("fmt", "--to", "yaml", str(story))
    (tmp_path / "s.yaml").write_text(converted, encoding="utf-8")
    code, out, err = run("fmt", "--check", "--to", "yaml", str(tmp_path / "s.yaml"))
    assert code == 0 and out == "", err
