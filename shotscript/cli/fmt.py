"""`shotscript fmt`: canonical story files, and conversion between the two spellings."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from shotscript.cli.common import EXIT_ERRORS, paths_argument, print_diagnostics, shown, stories_in

if TYPE_CHECKING:
    from shotscript.compiler.driver import Result

_SUFFIX = {"shot": ".shot", "yaml": ".yaml"}


def formatted(result: Result, to: str) -> str:
    """The story in canonical form of the chosen spelling."""
    from shotscript.compiler.format import to_shot, to_yaml

    assert result.story is not None
    return to_yaml(result.story) if to == "yaml" else to_shot(result.story, result.source)


def _changes(before: object, after: object, where: str = "") -> list[str]:
    """The body fields (`input.prompt`) whose values differ, each with how, when it is only
    white space at an end (the one thing a spelling cannot always keep)."""
    if isinstance(before, dict) and isinstance(after, dict):
        return [c for k in sorted(before.keys() | after.keys(), key=str)
                for c in _changes(before.get(k), after.get(k), f"{where}.{k}" if where else str(k))]
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        return [c for i, (b, a) in enumerate(zip(before, after, strict=True))
                for c in _changes(b, a, f"{where}[{i}]")]
    if before == after:
        return []
    if isinstance(before, str) and isinstance(after, str) and before.strip() == after.strip():
        ends = [e for e, b, a in (("leading", before[:1], after[:1]), ("trailing", before[-1:], after[-1:]))
                if b != a and b.isspace()]
        return [f"{where} (its {' and '.join(ends) or 'outer'} white space is dropped)"]
    return [where]


def request_changes(result: Result, text: str, to: str) -> list[str]:
    """What of the request body the converted `text` would change, [] when it sends the same."""
    from shotscript.compiler.driver import check_text

    if result.payload is None:
        return []
    # Beside the original, so that folder defaults and relative references are the same.
    path = Path(result.path).with_suffix(_SUFFIX[to])
    again = check_text(text, path)
    if again.payload is None:
        return ["the whole request (the converted story does not compile)"]
    return _changes(result.payload.body(), again.payload.body())


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
    comments stay with the line they precede (a `# …` after a setting stays on its line).
    YAML files are left as they are. With --to, prints each story converted to that spelling
    instead (`--to yaml` drops comments), with a warning naming any field of the request the
    other spelling would change.
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
                for change in request_changes(result, text, to):
                    click.echo(f"warning: {shown(f)}: the .{to} spelling changes the request's {change}; "
                               f"keep {shown(f.name)} to send it as written", err=True)
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
