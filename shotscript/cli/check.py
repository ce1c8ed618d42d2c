"""`shotscript check`: every mistake in every story, before anything is sent."""

from __future__ import annotations

import json
from pathlib import Path

import click

from shotscript.cli.common import (
    EXIT_ERRORS,
    check_all,
    paths_argument,
    print_diagnostics,
    stories_in,
    summary,
)


@click.command()
@paths_argument
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="text for people, json for editors and CI.")
@click.option("--probe-remote", is_flag=True,
              help="Also fetch the start of each http(s) reference (a ranged GET) and say which "
              "ones the service may fail to fetch or refuse.")
def check(paths: tuple[Path, ...], fmt: str, probe_remote: bool) -> None:
    """Check story files (or folders of them, recursively) against every limit of the API.

    Prints each problem as `path:line:col: error[CODE]: message` with the source line, a
    caret and a fix. Local reference files are probed (container, codec, duration, size,
    alpha, bytes). Exit status: 0 clean (warnings allowed), 1 errors, 2 usage.
    """
    results = check_all(stories_in(paths), probe_remote=probe_remote)
    if fmt == "json":
        report = [
            {"path": r.path, "ok": r.ok, "diagnostics": [d.to_json() for d in r.diagnostics]}
            for r in results
        ]
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        for r in results:
            print_diagnostics(r)
        click.echo(summary(results), err=True)
    if not all(r.ok for r in results):
        raise SystemExit(EXIT_ERRORS)
