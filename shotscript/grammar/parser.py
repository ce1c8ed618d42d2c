"""The Lark parser built from story.lark (LALR, cached on disk so start-up stays fast)."""

from __future__ import annotations

from functools import cache
from importlib import resources

from lark import Lark, Token, Tree

START_RULES = ("start", "timing", "text")


@cache
def parser() -> Lark:
    """The one parser for stories, shot timings and mention text."""
    grammar = resources.files("shotscript.grammar").joinpath("story.lark").read_text("utf-8")
    return Lark(
        grammar,
        parser="lalr",
        lexer="contextual",
        start=list(START_RULES),
        propagate_positions=True,
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
    """Parse shot text into literal runs and @mentions."""
    return parser().parse(text, start="text")
