"""The story parser: Lark's LALR tables for story.lark (story.tables.json), run with nothing but `re`.

`generate.py` has Lark compute the tables once; loading them here costs a JSON read, so the
compile path starts without importing Lark (or the `regex` module it pulls in). Trees,
tokens and errors have the shape of Lark's, and tests check both parse alike.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

START_RULES = ("start", "timing", "text")
TEXT_TERMINALS = ("LITERAL", "ESCAPED_AT", "BRACED_MENTION", "MENTION", "LONE_AT")
_SHIFT = 0


class Token(str):
    """A terminal's text with its type and place (1-based line and column, end exclusive)."""

    __slots__ = ("column", "end_column", "end_line", "line", "start_pos", "type")
    type: str
    start_pos: int
    line: int
    column: int
    end_line: int
    end_column: int

    def __new__(cls, type_: str, value: str, start_pos: int = 0, line: int = 1, column: int = 1,
                end_line: int = 1, end_column: int = 1) -> Token:
        tok = super().__new__(cls, value)
        tok.type, tok.start_pos, tok.line, tok.column = type_, start_pos, line, column
        tok.end_line, tok.end_column = end_line, end_column
        return tok

    def __repr__(self) -> str:
        return f"Token({self.type!r}, {str(self)!r})"


class Tree:
    """A rule's node: its name and its children (tokens, trees, or None for an absent `[x]`)."""

    __slots__ = ("children", "data")

    def __init__(self, data: str, children: list[Any]) -> None:
        self.data = data
        self.children = children

    def __repr__(self) -> str:
        return f"Tree({self.data!r}, {self.children!r})"


class UnexpectedInput(Exception):
    """The text does not fit the grammar at `line`:`column`."""

    def __init__(self, line: int, column: int, pos: int) -> None:
        super().__init__(f"unexpected input at line {line}, column {column}")
        self.line, self.column, self.pos_in_stream = line, column, pos


class UnexpectedToken(UnexpectedInput):
    """A token the grammar does not allow here (`expected` lists what it allows)."""

    def __init__(self, token: Token, expected: set[str]) -> None:
        super().__init__(token.line, token.column, token.start_pos)
        self.token, self.expected = token, expected


class UnexpectedCharacters(UnexpectedInput):
    """Characters that start no token of the grammar."""


class _Lexer:
    __slots__ = ("ignore", "match", "unless")

    def __init__(self, data: dict[str, Any]) -> None:
        self.match = re.compile(data["pattern"]).match
        self.unless: dict[str, dict[str, str]] = data["unless"]
        self.ignore = frozenset(data["ignore"])


@cache
def _tables() -> dict[str, Any]:
    text = Path(__file__).with_name("story.tables.json").read_text("utf-8")
    tables: dict[str, Any] = json.loads(text)
    return tables


@cache
def _lexer(index: int) -> _Lexer:
    # Compiled on first use: a story meets a handful of the grammar's lexer contexts.
    return _Lexer(_tables()["lexers"][index])


def _parse(text: str, start: str, line_offset: int = 0) -> Any:
    t = _tables()
    states, rules = t["states"], t["rules"]
    end_state = t["end_states"][start]
    stack: list[int] = [t["start_states"][start]]
    values: list[Any] = []
    pos, line, col, n = 0, 1 + line_offset, 1, len(text)
    last = Token("$END", "", 0, 1 + line_offset, 1, 1 + line_offset, 1)

    def feed(tok: Token) -> Any:
        while True:
            actions = states[stack[-1]]["actions"]
            act = actions.get(tok.type)
            if act is None:
                raise UnexpectedToken(tok, {s for s in actions if s.isupper()})
            kind, arg = act
            if kind == _SHIFT:
                stack.append(arg)
                values.append(tok)
                return None
            name, size, include, nones = rules[arg]
            kids = values[len(values) - size:] if size else []
            if size:
                del stack[-size:]
                del values[-size:]
            out: list[Any] = []
            for i, expand, add_none in include:
                if add_none:
                    out += [None] * add_none
                if expand:
                    if out:
                        out += kids[i].children
                    else:  # a left-recursive `*` helper: take its list, do not copy it
                        out = kids[i].children
                else:
                    out.append(kids[i])
            if nones:
                out += [None] * nones
            values.append(Tree(name, out))
            _, goto = states[stack[-1]]["actions"][name]
            stack.append(goto)
            if tok.type == "$END" and goto == end_state:
                return values[-1]

    while pos < n:
        lexer = _lexer(states[stack[-1]]["lexer"])
        m = lexer.match(text, pos)
        if m is None:
            # As Lark does: ask the whole grammar what this is, for a clearer error.
            m = _lexer(t["root_lexer"]).match(text, pos)
            if m is None:
                raise UnexpectedCharacters(line, col, pos)
            raise UnexpectedToken(Token(m.lastgroup or "", m.group(), pos, line, col, line, col + 1),
                                  {s for s in states[stack[-1]]["actions"] if s.isupper()})
        value, type_ = m.group(), m.lastgroup or ""
        if not value:  # Lark refuses zero-width terminals; never loop on one
            raise UnexpectedCharacters(line, col, pos)
        nl = value.count("\n")
        end_line = line + nl
        end_col = col + len(value) if not nl else len(value) - value.rfind("\n")
        if type_ not in lexer.ignore:
            keyword = lexer.unless.get(type_)
            if keyword is not None:
                type_ = keyword.get(value, type_)
            last = Token(type_, value, pos, line, col, end_line, end_col)
            feed(last)
        pos, line, col = m.end(), end_line, end_col
    # Lark's end token borrows the place of the last real one.
    result = feed(Token("$END", "", last.start_pos, last.line, last.column, last.end_line,
                        last.end_column))
    assert result is not None
    return result


def parse_story(text: str, line_offset: int = 0) -> Tree:
    """Parse a whole .shot file (raises UnexpectedInput on a syntax error).

    `line_offset` numbers the lines as if that many came before (a block parsed alone).
    """
    if not text.endswith("\n"):
        text += "\n"
    tree: Tree = _parse(text, "start", line_offset)
    return tree


def parse_timing(text: str) -> Tree:
    """Parse a shot time such as `0-3s` or `3s` (the YAML shot keys)."""
    tree: Tree = _parse(text, "timing")
    return tree


def parse_text(text: str) -> Tree:
    """Parse shot text into literal runs and @mentions with the LALR `text` rule."""
    tree: Tree = _parse(text, "text")
    return tree


@cache
def _text_scanner() -> re.Pattern[str]:
    # The `text` rule is a flat sequence of terminals (a regular language), so one
    # alternation of the grammar's own terminal patterns, highest priority first,
    # tokenizes it exactly as the parser does, without a parser run per line.
    terms = _tables()["terminals"]
    names = sorted(TEXT_TERMINALS, key=lambda name: -terms[name][1])
    return re.compile("|".join(f"(?P<{name}>{terms[name][0]})" for name in names))


def scan_text(text: str) -> Iterator[tuple[str, str, int]]:
    """The `text` rule's tokens of a string: (terminal name, value, offset)."""
    for m in _text_scanner().finditer(text):
        assert m.lastgroup is not None
        yield m.lastgroup, m.group(), m.start()
