"""The `shotscript` command line: a click group whose commands are imported only when used."""

from __future__ import annotations

import sys

try:
    import importlib

    import click
except KeyboardInterrupt:  # Ctrl-C while Python is still starting up: quiet, like later
    sys.exit(130)

EXIT_INTERRUPTED = 130

# name -> ("module:function", short help). Each command lives in its own module so that
# `shotscript compile` never pays for importing the runtime, and the reverse; the short
# help is kept here so that `shotscript --help` imports no command at all (a test keeps
# each line equal to the first sentence of its command's docstring).
COMMANDS: dict[str, tuple[str, str]] = {
    "adopt": ("shotscript.cli.adopt:adopt",
              "Claim a task for a story whose create's outcome is unknown, instead of paying again."),
    "check": ("shotscript.cli.check:check",
              "Check story files (or folders of them, recursively) against every limit of the API."),
    "compile": ("shotscript.cli.compile:compile_",
                "Compile stories into the request body of the video-synthesis API."),
    "cost": ("shotscript.cli.cost:cost",
             "Billed seconds and estimated price of stories (or folders of them, recursively)."),
    "emulate": ("shotscript.cli.emulate:emulate",
                "Run a DashScope-compatible emulator of the Wan 2.6 and 2.7 r2v APIs on HOST:PORT."),
    "fmt": ("shotscript.cli.fmt:fmt",
            "Rewrite stories in canonical form (cast and shot texts aligned, one line per setting)."),
    "ledger": ("shotscript.cli.ledger:ledger",
               "Show the money spent: creates, tasks, billed seconds and cost per day (UTC) and folder."),
    "new": ("shotscript.cli.new:new", "Write a commented starter story NAME.shot (or NAME.yaml) to edit."),
    "preview": ("shotscript.cli.preview:preview",
                "Draw an offline animatic of a story: its size, 30 fps and duration, one card per "
                "shot with its time, text and cast, a timeline with the cuts."),
    "render": ("shotscript.cli.render:render",
               "Render stories or folders: upload local files, submit, poll, download DIR/<story>.mp4."),
    "status": ("shotscript.cli.status:status",
               "Show the journal of a batch render folder (default: renders/)."),
}


def short_help(text: str, limit: int) -> str:
    """`text` cut at a word to fit `limit` columns, ending in `...` when cut (as click does)."""
    if len(text) <= limit:
        return text
    out = ""
    for word in text.split():
        if len(out) + len(word) + 1 + 3 > limit:
            break
        out = f"{out} {word}" if out else word
    return out + "..."


class LazyGroup(click.Group):
    """A group that imports a command's module the first time the command is needed."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = COMMANDS.get(cmd_name)
        if entry is None:
            return None
        module, attr = entry[0].split(":")
        command = getattr(importlib.import_module(module), attr)
        assert isinstance(command, click.Command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list from the table: listing the commands imports none of them."""
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(len(n) for n in names)
        rows = [(n, short_help(COMMANDS[n][1], limit)) for n in names]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="shotscript")
def cli() -> None:
    """Write a story, check it against every limit of the Wan 2.6 and 2.7 r2v APIs
    (wan2.6-r2v-flash, wan2.6-r2v, wan2.7-r2v), compile it into the exact request body of
    its model, and render it.

    \b
    shotscript check stories/            every mistake, with file:line:col
    shotscript compile story.shot        the request body (or --format curl|prompt)
    shotscript fmt story.shot --to yaml  canonical form, or the other spelling
    shotscript preview story.shot        an offline animatic: no key, no cost
    shotscript render story.shot         the video (DASHSCOPE_API_KEY; else a preview)
    shotscript emulate                   a local DashScope to try it all against
    """


def main() -> None:
    """Entry point of the console script: Ctrl-C at any moment exits 130, without a traceback."""
    try:
        # Not click's standalone mode: it turns Ctrl-C into "Aborted!" and exit 1.
        code = cli.main(prog_name="shotscript", standalone_mode=False)
    except click.Abort as e:
        if isinstance(e.__cause__, KeyboardInterrupt):
            sys.exit(EXIT_INTERRUPTED)
        click.echo("Aborted!", err=True)
        sys.exit(1)
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)
    except KeyboardInterrupt:
        sys.exit(EXIT_INTERRUPTED)
    except BrokenPipeError:
        sys.exit(1)  # the reader went away (`| head`): nothing left to say
    # `--help`, `--version` and ctx.exit(n) give their exit code; a command's return, None.
    sys.exit(code if isinstance(code, int) else 0)
