"""`shotscript fmt`: canonical story files, and conversion between the two spellings."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from shotscript.cli.common import EXIT_ERRORS, paths_argument, print_diagnostics, stories_in

if TYPE_CHECKING:
    from shotscript.compiler.driver import Result

_SUFFIX = {"shot": ".shot", "yaml": ".yaml"}


def formatted(result: Result, to: str) -> str:
    """The story in canonical form of the chosen spelling."""
    from shotscript.compiler.format import to_shot, to_yaml

    assert result.story is not None
    return to_yaml(result.story) if to == "yaml" else to_shot(result.story, result.source)


@click.command()
@paths_argument
@click.option("--check", "check_only", is_flag=True,
              help="Change and print nothing; exit 1 if a file is not in canonical form "
              "(with --to: not already canonical in that spelling).")
@click.option("--to", type=click.Choice(["shot", "yaml"]),
              help="Convert: print the story in the other spelling (files are not changed).")
def fmt(paths: tuple[Path, ...], check_only: bool, to: str | None) -> None:
    """Rewrite stories in canonical form (cast and shot texts aligned, one line per setting).

    Settings keep their order, texts continued over several lines keep their lines, and
    comments stay with the line they precede. YAML files are left as they are. With --to,
    prints each story converted to that spelling instead (`--to yaml` drops comments).
    Stories with syntax errors are left alone.
    """
    from shotscript.media.check import check_file

    files = stories_in(paths)
    unformatted: list[str] = []
    failed = False
    for f in files:
        result = check_file(f)
        if result.story is None or any(
            d.severity == "error" and d.code.startswith("E1") for d in result.diagnostics
        ):
            print_diagnostics(result)
            failed = True
            continue
        if to is not None:
            text = formatted(result, to)
            if not check_only:
                click.echo(text, nl=False)
            elif f.suffix.lower() != _SUFFIX[to] and not (to == "yaml" and f.suffix.lower() == ".yml"):
                unformatted.append(f"{f} (not {to})")
            elif text != result.source:
                unformatted.append(str(f))
            continue
        if f.suffix.lower() != ".shot":
            continue  # YAML is left as its author (often a program) wrote it
        new = formatted(result, "shot")
        if new != result.source:
            unformatted.append(str(f))
            if not check_only:
                f.write_text(new, encoding="utf-8")
                click.echo(f"formatted {f}", err=True)
    if check_only and unformatted:
        for name in unformatted:
            click.echo(f"would reformat {name}", err=True)
        raise SystemExit(EXIT_ERRORS)
    if failed:
        raise SystemExit(EXIT_ERRORS)
