"""`shotscript preview`: `render --backend preview`, for short."""

from __future__ import annotations

from pathlib import Path

import click

from shotscript.cli.render import render


@click.command("preview")
@click.argument("story", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("renders"), show_default=True, help="Folder for <story>.mp4.")
@click.option("--force", is_flag=True, help="Draw again even if the preview is up to date.")
@click.pass_context
def preview(ctx: click.Context, story: Path, out_dir: Path, force: bool) -> None:
    """Draw an offline animatic of a story: its size, 30 fps and duration, one card per shot
    with its time, text and cast, a timeline with the cuts. No key, no network, no cost."""
    ctx.invoke(render, paths=(story,), out_dir=out_dir, backend="preview", force=force)
