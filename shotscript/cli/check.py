"""`shotscript check`: every mistake in every story, before anything is sent."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click

from shotscript.cli.common import EXIT_ERRORS, model_option, paths_argument, print_diagnostics, stories_in

if TYPE_CHECKING:
    from shotscript.compiler.driver import Result


@dataclass
class _Tally:
    """What the summary line needs: counts only, so memory stays flat however many stories."""

    stories: int = 0
    bad: int = 0
    errors: int = 0
    warnings: int = 0

    def line(self) -> str:
        """`3 stories: 2 ok, 1 with errors (4 errors, 1 warning)`."""
        def plural(n: int, word: str) -> str:
            return f"{n} {word}{'' if n == 1 else 's'}"

        noun = "story" if self.stories == 1 else "stories"
        return (f"{self.stories} {noun}: {self.stories - self.bad} ok, {self.bad} with errors "
                f"({plural(self.errors, 'error')}, {plural(self.warnings, 'warning')})")


def _stories(paths: tuple[Path, ...]) -> Iterator[Path]:
    """The story files to check, as they are found; usage errors first for named files."""
    from shotscript.compiler.driver import iter_stories

    named = [p for p in paths if not p.is_dir()]
    if named:
        stories_in(tuple(named))  # a named file that is not a story: a usage error, up front
    found = False
    for p in paths:
        for f in iter_stories((p,)):
            found = True
            yield f
    if not found:
        stories_in(paths)  # says that there are none, as every story command does


def _internal_error(path: Path, e: Exception) -> Result:
    """A story the checker itself failed on, as one diagnostic (so the folder goes on)."""
    from shotscript.compiler.ast import Span
    from shotscript.compiler.diagnostics import Sink, display_path
    from shotscript.compiler.driver import Result

    sink = Sink(display_path(path))
    sink.add("E111", Span.at(1, 1), detail=f"internal error while checking: {type(e).__name__}: {e}",
             help="this is a bug in shotscript; please report it with the file")
    return Result(sink.path, None, diagnostics=sink.sorted())


@click.command()
@paths_argument
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="text for people, json for editors and CI.")
@click.option("--probe-remote", is_flag=True,
              help="Also fetch the start of each http(s) reference (a ranged GET) and say which "
              "ones the service may fail to fetch or refuse.")
@model_option
def check(paths: tuple[Path, ...], fmt: str, probe_remote: bool, model: str | None) -> None:
    """Check story files (or folders of them, recursively) against every limit of the API.

    Prints each problem as `path:line:col: error[CODE]: message` with the source line, a
    caret and a fix. Local reference files are probed (container, codec, duration, size,
    alpha, bytes). `--model wan2.7-r2v` checks them for another model: every setting or
    input that model lacks is named. Exit status: 0 clean (warnings allowed), 1 errors, 2 usage.
    """
    from shotscript.media.check import check_file

    tally = _Tally()
    # Each story is printed as soon as it is checked and then dropped (JSON: one array,
    # written item by item), so a folder of 10,000 stories needs the memory of one.
    for f in _stories(paths):
        try:
            r = check_file(f, probe_remote=probe_remote, model=model)
        except Exception as e:  # a bug; the fuzz tests hunt these, but one never stops a folder
            r = _internal_error(f, e)
        tally.stories += 1
        tally.bad += not r.ok
        tally.errors += sum(d.severity == "error" for d in r.diagnostics)
        tally.warnings += sum(d.severity == "warning" for d in r.diagnostics)
        if fmt == "json":
            item = {"path": r.path, "ok": r.ok, "diagnostics": [d.to_json() for d in r.diagnostics]}
            text = json.dumps(item, ensure_ascii=False, indent=2).replace("\n", "\n  ")
            click.echo(("," if tally.stories > 1 else "[") + "\n  " + text, nl=False)
        else:
            print_diagnostics(r)
    if fmt == "json":
        click.echo("\n]")
    else:
        click.echo(tally.line(), err=True)
    if tally.bad:
        raise SystemExit(EXIT_ERRORS)
