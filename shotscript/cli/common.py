"""What the story commands share: finding stories, printing diagnostics, exit codes."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from shotscript.compiler.diagnostics import render_human
from shotscript.compiler.driver import STORY_SUFFIXES, Result, check_file, find_stories

EXIT_OK, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2

paths_argument = click.argument(
    "paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path)
)


def use_color(stream: object = None) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set."""
    stream = stream or sys.stderr
    return "NO_COLOR" not in os.environ and bool(getattr(stream, "isatty", lambda: False)())


def stories_in(paths: tuple[Path, ...]) -> list[Path]:
    """Story files named or found under folders; a usage error when there are none."""
    files = find_stories(list(paths))
    for f in files:
        if f.suffix.lower() not in STORY_SUFFIXES:
            raise click.UsageError(
                f"{f}: not a story file (expected {', '.join(STORY_SUFFIXES)})"
            )
    if not files:
        raise click.UsageError("no story files (.shot, .yaml, .yml) found in " +
                               ", ".join(str(p) for p in paths))
    return files


def print_diagnostics(result: Result) -> None:
    """A file's diagnostics on stderr, rustc style."""
    if result.diagnostics:
        text = render_human(result.diagnostics, result.source, use_color(), result.path)
        click.echo(text, err=True)
        click.echo("", err=True)


def check_all(files: list[Path], *, probe_remote: bool = False, model: str | None = None) -> list[Result]:
    """Check every file (all of them, whatever the first ones gave), for `model` when given."""
    return [check_file(f, probe_remote=probe_remote, model=model) for f in files]


# `--model` retargets every story of a run; it wins over the file and shotscript.toml.
model_option = click.option(
    "--model", "model", metavar="MODEL", default=None,
    help="Target this model for every story (wins over the story and shotscript.toml), "
    "e.g. wan2.7-r2v or wan2.6-r2v-flash.")


def summary(results: list[Result]) -> str:
    """`3 stories: 2 ok, 1 with errors (4 errors, 1 warning)`."""
    errors = sum(1 for r in results for d in r.diagnostics if d.severity == "error")
    warnings = sum(1 for r in results for d in r.diagnostics if d.severity == "warning")
    bad = sum(1 for r in results if not r.ok)
    noun = "story" if len(results) == 1 else "stories"
    plural = lambda n, w: f"{n} {w}{'' if n == 1 else 's'}"  # noqa: E731
    return (f"{len(results)} {noun}: {len(results) - bad} ok, {bad} with errors "
            f"({plural(errors, 'error')}, {plural(warnings, 'warning')})")
