"""`shotscript compile`: the exact request body, as JSON, a curl command, or the prompt."""

from __future__ import annotations

import json
import os
import shlex
from pathlib import Path
from typing import TYPE_CHECKING

import click

from shotscript.cli.common import (
    EXIT_ERRORS,
    check_all,
    model_option,
    paths_argument,
    print_diagnostics,
    stories_in,
)
from shotscript.facts.service import service

if TYPE_CHECKING:
    from shotscript.compiler.payload import Payload

ENDPOINT = "/services/aigc/video-generation/video-synthesis"


def base_url(payload: Payload) -> str:
    """The API base: DASHSCOPE_HTTP_BASE_URL when set, else the story's region."""
    return os.environ.get("DASHSCOPE_HTTP_BASE_URL", "").rstrip("/") or payload.meta.base_url


def as_curl(payload: Payload) -> str:
    """A curl command that creates the task; the key stays in `$DASHSCOPE_API_KEY`."""
    facts = service()
    headers = ["Content-Type: application/json", f"{facts.async_header}: enable"]
    if payload.needs_oss_resolve:
        headers.append(f"{facts.resolve_header}: enable")
    lines = [f"curl -sS -X POST {shlex.quote(base_url(payload) + ENDPOINT)} \\",
             '  -H "Authorization: Bearer $DASHSCOPE_API_KEY" \\']
    lines += [f"  -H {shlex.quote(h)} \\" for h in headers]
    # A quoted heredoc: the prompt reaches curl byte for byte, whatever quotes it holds.
    lines += ["  --data-binary @- <<'JSON'", payload.to_json(), "JSON"]
    return "\n".join(lines)


@click.command("compile")
@paths_argument
@click.option("--format", "fmt", type=click.Choice(["json", "curl", "prompt"]), default="json",
              show_default=True, help="The request body, a curl command, or only the prompt.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Write one <story>.json per story into this folder instead of printing.")
@model_option
def compile_(paths: tuple[Path, ...], fmt: str, out_dir: Path | None, model: str | None) -> None:
    """Compile stories into the request body of the video-synthesis API.

    \b
    shotscript compile story.shot                  the JSON body
    shotscript compile story.shot --format curl    a curl command (key from $DASHSCOPE_API_KEY)
    shotscript compile stories/ --out payloads/    one JSON file per story
    shotscript compile story.shot --model wan2.7-r2v   the body for another model
    Local reference files appear as written; `shotscript render` uploads them.
    """
    results = check_all(stories_in(paths), model=model)
    for r in results:
        print_diagnostics(r)
    ok = [r for r in results if r.payload is not None]
    if fmt == "curl":
        local = [r for r in ok if r.payload and r.payload.local_references]
        for r in local:
            click.echo(f"{r.path}: has local reference files; curl cannot upload them "
                       "(use `shotscript render`, or host them at http(s) URLs)", err=True)
        if local:
            raise SystemExit(EXIT_ERRORS)

    def text(p: Payload) -> str:
        return {"json": p.to_json, "curl": lambda: as_curl(p), "prompt": lambda: p.input.prompt}[fmt]()

    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        suffix = {"json": ".json", "curl": ".sh", "prompt": ".txt"}[fmt]
        for r in ok:
            assert r.payload is not None
            target = out_dir / (Path(r.path).stem + suffix)
            target.write_text(text(r.payload) + "\n", encoding="utf-8")
            click.echo(f"wrote {target}", err=True)
    elif len(results) == 1:
        if ok and ok[0].payload is not None:
            click.echo(text(ok[0].payload))
    elif fmt == "json":
        bodies = {r.path: r.payload.body() for r in ok if r.payload}
        click.echo(json.dumps(bodies, ensure_ascii=False, indent=2))
    else:
        for r in ok:
            assert r.payload is not None
            click.echo(f"# {r.path}\n{text(r.payload)}\n")
    if len(ok) != len(results):
        raise SystemExit(EXIT_ERRORS)
