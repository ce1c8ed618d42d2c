"""The YAML front end: safely composed YAML nodes (marks kept) → StoryBuilder calls."""

from __future__ import annotations

from pathlib import Path

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from shotscript.compiler.ast import Span, Story
from shotscript.compiler.build import StoryBuilder
from shotscript.compiler.diagnostics import Sink, shorten, source_lines
from shotscript.compiler.dsl import parse_timing_key
from shotscript.compiler.input_limits import limits, normalize_newlines, within_limits
from shotscript.compiler.mentions import Piece
from shotscript.compiler.settings import SETTINGS

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_STD_TAG = "tag:yaml.org,2002:"
_PLAIN_TAGS = {_STD_TAG + t for t in ("str", "int", "float", "bool", "null", "map", "seq")}
_SECTIONS = ("cast", "intro", "prompt", "shots")


def _span(node: Node) -> Span:
    m, e = node.start_mark, node.end_mark
    if e.line != m.line:
        return Span(line=m.line + 1, column=m.column + 1, end_line=m.line + 1,
                    end_column=m.column + 2)
    return Span(line=m.line + 1, column=m.column + 1, end_line=e.line + 1,
                end_column=max(e.column + 1, m.column + 2))


_CONSTRUCT = yaml.constructor.SafeConstructor()
_BUILD = {
    "bool": _CONSTRUCT.construct_yaml_bool,
    "int": _CONSTRUCT.construct_yaml_int,
    "float": _CONSTRUCT.construct_yaml_float,
    "null": _CONSTRUCT.construct_yaml_null,
}


def _scalar_value(node: ScalarNode) -> object:
    """A plain scalar's YAML type (bool, int, float, null); anything else as its string.

    A value its tag cannot build (`!!int abc`, `!!bool maybe`, 4,301 digits) stays text,
    so the setting's own check says what is wrong with it.
    """
    build = _BUILD.get(str(node.tag).removeprefix(_STD_TAG))
    if build is None:
        return node.value
    try:
        return build(node)
    except (ValueError, KeyError, OverflowError, TypeError):
        return node.value


def _survey(root: Node, limit: int) -> tuple[int, list[Node]]:
    """(nodes once aliases are expanded, capped just past `limit`; nodes with disallowed tags).

    Iterative and memoized per node, so a billion-laughs document costs its written size.
    """
    sizes: dict[int, int] = {}
    bad: list[Node] = []
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if key in sizes and not done:
            continue
        kids: list[Node] = []
        if isinstance(node, MappingNode):
            kids = [x for pair in node.value for x in pair]
        elif isinstance(node, SequenceNode):
            kids = list(node.value)
        if not done:
            sizes[key] = -1  # in progress: a node reached again through itself is a cycle
            if node.tag not in _PLAIN_TAGS:
                bad.append(node)
            stack.append((node, True))
            stack.extend((k, False) for k in kids if id(k) not in sizes)
        else:
            total = 1 + sum(max(sizes.get(id(k), 1), 1) for k in kids)
            sizes[key] = min(total, limit + 1)
    return sizes[id(root)], bad


def _first_alias(text: str) -> Span:
    """Where the document's first alias (`*name`) is."""
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.AliasEvent) and event.start_mark is not None:
            m = event.start_mark
            return Span.at(m.line + 1, m.column + 1, len(event.anchor or "") + 1)
    return Span.at(1, 1)


def _piece(node: ScalarNode, lines: list[str]) -> Piece:
    """A text scalar as a piece; positions inside are exact only where source = value."""
    m = node.start_mark
    quote = 1 if node.style in ("'", '"') else 0
    value = str(node.value)
    src = lines[m.line] if m.line < len(lines) else ""
    exact = node.style in (None, "'", '"') and src[m.column + quote :].startswith(value)
    return Piece(value, m.line + 1, m.column + 1 + quote, exact)


class _Reader:
    def __init__(self, sink: Sink, source: str) -> None:
        self.sink = sink
        self.lines = source_lines(source, yaml=True)

    def check_tags(self, bad: list[Node]) -> bool:
        """Refuse explicit non-standard tags (`!!python/object`, `!foo`): nothing is constructed."""
        for node in bad:
            self.sink.add("E110", _span(node), detail=f"YAML tag `{node.tag}` is not allowed",
                          help="story files are plain data: remove the tag")
        return not bad

    def shape(self, node: Node, what: str, want: type) -> bool:
        if isinstance(node, want):
            return True
        kind = {MappingNode: "a mapping", SequenceNode: "a list", ScalarNode: "a single value"}
        self.sink.add("E110", _span(node), detail=f"{what} must be {kind[want]}")
        return False

    def text(self, node: Node, what: str) -> list[Piece] | None:
        if not self.shape(node, what, ScalarNode):
            return None
        assert isinstance(node, ScalarNode)
        if node.tag == _STD_TAG + "null":
            return []
        return [_piece(node, self.lines)]

    def cast(self, node: Node, b: StoryBuilder) -> None:
        if not self.shape(node, "`cast`", MappingNode):
            return
        assert isinstance(node, MappingNode)
        for k, v in node.value:
            name, ns = str(k.value), _span(k)
            if isinstance(v, MappingNode) and v.value:
                # `voice` sits beside the one reference: {image: a.png, voice: a.mp3}.
                voices = [(k2, v2) for k2, v2 in v.value if str(k2.value) == "voice"]
                refs = [(k2, v2) for k2, v2 in v.value if str(k2.value) != "voice"]
                if len(refs) > 1:
                    self.sink.add("E313", ns, name=name, count=len(refs))
                    continue
                if len(voices) > 1:
                    self.sink.add("E103", _span(voices[1][0]), name="voice",
                                  help="keep one and remove the others")
                    b.declare(name)
                    continue
                if not refs:
                    self.sink.add("E106", ns, what=f"cast member `{name}`",
                                  expected="one reference", help=f"write `{name}: {{image: …, voice: …}}`")
                    continue
                kind, src = refs[0]
                voice, voice_span = None, None
                if voices:
                    voice = self._source(voices[0][1]) or ""
                    voice_span = _span(voices[0][1])
                b.member(name, str(kind.value), self._source(src), ns, _span(kind), _span(src),
                         voice, voice_span)
            else:
                self.sink.add("E106", ns, what=f"cast member `{name}`",
                              expected="one reference", help=f"write `{name}: {{video: https://…}}`")

    @staticmethod
    def _source(node: Node) -> str | None:
        """A reference's text, or None when it is missing or not a single value."""
        if not isinstance(node, ScalarNode) or node.tag == _STD_TAG + "null":
            return None
        return str(node.value)

    def shots(self, node: Node, b: StoryBuilder) -> None:
        if not self.shape(node, "`shots`", SequenceNode):
            return
        assert isinstance(node, SequenceNode)
        for item in node.value:
            if isinstance(item, MappingNode) and len(item.value) == 1:
                key, val = item.value[0]
                timing = parse_timing_key(str(key.value), _span(key), self.sink)
                pieces = self.text(val, "a shot's text")
                b.shot(timing, pieces or [], _span(key))
            elif isinstance(item, ScalarNode):
                b.shot(None, self.text(item, "a shot") or [], _span(item))
            else:
                self.sink.add("E110", _span(item),
                              detail="a shot is `- 0-3s: text`, `- 3s: text` or `- text`")

    def story(self, root: Node | None, b: StoryBuilder) -> None:
        if root is None or not self.shape(root, "a YAML story", MappingNode):
            return
        assert isinstance(root, MappingNode)
        for k, v in root.value:
            key, ks = str(k.value), _span(k)
            if key == "cast":
                if b.once("cast", ks):
                    self.cast(v, b)
            elif key in ("intro", "prompt"):
                pieces = self.text(v, f"`{key}`")
                if pieces is not None:
                    b.text_section(key, pieces, ks)
            elif key == "shots":
                if b.once("shots", ks):
                    self.shots(v, b)
            elif isinstance(v, ScalarNode):
                spec = SETTINGS.get(key)
                # A text setting takes the scalar's text: `ratio: 16:9` is not YAML 1.1's
                # sexagesimal 969, `title: 1.10` keeps its zero.
                text_wanted = spec is not None and spec.type is str and v.tag != _STD_TAG + "null"
                raw = str(v.value) if text_wanted else _scalar_value(v)
                b.setting(key, raw, ks, _span(v), shown=str(v.value))
            else:
                b.setting(key, [], ks, _span(v), shown="…")


def _syntax_help(e: yaml.MarkedYAMLError, text: str, unclosed: bool) -> str | None:
    """What to do about the YAML syntax errors people make most."""
    m = e.problem_mark
    char = text[m.index] if m is not None and 0 <= m.index < len(text) else ""
    if char == "\t" or "\t" in (e.problem or ""):
        return "indent with spaces: YAML does not allow tabs"
    if char in ("@", "`") and m is not None:
        rest = text[m.index:].split("\n", 1)[0].rstrip().replace('"', '\\"')
        return f"quote the text: `\"{shorten(rest, 40)}\"` (YAML keeps `{char}` for itself)"
    if unclosed:
        bracket = "}" if "mapping" in (e.context or "") else "]"
        return f"add the `{bracket}` that closes it"
    if char in ("：", "＊", "＠"):
        return f"`{char}` is a full-width character; type the ASCII one"
    return None


def parse(text: str, sink: Sink, path: Path | None = None) -> Story | None:
    """Parse YAML story text into a Story; a YAML syntax error is one diagnostic and None.

    So is a text over a limit of input_limits.toml, or aliases that expand past one.
    """
    text = normalize_newlines(text)
    if not within_limits(text, sink):
        return None
    builder = StoryBuilder(sink, path, sections=_SECTIONS)
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as e:
        # An unclosed quote or bracket is reported at the end of the file; where it
        # was opened (the context) is what a person needs to see.
        at_end = e.problem_mark is not None and e.problem_mark.index >= len(text.rstrip())
        unclosed = "flow" in (e.context or "") and "expected ','" in (e.problem or "")
        mark = (e.context_mark if (at_end or unclosed) and e.context_mark else None) or e.problem_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        detail = "; ".join(x for x in (e.context, e.problem) if x)
        sink.add("E110", Span.at(line, col, 1), detail=f"YAML: {detail}",
                 help=_syntax_help(e, text, unclosed))
        return None
    except yaml.YAMLError as e:
        sink.add("E110", Span.at(1, 1, 1), detail=f"YAML: {e}")
        return None
    reader = _Reader(sink, text)
    if root is not None:
        size, bad = _survey(root, limits().yaml_nodes)
        if size > limits().yaml_nodes:
            sink.add("E115", _first_alias(text), max=limits().yaml_nodes,
                     help="write the repeated parts out, or use fewer aliases")
            return None
        if not reader.check_tags(bad):
            return None  # nothing of a file that asks for object construction is trusted
    reader.story(root, builder)
    return builder.finish()
