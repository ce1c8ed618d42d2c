"""What the story commands share: finding stories, printing diagnostics and errors, exit codes."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

if TYPE_CHECKING:
    from shotscript.compiler.driver import Result

# The compiler is imported by the functions that use it, so that `COMMAND --help` loads none.

EXIT_OK, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2

# Characters that would let a file name or a server's string rewrite the terminal: C0 and C1
# controls (escape sequences), DEL, line and paragraph separators, bidirectional embeddings,
# overrides and isolates (U+202E shows `txt.exe` as `exe.txt`), and lone surrogates (from
# undecodable file names, which would make printing itself fail).
_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e"
    "\u2066-\u2069\ud800-\udfff]"
)
_UNSAFE_ONE_LINE = re.compile(_UNSAFE.pattern[:-1] + "\t\n]")
_SGR = re.compile("(\x1b\\[[0-9;]*m)")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def shown(text: object, *, multiline: bool = False, colors: bool = False) -> str:
    """`text` safe to print: every control or bidi character written as an escape (`\\u202e`).

    Every path and every server string the CLI prints goes through here; `multiline` keeps
    newlines and tabs (rendered diagnostics), otherwise they are escaped too; `colors` keeps
    colour sequences (`ESC[…m`, which can only colour, never move the cursor or retitle)."""
    pattern = _UNSAFE if multiline else _UNSAFE_ONE_LINE
    if not colors:
        return pattern.sub(_escape, str(text))
    parts = _SGR.split(str(text))
    return "".join(p if i % 2 else pattern.sub(_escape, p) for i, p in enumerate(parts))


def fail(message: str, hint: str | None = None, code: int = EXIT_ERRORS) -> NoReturn:
    """One `error:` line (and a `hint:` line) on stderr, then exit with `code`."""
    click.echo(f"error: {shown(message)}", err=True)
    if hint:
        click.echo(f"hint: {shown(hint)}", err=True)
    raise SystemExit(code)


paths_argument = click.argument(
    "paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path)
)


def use_color(stream: object = None) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set."""
    stream = stream or sys.stderr
    return "NO_COLOR" not in os.environ and bool(getattr(stream, "isatty", lambda: False)())


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
    if result.diagnostics:
        from shotscript.compiler.diagnostics import render_human

        color = use_color()
        text = render_human(result.diagnostics, result.source, color, result.path)
        click.echo(shown(text, multiline=True, colors=color), err=True)
        click.echo("", err=True)


def check_all(files: list[Path], *, probe_remote: bool = False, model: str | None = None) -> list[Result]:
    """Check every file (all of them, whatever the first ones gave), for `model` when given."""
    from shotscript.media.check import check_file

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
