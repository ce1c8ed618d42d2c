"""What the story commands share: finding stories, printing diagnostics and errors, exit codes."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

if TYPE_CHECKING:
    from shotscript.compiler.driver import Result

# The compiler is imported by the functions that use it, so that `COMMAND --help` loads none.

EXIT_OK, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2

# `shown` and `print_diagnostics` live in compiler/terminal.py (the batch planner
# prints diagnostics too); imported on call, so that `COMMAND --help` loads no compiler.


def shown(text: object, *, multiline: bool = False, colors: bool = False) -> str:
    """`text` safe to print: every control or bidi character written as an escape (`\\u202e`)."""
    from shotscript.compiler import terminal

    return terminal.shown(text, multiline=multiline, colors=colors)


def fail(message: str, hint: str | None = None, code: int = EXIT_ERRORS) -> NoReturn:
    """One `error:` line (and a `hint:` line) on stderr, then exit with `code`."""
    click.echo(f"error: {shown(message)}", err=True)
    if hint:
        click.echo(f"hint: {shown(hint)}", err=True)
    raise SystemExit(code)


paths_argument = click.argument(
    "paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path)
)


def stories_in(paths: tuple[Path, ...]) -> list[Path]:
    """Story files named or found under folders; a usage error when there are none."""
    from shotscript.compiler.driver import STORY_SUFFIXES, find_stories

    files = find_stories(list(paths))
    for f in files:
        if f.suffix.lower() not in STORY_SUFFIXES:
            raise click.UsageError(
                f"{shown(f)}: not a story file (expected {', '.join(STORY_SUFFIXES)})"
            )
    if not files:
        raise click.UsageError("no story files (.shot, .yaml, .yml) found in " +
                               ", ".join(shown(p) for p in paths))
    return files


def print_diagnostics(result: Result) -> None:
    """A file's diagnostics on stderr, rustc style."""
    from shotscript.compiler import terminal

    terminal.print_diagnostics(result)


def check_all(files: list[Path], *, probe_remote: bool = False, model: str | None = None) -> list[Result]:
    """Check every file (all of them, whatever the first ones gave), for `model` when given."""
    from shotscript.media.check import check_file

    return [check_file(f, probe_remote=probe_remote, model=model) for f in files]


# `--model` retargets every story of a run; it wins over the file and shotscript.toml.
def _known_model(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """`--model` names a model this tool knows, else a usage error (exit 2) naming them all."""
    if value is None:
        return None
    from shotscript.compiler.suggest import one_of
    from shotscript.facts.capabilities import capabilities

    models = capabilities().models
    if value not in models:
        raise click.BadParameter(f"unknown model `{shown(value)}`; {one_of(value, models)}",
                                 ctx, param)
    return value


model_option = click.option(
    "--model", "model", metavar="MODEL", default=None, callback=_known_model,
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
