"""What a newcomer expects of the command line: `new`, `preview` of folders and several
files, the report's path printed last and `--open`, shell completion."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from shotscript.cli import cli

ROOT = Path(__file__).resolve().parents[1]
TINY = """title {name}
size 720*1280
duration 2
cast
  girl video https://example.com/girl.mp4
shot @girl waves, {name}.
"""


def invoke(*args: str, cwd: Path | None = None) -> Any:
    runner = CliRunner()
    if cwd is None:
        return runner.invoke(cli, list(args), catch_exceptions=False)
    old = os.getcwd()
    os.chdir(cwd)
    try:
        return runner.invoke(cli, list(args), catch_exceptions=False)
    finally:
        os.chdir(old)


@pytest.mark.parametrize(("args", "written"), [(["ad"], "ad.shot"), (["ad", "--yaml"], "ad.yaml"),
                                               (["sub/ad.yml"], "sub/ad.yml")])  # fmt: skip
def test_new_writes_a_commented_story_that_checks_and_is_formatted(
    tmp_path: Path, args: list[str], written: str
) -> None:
    result = invoke("new", *args, cwd=tmp_path)
    assert result.exit_code == 0, result.output
    story = tmp_path / written
    assert result.stdout.strip() == written
    text = story.read_text("utf-8")
    assert text.count("#") >= 8 and "title" in text and "ad" in text  # commented, titled
    assert invoke("check", str(story)).exit_code == 0
    assert invoke("fmt", "--check", str(story)).exit_code == 0
    again = invoke("new", *args, cwd=tmp_path)
    assert again.exit_code == 1 and "exists" in again.stderr and story.read_text("utf-8") == text


def test_preview_takes_folders_and_several_files_and_opens_the_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "stories"
    (folder / "more").mkdir(parents=True)
    for path in (folder / "a.shot", folder / "more" / "b.shot", tmp_path / "c.shot"):
        path.write_text(TINY.format(name=path.stem), "utf-8")
    opened: list[str] = []
    monkeypatch.setattr(click, "launch", lambda target, **kw: opened.append(target) or 0)
    monkeypatch.delenv("DASHSCOPE_API_KEY", raising=False)
    out = tmp_path / "out"
    result = invoke("preview", str(folder), str(tmp_path / "c.shot"), "--out", str(out), "--open")
    assert result.exit_code == 0, result.output
    videos = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.mp4"))
    assert len(videos) == 3, videos
    report = out / "report.html"
    assert opened == [str(report)]
    assert result.stderr.strip().splitlines()[-1] == f"report: {report}"


def test_render_says_where_the_report_is_last_and_how_to_open_it(tmp_path: Path) -> None:
    story = tmp_path / "a.shot"
    story.write_text(TINY.format(name="a"), "utf-8")
    result = invoke("render", str(story), "--out", str(tmp_path / "out"), "--backend", "preview")
    assert result.exit_code == 0, result.output
    assert (
        result.stderr.strip().splitlines()[-1]
        == f"report: {tmp_path / 'out' / 'report.html'} (--open opens it)"
    )


def test_shell_completion_works_as_the_readme_says() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    assert 'eval "$(_SHOTSCRIPT_COMPLETE=bash_source shotscript)"' in readme
    env = {
        **os.environ,
        "_SHOTSCRIPT_COMPLETE": "bash_complete",
        "COMP_WORDS": "shotscript ne",
        "COMP_CWORD": "1",
    }
    done = subprocess.run([sys.executable, "-m", "shotscript"], env=env, capture_output=True, text=True,
                          cwd=ROOT, timeout=60)  # fmt: skip
    assert "plain,new" in done.stdout.splitlines()
