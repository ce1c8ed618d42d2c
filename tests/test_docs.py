"""The docs cannot drift: the code table is generated, README commands are run."""

from __future__ import annotations

import re
import shlex
import tomllib

from click.testing import CliRunner

from shotscript.cli import cli
from shotscript.compiler.codes import markdown
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text("utf-8")


def test_diagnostics_page_is_generated_from_the_registry() -> None:
    assert (ROOT / "docs" / "diagnostics.md").read_text("utf-8") == markdown(), (
        "regenerate: python -c 'from shotscript.compiler.codes import markdown; "
        "open(\"docs/diagnostics.md\",\"w\").write(markdown())'"
    )


def test_readme_story_example_compiles_to_what_the_readme_shows(tmp_path, monkeypatch) -> None:
    story = re.search(r"<!-- example:story -->\n```\w*\n(.*?)```", README, re.S)
    shown = re.search(r"<!-- example:payload -->\n```\w*\n(.*?)```", README, re.S)
    assert story and shown
    (tmp_path / "ad.shot").write_text(story.group(1), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["compile", "ad.shot"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == shown.group(1)


def test_readme_shotscript_commands_exist() -> None:
    for line in re.findall(r"^\s*(?:\$ )?(shotscript [^\n#]+)", README, re.M):
        args = shlex.split(line)[1:]
        result = CliRunner().invoke(cli, [args[0], "--help"])
        assert result.exit_code == 0, f"README names `{line}` but `{args[0]}` has no --help"


def test_ci_runs_exactly_the_readme_test_command() -> None:
    block = re.search(r"<!-- command:test -->\n```sh\n(.*?)\n```", README, re.S)
    assert block
    ci = (ROOT / ".ci" / "run").read_text("utf-8").splitlines()
    assert block.group(1) in ci


def test_quick_start_runs_the_main_job_on_the_shipped_stories() -> None:
    block = re.search(r"<!-- command:main -->\n```sh\n(.*?)\n```", README, re.S)
    assert block
    command = block.group(1)
    assert "pip install" in command and "shotscript render stories/" in command


def test_the_quick_command_leaves_out_exactly_the_slow_marker() -> None:
    block = re.search(r"<!-- command:quick -->\n```sh\n(.*?)\n```", README, re.S)
    assert block and block.group(1) == ".venv/bin/python -m pytest -q -m 'not slow'"
    markers = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["pytest"]["ini_options"]
    assert any(m.startswith("slow:") for m in markers["markers"])


def test_the_readme_names_every_exit_status() -> None:
    from shotscript.batch.outcome import Exit

    said = re.search(r"Exit status:\n(.*?)`shotscript.batch.outcome.Exit`", README, re.S)
    assert said
    for status in Exit:
        assert re.search(rf"\b{status.value}\b", said.group(1)), status
