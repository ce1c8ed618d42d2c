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
    EXIT_USAGE,
    check_all,
    fail,
    model_option,
    paths_argument,
    print_diagnostics,
    shown,
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


def out_paths(paths: tuple[Path, ...], out_dir: Path, suffix: str) -> dict[Path, Path]:
    """Each story's file under `out_dir`, the input tree mirrored (the names `render` gives its
    videos); a usage error, before anything is written, when two stories would share one."""
    from shotscript.compiler.story_keys import story_files

    targets: dict[Path, Path] = {}
    # Case-folded: on macOS and Windows `Pet.json` and `pet.json` are one file.
    owner: dict[str, Path] = {}
    for f in story_files(list(paths)):
        target = f.named(out_dir, suffix)
        other = owner.setdefault(target.as_posix().casefold(), f.path)
        if other != f.path:
            fail(f"{shown(other)} and {shown(f.path)} would both be written to {shown(target)}",
                 "rename one of them, or compile them into different --out folders", EXIT_USAGE)
        targets[f.path.absolute()] = target
    return targets


@click.command("compile")
@paths_argument
@click.option("--format", "fmt", type=click.Choice(["json", "curl", "prompt"]), default="json",
              show_default=True, help="The request body, a curl command, or only the prompt.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Write one <story>.json per story into this folder, the input tree mirrored.")
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
        suffix = {"json": ".json", "curl": ".sh", "prompt": ".txt"}[fmt]
        targets = out_paths(paths, out_dir, suffix)
        for r in ok:
            assert r.payload is not None
            target = targets[Path(r.path).absolute()]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text(r.payload) + "\n", encoding="utf-8")
            click.echo(f"wrote {shown(target)}", err=True)
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
