"""Diagnostics as data: collected by the checks, rendered last (rustc style or JSON)."""

from __future__ import annotations

import json
import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shotscript.compiler.ast import NOWHERE, Span
from shotscript.compiler.codes import CODES, Severity


@dataclass(frozen=True)
class Diagnostic:
    """One finding: a code, where it is, what is wrong, and how to fix it when known."""

    code: str
    severity: Severity
    message: str
    span: Span
    path: str
    help: str | None = None

    @property
    def name(self) -> str:
        """The code's short name (`unknown-setting`, …)."""
        return CODES[self.code].name

    def headline(self) -> str:
        """`path:line:col: error[CODE]: message`."""
        s = self.span
        return f"{self.path}:{s.line}:{s.column}: {self.severity}[{self.code}]: {self.message}"

    def to_json(self) -> dict[str, Any]:
        """The diagnostic as a JSON-ready dict (for editors and CI)."""
        s = self.span
        return {
            "path": self.path,
            "line": s.line,
            "column": s.column,
            "end_line": s.end_line,
            "end_column": s.end_column,
            "severity": self.severity,
            "code": self.code,
            "name": self.name,
            "message": self.message,
            "help": self.help,
        }


_QUOTE_MAX = 80
# Arguments that are sentences the code composed, not values the user wrote: never shortened.
_PROSE = frozenset({"detail", "why", "message", "expected", "allowed", "models", "regions", "what"})


def shorten(text: str, limit: int = _QUOTE_MAX) -> str:
    """`text`, or its start and end around `…` when it is longer than `limit`."""
    if len(text) <= limit:
        return text
    return f"{text[: limit - 12]}…{text[-10:]}"


_YAML_BREAKS = re.compile("\r\n|[\n\r\x85\u2028\u2029]")


def source_lines(text: str, yaml: bool = False) -> list[str]:
    """The lines of a story as its front end counts them: at LF, CRLF and CR; in YAML also at
    NEL, LS and PS (YAML's line breaks). Unlike `str.splitlines`, never at a form feed."""
    if yaml:
        return _YAML_BREAKS.split(text)
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


@dataclass
class Sink:
    """Where the stages put what they find; the driver decides what to print and exit with."""

    path: str = "<story>"
    items: list[Diagnostic] = field(default_factory=list)

    def add(self, code: str, span: Span | None, *, help: str | None = None, **args: Any) -> None:
        """Record a diagnostic; its message comes from the code's template in codes.py.

        Written values quoted in a message are shortened (`999…999`): a message stays a line.
        """
        spec = CODES[code]
        # Prose (`detail`: messages built by code, media findings) stays whole up to a bound;
        # values quoted from the story are cut to a line.
        args = {k: shorten(v, 1000 if k in _PROSE else _QUOTE_MAX) if isinstance(v, str) else v
                for k, v in args.items()}
        message = spec.message.format(**args) if args or "{" in spec.message else spec.message
        span = span or NOWHERE
        self.items.append(
            Diagnostic(code, spec.severity, message, span, span.file or self.path, help)
        )

    @property
    def errors(self) -> list[Diagnostic]:
        """The diagnostics of severity error."""
        return [d for d in self.items if d.severity == "error"]

    def sorted(self) -> list[Diagnostic]:
        """Diagnostics in source order (stable for equal positions)."""
        return sorted(self.items, key=lambda d: (d.span.line, d.span.column))


class StoryError(Exception):
    """A story has errors; `.diagnostics` holds all of them."""

    def __init__(self, diagnostics: list[Diagnostic], source: str | None = None) -> None:
        self.diagnostics = diagnostics
        self.source = source
        errors = [d for d in diagnostics if d.severity == "error"]
        first = errors[0].headline() if errors else "story has errors"
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(first + more)

    def render(self, color: bool = False) -> str:
        """All diagnostics, rendered for a person."""
        return render_human(self.diagnostics, self.source, color=color)


def _width(text: str) -> int:
    """Terminal columns taken by text (CJK characters take two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


_STYLE = {"error": "\x1b[1;31m", "warning": "\x1b[1;33m", "bold": "\x1b[1m", "blue": "\x1b[1;34m"}
_RESET = "\x1b[0m"


def render_one(d: Diagnostic, lines: list[str] | None, color: bool = False) -> str:
    """One diagnostic: headline, the source line, a caret under the span, help."""

    def paint(style: str, text: str) -> str:
        return f"{_STYLE[style]}{text}{_RESET}" if color else text

    s = d.span
    head = f"{d.path}:{s.line}:{s.column}: "
    out = [head + paint(d.severity, f"{d.severity}[{d.code}]") + ": " + paint("bold", d.message)]
    gutter = " " * len(str(s.line))
    if lines is not None and 1 <= s.line <= len(lines):
        src = lines[s.line - 1].rstrip("\r\n").replace("\t", " ")
        end = s.end_column if s.end_line == s.line else len(src) + 1
        start = min(s.column - 1, len(src))
        pad = _width(src[:start])
        carets = max(_width(src[start : max(end - 1, start + 1)]), 1)
        out.append(paint("blue", f"{gutter} |"))
        out.append(paint("blue", f"{s.line} | ") + src)
        out.append(paint("blue", f"{gutter} | ") + " " * pad + paint(d.severity, "^" * carets))
    if d.help:
        out.append(paint("blue", f"{gutter} = ") + paint("bold", "help") + f": {d.help}")
    return "\n".join(out)


def render_human(
    diags: list[Diagnostic], source: str | None, color: bool = False, path: str | None = None
) -> str:
    """Render the diagnostics of the story file `path` (whose text is `source`) for a terminal.

    A diagnostic in another file (a folder's shotscript.toml) shows that file's line.
    """
    yaml = Path(path or (diags[0].path if diags else "")).suffix.lower() in (".yaml", ".yml")
    lines = source_lines(source, yaml) if source is not None else None
    others: dict[str, list[str] | None] = {}

    def lines_of(d: Diagnostic) -> list[str] | None:
        if path is None or d.path == path:
            return lines
        if d.path not in others:
            try:
                others[d.path] = Path(d.path).read_text("utf-8").splitlines()
            except (OSError, UnicodeDecodeError):
                others[d.path] = None
        return others[d.path]

    return "\n\n".join(render_one(d, lines_of(d), color) for d in diags)


def render_json(diags: list[Diagnostic]) -> str:
    """Render diagnostics as a JSON array."""
    return json.dumps([d.to_json() for d in diags], ensure_ascii=False, indent=2)


def display_path(path: Path) -> str:
    """A path as diagnostics show it: relative to the working directory when inside it."""
    rel = os.path.relpath(path)
    return str(path) if rel.startswith("..") else rel
