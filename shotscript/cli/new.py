"""`shotscript new`: a commented starter story that already passes `check` and `fmt --check`."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import click


@click.command("new")
@click.argument("name", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yaml", "as_yaml", is_flag=True, help="Write NAME.yaml (the YAML spelling) instead.")
def new(name: Path, as_yaml: bool) -> None:
    """Write a commented starter story NAME.shot (or NAME.yaml) to edit.

    \b
    shotscript new ad                 ad.shot: settings, a cast, three shots, comments
    shotscript new stories/ad --yaml  stories/ad.yaml
    shotscript preview ad.shot        see it, free

    The story checks clean and is already formatted (`shotscript fmt --check` passes); its
    reference is the official demo video. Never overwrites a file. Exit status: 0, 1 if the
    file exists, 2 usage.
    """
    suffix = ".yaml" if as_yaml else ".shot"
    path = name if name.suffix.lower() in (".shot", ".yaml", ".yml") else name.with_name(name.name + suffix)
    if path.exists():
        click.echo(f"error: {path} exists; choose another name (nothing was written)", err=True)
        raise SystemExit(1)
    template = "new.yaml" if path.suffix.lower() in (".yaml", ".yml") else "new.shot"
    text = resources.files("shotscript.cli").joinpath("templates", template).read_text("utf-8")
    title = path.stem
    # YAML takes the title as a JSON string (a valid YAML scalar whatever it holds).
    text = text.replace('"{title}"', json.dumps(title, ensure_ascii=False)).replace("{title}", title)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")
    click.echo(str(path))
    steps = " · ".join(f"shotscript {command} {path}" for command in ("check", "preview", "cost"))
    click.echo(f"next: {steps}", err=True)
