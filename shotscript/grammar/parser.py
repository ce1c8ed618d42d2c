"""The Lark parser built from story.lark (LALR, cached on disk so start-up stays fast)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from importlib import resources

from lark import Lark, Token, Tree

START_RULES = ("start", "timing", "text")
TEXT_TERMINALS = ("LITERAL", "ESCAPED_AT", "BRACED_MENTION", "MENTION", "LONE_AT")


@cache
def parser() -> Lark:
    """The one parser for stories, shot timings and mention text."""
    grammar = resources.files("shotscript.grammar").joinpath("story.lark").read_text("utf-8")
    return Lark(
        grammar,
        parser="lalr",
        lexer="contextual",
        start=list(START_RULES),
        maybe_placeholders=True,
        cache=True,
    )


def parse_story(text: str) -> Tree[Token]:
    """Parse a whole .shot file (raises lark.UnexpectedInput on a syntax error)."""
    if not text.endswith("\n"):
        text += "\n"
    return parser().parse(text, start="start")


def parse_timing(text: str) -> Tree[Token]:
    """Parse a shot time such as `0-3s` or `3s` (the YAML shot keys)."""
    return parser().parse(text, start="timing")


def parse_text(text: str) -> Tree[Token]:
    """Parse shot text into literal runs and @mentions with the LALR `text` rule."""
    return parser().parse(text, start="text")


@cache
def _text_scanner() -> re.Pattern[str]:
    # The `text` rule is a flat sequence of terminals (a regular language), so one
    # alternation of the grammar's own terminal patterns, highest priority first,
    # tokenizes it exactly as the parser does, without a parser run per line.
    terms = sorted((parser().get_terminal(n) for n in TEXT_TERMINALS), key=lambda t: -t.priority)
    return re.compile("|".join(f"(?P<{t.name}>{t.pattern.to_regexp()})" for t in terms))


def scan_text(text: str) -> Iterator[tuple[str, str, int]]:
    """The `text` rule's tokens of a string: (terminal name, value, offset)."""
    for m in _text_scanner().finditer(text):
        assert m.lastgroup is not None
        yield m.lastgroup, m.group(), m.start()
