"""What goes to a terminal: text made safe to print, colour or not, a story's diagnostics.

The lowest stage that prints diagnostics, so that the command line and the batch planner (which
prints each planned story's findings) share one printer; nothing here imports the CLI.
"""

from __future__ import annotations

import os
import re
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shotscript.compiler.driver import Result

# Characters that would let a file name or a server's string rewrite the terminal: C0 and C1
# controls (escape sequences), DEL, line and paragraph separators, bidirectional embeddings,
# overrides and isolates (U+202E shows `txt.exe` as `exe.txt`), and lone surrogates (from
# undecodable file names, which would make printing itself fail).
_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e"
    "\u2066-\u2069\ud800-\udfff]"
)
_UNSAFE_ONE_LINE = re.compile(_UNSAFE.pattern[:-1] + "\t\n]")
_SGR = re.compile("(\x1b\\[[0-9;]*m)")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def shown(text: object, *, multiline: bool = False, colors: bool = False) -> str:
    """`text` safe to print: every control or bidi character written as an escape (`\\u202e`).

    Every path and every server string the CLI prints goes through here; `multiline` keeps
    newlines and tabs (rendered diagnostics), otherwise they are escaped too; `colors` keeps
    colour sequences (`ESC[…m`, which can only colour, never move the cursor or retitle)."""
    pattern = _UNSAFE if multiline else _UNSAFE_ONE_LINE
    if not colors:
        return pattern.sub(_escape, str(text))
    parts = _SGR.split(str(text))
    return "".join(p if i % 2 else pattern.sub(_escape, p) for i, p in enumerate(parts))


def use_color(stream: object = None) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set."""
    stream = stream or sys.stderr
    return "NO_COLOR" not in os.environ and bool(getattr(stream, "isatty", lambda: False)())


def print_diagnostics(result: Result) -> None:
    """A file's diagnostics on stderr, rustc style."""
    if result.diagnostics:
        import click

        from shotscript.compiler.diagnostics import render_human

        color = use_color()
        text = render_human(result.diagnostics, result.source, color, result.path)
        click.echo(shown(text, multiline=True, colors=color), err=True)
        click.echo("", err=True)
