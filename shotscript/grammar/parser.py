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


# A rule as the parser runs it: (tree name, symbols to pop, recipe or None, child indexes).
# The recipe is Lark's child filter, (index, splice, Nones before) per kept child plus the
# Nones after; a rule that only keeps children in order has None and the indexes instead.
_Rule = tuple[str, int, tuple[tuple[int, int, int], ...] | None, int, tuple[int, ...]]


class _Tables:
    """story.tables.json made ready to run: plain lists and tuples, lexers compiled lazily."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.actions: list[dict[str, tuple[int, int]]] = [
            {sym: (act[0], act[1]) for sym, act in st["actions"].items()} for st in data["states"]]
        self.lexer_of: list[int] = [st["lexer"] for st in data["states"]]
        self.rules: list[_Rule] = []
        for name, size, include, nones in data["rules"]:
            steps = tuple((i, e, k) for i, e, k in include)
            simple = not nones and all(not e and not k for _, e, k in steps)
            self.rules.append((name, size, None if simple else steps, nones,
                               tuple(i for i, _, _ in steps)))
        self.lexers: list[_Lexer | None] = [None] * len(data["lexers"])

    def lexer(self, index: int) -> _Lexer:
        """A lexer context, compiled on first use (a story meets a handful of them)."""
        found = self.lexers[index]
        if found is None:
            found = self.lexers[index] = _Lexer(self.data["lexers"][index])
        return found


@cache
def _tables() -> _Tables:
    text = Path(__file__).with_name("story.tables.json").read_text("utf-8")
    return _Tables(json.loads(text))


def _expected(actions: dict[str, tuple[int, int]]) -> set[str]:
    return {s for s in actions if s.isupper()}


def _parse(text: str, start: str, line_offset: int = 0) -> Any:
    t = _tables()
    actions, rules, lexer_of = t.actions, t.rules, t.lexer_of
    end_state = t.data["end_states"][start]
    stack: list[int] = [t.data["start_states"][start]]
    values: list[Any] = []
    pos, line, col, n = 0, 1 + line_offset, 1, len(text)
    last = Token("$END", "", 0, 1 + line_offset, 1, 1 + line_offset, 1)
    done = False
    while not done:
        if pos < n:
            lexer = t.lexer(lexer_of[stack[-1]])
            m = lexer.match(text, pos)
            if m is None:
                # As Lark does: ask the whole grammar what this is, for a clearer error.
                m = t.lexer(t.data["root_lexer"]).match(text, pos)
                if m is None:
                    raise UnexpectedCharacters(line, col, pos)
                raise UnexpectedToken(Token(m.lastgroup or "", m.group(), pos, line, col, line,
                                            col + 1), _expected(actions[stack[-1]]))
            value, type_ = m.group(), m.lastgroup or ""
            if not value:  # Lark refuses zero-width terminals; never loop on one
                raise UnexpectedCharacters(line, col, pos)
            if "\n" in value:
                end_line, end_col = line + value.count("\n"), len(value) - value.rfind("\n")
            else:
                end_line, end_col = line, col + len(value)
            if type_ in lexer.ignore:
                pos, line, col = m.end(), end_line, end_col
                continue
            keyword = lexer.unless.get(type_)
            if keyword is not None:
                type_ = keyword.get(value, type_)
            tok = last = Token(type_, value, pos, line, col, end_line, end_col)
            pos, line, col = m.end(), end_line, end_col
        else:
            # Lark's end token borrows the place of the last real one.
            tok = Token("$END", "", last.start_pos, last.line, last.column, last.end_line,
                        last.end_column)
            done = True
        while True:  # feed the token: reduce until it can be shifted (or the end is reached)
            here = actions[stack[-1]]
            act = here.get(tok.type)
            if act is None:
                raise UnexpectedToken(tok, _expected(here))
            kind, arg = act
            if kind == _SHIFT:
                stack.append(arg)
                values.append(tok)
                break
            name, size, steps, nones, keep = rules[arg]
            if size:
                kids = values[-size:]
                del stack[-size:]
                del values[-size:]
            else:
                kids = []
            if steps is None:
                out = kids if len(keep) == size else [kids[i] for i in keep]
            else:
                out = []
                for i, expand, add_none in steps:
                    if add_none:
                        out += [None] * add_none
                    if not expand:
                        out.append(kids[i])
                    elif out:
                        out += kids[i].children
                    else:  # a left-recursive `*` helper: take its list, do not copy it
                        out = kids[i].children
                if nones:
                    out += [None] * nones
            values.append(Tree(name, out))
            goto = actions[stack[-1]][name][1]
            stack.append(goto)
            if done and goto == end_state:
                result = values[-1]
                return result
    raise AssertionError("unreachable: the end token always reduces to the start rule")


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
    terms = _tables().data["terminals"]
    names = sorted(TEXT_TERMINALS, key=lambda name: -terms[name][1])
    return re.compile("|".join(f"(?P<{name}>{terms[name][0]})" for name in names))


def scan_text(text: str) -> Iterator[tuple[str, str, int]]:
    """The `text` rule's tokens of a string: (terminal name, value, offset)."""
    for m in _text_scanner().finditer(text):
        assert m.lastgroup is not None
        yield m.lastgroup, m.group(), m.start()
