"""The .shot front end: Lark parse tree → StoryBuilder calls, with per-block error recovery."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from pathlib import Path

from shotscript.compiler.ast import Span, Story, Timing
from shotscript.compiler.build import StoryBuilder, time_like
from shotscript.compiler.diagnostics import Sink
from shotscript.compiler.input_limits import limits, normalize_newlines, within_limits
from shotscript.compiler.mentions import Piece
from shotscript.grammar.parser import (
    Token,
    Tree,
    UnexpectedInput,
    UnexpectedToken,
    parse_story,
    parse_timing,
)

_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_STATEMENT_START = re.compile(r"[^\s#]")


def token_span(tok: Token) -> Span:
    """The span of a token (single-line tokens only)."""
    return Span(line=tok.line or 1, column=tok.column or 1,
                end_line=tok.end_line or tok.line or 1,
                end_column=tok.end_column or (tok.column or 1) + len(tok))


def piece(tok: Token) -> Piece:
    """A VALUE token as a text piece with exact positions."""
    return Piece(str(tok), tok.line or 1, tok.column or 1)


def timing_of(text: str, span: Span, sink: Sink) -> Timing | None:
    """A Timing node from `0-3s`, `0-3` or `3s` (already matched by the grammar).

    None, reported, when a number is longer than any time can be (`0-99…9s`).
    """
    written = _NUMBER.findall(text)
    longest = max(written, key=len)
    if len(longest) > limits().number_chars:
        sink.add("E116", span, what="a shot time", count=len(longest), max=limits().number_chars,
                 help="write the shot's start and end in seconds, e.g. `0-3s`")
        return None
    numbers = [float(n) for n in written]
    if len(numbers) == 2:
        return Timing(start=numbers[0], end=numbers[1], span=span)
    return Timing(length=numbers[0], span=span)


def parse_timing_key(text: str, span: Span, sink: Sink) -> Timing | None:
    """A YAML shot key through the grammar's `timing` rule, reporting what does not fit."""
    try:
        tree = parse_timing(text.strip())
    except UnexpectedInput:
        found = time_like(text.strip())
        fix = (f"write `{found[1]}`" if found and found[0] == text.strip() else
               "write `A-Bs` (start and end, e.g. `0-3s`) or `Ns` (a length, e.g. `3s`)")
        sink.add("E101", span, detail=f"`{text}` is not a shot time", help=fix)
        return None
    return timing_of(str(tree.children[0]), span, sink)


def _tokens(node: Tree) -> Iterator[Token]:
    for kid in node.children:
        if isinstance(kid, Tree):
            yield from _tokens(kid)
        elif isinstance(kid, Token):
            yield kid


def _wide_spaces(st: Tree, text: str, sink: Sink) -> None:
    """Warn where an ideographic space (U+3000) separates the words of a statement line."""
    toks = list(_tokens(st))
    for a, z in itertools.pairwise(toks):
        gap = text[a.start_pos + len(a) : z.start_pos]
        if a.line == z.line and "\u3000" in gap:
            col = a.end_column + gap.index("\u3000")
            sink.add("W102", Span.at(a.line, col, 1),
                     help="type an ASCII space here (`shotscript fmt` does it for you)")


def _build(tree: Tree, b: StoryBuilder, text: str = "") -> None:
    wide = "\u3000" in text  # looked for once: per statement it would cost the whole text
    for st in tree.children:
        if not isinstance(st, Tree):
            continue
        if wide:
            _wide_spaces(st, text, b.sink)
        kids = st.children
        if st.data == "setting":
            name, value = kids
            assert isinstance(name, Token)
            b.setting(str(name), str(value) if value is not None else None, token_span(name),
                      token_span(value) if isinstance(value, Token) else token_span(name))
            continue
        keyword, *kids = kids
        assert isinstance(keyword, Token)
        head_span = token_span(keyword)
        if st.data == "cast":
            if kids[0] is not None:
                b.sink.add("E101", token_span(kids[0]),
                           detail="cast members go on their own indented lines",
                           help="write `cast` alone, then one `  name video|image source` per line")
            if not b.once("cast", head_span):
                continue
            for m in kids[1:]:
                assert isinstance(m, Tree)
                name, kind, source, voice = m.children
                assert isinstance(name, Token)
                ns = token_span(name)
                voice_text, voice_span = None, None
                if isinstance(voice, Tree):
                    keyword, voice_source = voice.children
                    assert isinstance(keyword, Token)
                    voice_text = str(voice_source) if isinstance(voice_source, Token) else ""
                    voice_span = token_span(voice_source if isinstance(voice_source, Token) else keyword)
                b.member(str(name), str(kind) if kind is not None else None,
                         str(source) if source is not None else None, ns,
                         token_span(kind) if isinstance(kind, Token) else ns,
                         token_span(source) if isinstance(source, Token) else ns,
                         voice_text, voice_span)
        elif st.data in ("intro", "prompt"):
            pieces = [piece(t) for t in kids if isinstance(t, Token)]
            b.text_section(st.data, pieces, head_span)
        elif st.data == "shot":
            tim, *texts = kids
            timing = timing_of(str(tim), token_span(tim), b.sink) if isinstance(tim, Token) else None
            b.shot(timing, [piece(t) for t in texts if isinstance(t, Token)], head_span)


def _blocks(text: str) -> Iterator[tuple[int, str]]:
    """Top-level blocks (a statement line and its indented lines) with their first line index."""
    lines = text.splitlines(keepends=True)
    start = None
    for i, line in enumerate(lines):
        if _STATEMENT_START.match(line):
            if start is not None:
                yield start, "".join(lines[start:i])
            start = i
        elif start is None and line.strip() and not line.lstrip().startswith("#"):
            yield i, line  # an indented line before any statement: its own (bad) block
    if start is not None:
        yield start, "".join(lines[start:])


def _syntax(e: UnexpectedInput, sink: Sink) -> None:
    """A syntax error as a diagnostic that says what the line should look like."""
    if isinstance(e, UnexpectedToken) and str(e.token).startswith(("\n", "\r\n")):
        # The error is at a line break: if the next real line is indented, that is it.
        tok = e.token
        rest = str(tok).split("\n")
        for k, line_text in enumerate(rest[1:], 1):
            if line_text.strip() and not line_text.lstrip().startswith("#"):
                if line_text[:1] in (" ", "\t"):
                    indent = len(line_text) - len(line_text.lstrip())
                    sink.add("E102", Span.at((tok.line or 1) + k, indent + 1, 1),
                             help="indent only cast members (under `cast`) and continued text")
                    return
                break
    line, col = e.line or 1, e.column or 1
    if col == 1:
        detail = "a line must start with a setting, `cast`, `intro`, `prompt` or `shot`"
        help_ = "a shot is written `shot 0-3s text`; a comment starts with `#`"
    else:
        got = e.token.type if isinstance(e, UnexpectedToken) else "this character"
        detail = f"unexpected {got} here"
        help_ = None
    sink.add("E101", Span.at(line, col, 1), detail=detail, help=help_)


def parse(text: str, sink: Sink, path: Path | None = None) -> Story | None:
    """Parse .shot text into a Story; syntax errors are reported per block, the rest still built.

    None when the text is over a limit of input_limits.toml (reported).
    """
    text = normalize_newlines(text)
    if not within_limits(text, sink):
        return None
    builder = StoryBuilder(sink, path)
    try:
        _build(parse_story(text), builder, text)
    except UnexpectedInput:
        # Recovery: parse each top-level block alone (line numbers kept by padding),
        # so one bad line costs one diagnostic and the other blocks are still checked.
        for first, block in _blocks(text):
            try:
                _build(parse_story(block, line_offset=first), builder, block)
            except UnexpectedInput as e:
                _syntax(e, sink)
    return builder.finish()
