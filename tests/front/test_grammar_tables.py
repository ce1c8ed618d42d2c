"""The generated parser tables: current with story.lark, and parsing exactly as Lark does."""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path
from typing import Any

import lark
from hypothesis import given, settings
from hypothesis import strategies as st

from shotscript.grammar import generate, parser

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted(p for d in ("stories", "tests/bad") for p in (ROOT / d).rglob("*.shot"))


@cache
def reference() -> lark.Lark:
    return lark.Lark(generate.grammar_text(), parser="lalr", lexer="contextual",
                     start=list(generate.START_RULES), maybe_placeholders=True)


def shape(node: Any) -> Any:
    """A tree as plain data, for Lark's trees and ours alike."""
    if node is None:
        return None
    if isinstance(node, (lark.Token, parser.Token)):
        return (node.type, str(node), node.line, node.column, node.end_line, node.end_column)
    return (node.data, [shape(c) for c in node.children])


def outcome(parse: Any, text: str, start: str) -> Any:
    try:
        return shape(parse(text, start))
    except (lark.UnexpectedInput, parser.UnexpectedInput) as e:
        token = getattr(e, "token", None)
        return ("error", type(e).__name__, e.line, e.column, str(token) if token is not None else None)


def both(text: str, start: str = "start") -> tuple[Any, Any]:
    ours = outcome(lambda s, r: parser._parse(s, r), text, start)
    theirs = outcome(lambda s, r: reference().parse(s, start=r), text, start)
    return ours, theirs


def test_tables_were_generated_from_the_current_grammar() -> None:
    tables = json.loads((ROOT / "shotscript/grammar/story.tables.json").read_text("utf-8"))
    digest = hashlib.sha256(generate.grammar_text().encode("utf-8")).hexdigest()
    assert tables["grammar_sha256"] == digest, "run: python -m shotscript.grammar.generate"


def test_every_shipped_and_bad_story_parses_as_lark_parses_it() -> None:
    assert len(SOURCES) > 20
    for path in SOURCES:
        text = path.read_text("utf-8")
        text = text if text.endswith("\n") else text + "\n"
        ours, theirs = both(text)
        assert ours == theirs, path


LINES = st.sampled_from([
    "title x", "cast", "  a image a.png", "  b video https://e.com/b.mp4 voice v.mp3",
    "  c image x voice", "shot 0-3s @a 走", "shot 3s", "shot", "  more text", "intro 夜",
    "prompt @b @@ @{a} @", "# note", "", "   ", "voice x", "  voice", "shot 0 - 3 x", "@",
    "cast extra", "\tshot", "size 1280*720", "duration 5", "名字 值",
])


@settings(max_examples=300, deadline=None)
@given(st.lists(LINES, max_size=8), st.sampled_from(["\n", "\r\n"]))
def test_generated_stories_parse_as_lark_parses_them(lines: list[str], newline: str) -> None:
    ours, theirs = both(newline.join(lines) + newline)
    assert ours == theirs


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="0123456789-s. \t@{}a走", max_size=12))
def test_timings_and_texts_parse_as_lark_parses_them(text: str) -> None:
    for start in ("timing", "text"):
        ours, theirs = both(text, start)
        assert ours == theirs
