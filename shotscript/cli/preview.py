"""`shotscript preview`: `render --backend preview`, for short."""

from __future__ import annotations

from pathlib import Path

import click

from shotscript.cli.render import render


@click.command("preview")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("renders"), show_default=True, help="Folder for <story>.preview.mp4.")
@click.option("--force", is_flag=True, help="Draw again even if the preview is up to date.")
@click.option("--open", "open_report", is_flag=True, help="Open the contact sheet (report.html) when done.")
@click.pass_context
def preview(
    ctx: click.Context, paths: tuple[Path, ...], out_dir: Path, force: bool, open_report: bool
) -> None:
    """Draw an offline animatic of a story: its size, 30 fps and duration, one card per shot
    with its time, text and cast, a timeline with the cuts. No key, no network, no cost.

    \b
    shotscript preview story.shot            renders/story.preview.mp4
    shotscript preview a.shot b.yaml         both
    shotscript preview stories/ --open       every story below stories/, then the contact sheet
    """
    ctx.invoke(render, paths=paths, out_dir=out_dir, backend="preview", force=force, open_report=open_report)
