"""The `shotscript` command line: a click group whose commands are imported only when used."""

from __future__ import annotations

import importlib

import click

# name -> "module:function"; each command lives in its own module so that
# `shotscript compile` never pays for importing the runtime, and the reverse.
COMMANDS: dict[str, str] = {
    "check": "shotscript.cli.check:check",
    "compile": "shotscript.cli.compile:compile_",
    "cost": "shotscript.cli.cost:cost",
    "emulate": "shotscript.cli.emulate:emulate",
    "fmt": "shotscript.cli.fmt:fmt",
    "ledger": "shotscript.cli.ledger:ledger",
    "preview": "shotscript.cli.preview:preview",
    "render": "shotscript.cli.render:render",
    "status": "shotscript.cli.status:status",
}


class LazyGroup(click.Group):
    """A group that imports a command's module the first time the command is needed."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, attr = target.split(":")
        command = getattr(importlib.import_module(module), attr)
        assert isinstance(command, click.Command)
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="shotscript")
def cli() -> None:
    """Write a story, check it against every limit of the Wan 2.6 r2v API, compile it into
    the exact request body, and render it.

    \b
    shotscript check stories/            every mistake, with file:line:col
    shotscript compile story.shot        the request body (or --format curl|prompt)
    shotscript fmt story.shot --to yaml  canonical form, or the other spelling
    shotscript preview story.shot        an offline animatic: no key, no cost
    shotscript render story.shot         the video (DASHSCOPE_API_KEY; else a preview)
    shotscript emulate                   a local DashScope to try it all against
    """


def main() -> None:
    """Entry point of the console script."""
    cli(prog_name="shotscript")
