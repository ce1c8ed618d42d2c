"""Bounds on what a story file may be (facts/input_limits.toml), checked before anything is parsed."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from shotscript.compiler.ast import Span
from shotscript.compiler.diagnostics import Sink

# Read as a file beside the facts (not through their package): the limits are needed by the
# parse of every story, and nothing else of the facts is.
_FILE = Path(__file__).resolve().parent.parent / "facts" / "input_limits.toml"


@dataclass(frozen=True)
class InputLimits:
    """The limits of input_limits.toml."""

    file_bytes: int
    lines: int
    line_chars: int
    yaml_nodes: int
    number_chars: int
    reference_chars: int
    file_name_bytes: int


@cache
def limits() -> InputLimits:
    """The limits, read once."""
    data = tomllib.loads(_FILE.read_text("utf-8"))
    return InputLimits(**data)


def normalize_newlines(text: str) -> str:
    """CRLF and lone CR (old Mac files) as LF: every line ending is a line ending."""
    if "\r" not in text:
        return text
    return text.replace("\r\n", "\n").replace("\r", "\n")


def within_limits(text: str, sink: Sink) -> bool:
    """Whether `text` (newlines normalized) is small enough to parse; reports the first excess."""
    lim = limits()
    size = len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))
    if size > lim.file_bytes:
        sink.add("E112", Span.at(1, 1), size=size, max=lim.file_bytes,
                 help="split it into several stories")
        return False
    count = text.count("\n") + (not text.endswith("\n"))
    if count > lim.lines:
        sink.add("E113", Span.at(lim.lines + 1, 1), count=count, max=lim.lines,
                 help="split it into several stories")
        return False
    if len(text) > lim.line_chars:
        for number, line in enumerate(text.split("\n"), 1):
            if len(line) > lim.line_chars:
                sink.add("E114", Span.at(number, lim.line_chars + 1), count=len(line),
                         max=lim.line_chars, help="continue the text on indented lines")
                return False
    return True
