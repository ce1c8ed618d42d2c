"""Builds `story.tables.json` from `story.lark` with Lark (a development step, not run at start-up).

Run: python -m shotscript.grammar.generate   (tests/front/test_grammar_tables.py checks it is current)

Lark computes everything — the LALR table, each parser state's lexer (its terminals in
Lark's order, keywords folded into the name terminals), how each rule shapes its tree
(filtered terminals, inlined `_rules`, `[x]` placeholders). The file keeps those decisions
as data, so `parser.py` parses exactly as Lark would with nothing but `re`.
"""

from __future__ import annotations

import hashlib
import json
from importlib import resources
from pathlib import Path
from typing import Any

START_RULES = ("start", "timing", "text")
TABLES = Path(__file__).with_name("story.tables.json")


def grammar_text() -> str:
    """The grammar's source."""
    return resources.files("shotscript.grammar").joinpath("story.lark").read_text("utf-8")


def _lexer(basic: Any) -> dict[str, Any]:
    basic.scanner  # noqa: B018 - Lark builds the scanner (and the keyword callbacks) lazily
    [mre] = basic._scanner._mres  # one alternation: the grammar has far fewer than 100 terminals
    unless = {
        name: {t.pattern.value: t.name for t in reversed(cb.scanner.terminals)}
        for name, cb in sorted(basic.callback.items())
    }
    return {"pattern": mre.pattern, "unless": unless, "ignore": sorted(basic.ignore_types)}


def _rule(rule: Any) -> list[Any]:
    # Lark's ChildFilterLALR recipe (parse_tree_builder.maybe_create_child_filter).
    expansion = rule.expansion
    flags = rule.options.empty_indices
    if flags:
        bits = "".join(str(int(b)) for b in flags)
        empty = [len(ones) for ones in bits.split("0")]
    else:
        empty = [0] * (len(expansion) + 1)
    include, nones = [], 0
    for i, sym in enumerate(expansion):
        nones += empty[i]
        if rule.options.keep_all_tokens or not (sym.is_term and sym.filter_out):
            include.append([i, int(not sym.is_term and sym.name.startswith("_")), nones])
            nones = 0
    nones += empty[len(expansion)]
    return [rule.origin.name, len(expansion), include, nones]


def build() -> dict[str, Any]:
    """The tables as plain data."""
    from lark import Lark

    text = grammar_text()
    lark = Lark(text, parser="lalr", lexer="contextual", start=list(START_RULES),
                maybe_placeholders=True)
    front = lark.parser
    table = front.parser.parser.parse_table
    rules: list[Any] = []
    rule_index: dict[Any, int] = {}
    lexers: list[dict[str, Any]] = []
    lexer_index: dict[str, int] = {}

    def lexer_id(basic: Any) -> int:
        data = _lexer(basic)
        key = json.dumps(data, sort_keys=True)
        if key not in lexer_index:
            lexer_index[key] = len(lexers)
            lexers.append(data)
        return lexer_index[key]

    states = []
    for state in range(len(table.states)):
        actions: dict[str, list[int]] = {}
        for symbol, (action, arg) in sorted(table.states[state].items()):
            if action.name == "Shift":
                actions[symbol] = [0, arg]
            else:
                if arg not in rule_index:
                    rule_index[arg] = len(rules)
                    rules.append(_rule(arg))
                actions[symbol] = [1, rule_index[arg]]
        states.append({"lexer": lexer_id(front.lexer.lexers[state]), "actions": actions})
    assert sorted(table.states) == list(range(len(table.states)))
    terminals = {t.name: [t.pattern.to_regexp(), t.priority] for t in lark.terminals}
    return {
        "grammar_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
        "lark": __import__("lark").__version__,
        "start_states": dict(table.start_states),
        "end_states": dict(table.end_states),
        "root_lexer": lexer_id(front.lexer.root_lexer),
        "lexers": lexers,
        "rules": rules,
        "states": states,
        "terminals": terminals,
    }


def render() -> str:
    """The tables file's text."""
    return json.dumps(build(), ensure_ascii=False, indent=0, sort_keys=True) + "\n"


if __name__ == "__main__":
    TABLES.write_text(render(), encoding="utf-8")
    print(f"wrote {TABLES}")
