"""Writes a Story back out: canonical .shot text, or YAML (`fmt`, `fmt --to`)."""

from __future__ import annotations

import re

from shotscript.compiler.ast import Story, Timing
from shotscript.compiler.mentions import spell
from shotscript.compiler.settings import SETTING_ORDER

_TIMING_LIKE = re.compile(r"\d+(?:\.\d+)?(?:[\t ]*-[\t ]*\d+(?:\.\d+)?s?|s)(?![^\s])")


def _num(x: float) -> str:
    return f"{x:g}"


def timing_text(t: Timing) -> str:
    """`0-3s` or `3s`."""
    if t.length is not None:
        return f"{_num(t.length)}s"
    assert t.start is not None and t.end is not None
    return f"{_num(t.start)}-{_num(t.end)}s"


def _value(v: object) -> str:
    if isinstance(v, bool):
        return "on" if v else "off"
    return str(v)


class _Comments:
    """Whole-line comments of the source, each attached to the next node's line."""

    def __init__(self, source: str | None, node_lines: list[int]) -> None:
        self.by_line: dict[int, list[str]] = {}
        if not source:
            return
        lines = set(node_lines)
        pending: list[str] = []
        for number, line in enumerate(source.splitlines(), 1):
            stripped = line.strip()
            if stripped.startswith("#"):
                pending.append(stripped)
            elif pending and number in lines:
                self.by_line.setdefault(number, []).extend(pending)
                pending = []
        self.by_line.setdefault(0, []).extend(pending)

    def take(self, line: int, indent: str = "") -> list[str]:
        """The comments that go before the node on `line`, indented like it."""
        return [indent + c for c in self.by_line.pop(line, [])]


def to_shot(story: Story, source: str | None = None) -> str:
    """Canonical DSL: settings in a fixed order, the cast aligned, one line per text.

    Whole-line comments in `source` move with the line that follows them.
    """
    names = [m.name for m in story.cast]
    nodes = [*story.settings.values(), *story.cast, *story.shots,
             *(t for t in (story.intro, story.prompt) if t is not None)]
    notes = _Comments(source, [n.span.line for n in nodes])
    out: list[str] = []
    for name in SETTING_ORDER:
        s = story.settings.get(name)
        if s is not None and s.value is not None:
            out += [*notes.take(s.span.line), f"{name} {_value(s.value)}"]
    if story.cast:
        out += ["", "cast"]
        width = max(len(m.name) for m in story.cast)
        # Voices line up in a column of their own, after the longest reference.
        ref_width = max((len(m.kind) + 1 + len(m.source) for m in story.cast if m.voice), default=0)
        for m in story.cast:
            line = f"  {m.name.ljust(width)}  {m.kind} {m.source}"
            if m.voice:
                line = f"{line.ljust(width + 4 + ref_width)}  voice {m.voice}"
            out += [*notes.take(m.span.line, "  "), line]
    for key, text in (("intro", story.intro), ("prompt", story.prompt)):
        if text is not None:
            out += ["", *notes.take(text.span.line), f"{key} {spell(text, names)}"]
    if story.shots:
        out.append("")
        width = max((len(timing_text(s.timing)) for s in story.shots if s.timing), default=0)
        for s in story.shots:
            out += notes.take(s.span.line)
            text = spell(s.text, names)
            if s.timing is not None:
                out.append(f"shot {timing_text(s.timing).ljust(width)}  {text}".rstrip())
            elif _TIMING_LIKE.match(text):
                out.append(f"shot\n  {text}")  # on its own line, so it is not read as a time
            else:
                out.append(f"shot {text}".rstrip())
    rest = [c for line in sorted(notes.by_line) for c in notes.by_line[line]]
    if rest:
        out += ["", *rest]
    while out and out[0] == "":
        out.pop(0)
    return "\n".join(out) + "\n"


def to_yaml(story: Story) -> str:
    """The YAML spelling of the same story."""
    import yaml

    names = [m.name for m in story.cast]
    doc: dict[str, object] = {}
    for name in SETTING_ORDER:
        s = story.settings.get(name)
        if s is not None and s.value is not None:
            doc[name] = s.value
    if story.cast:
        doc["cast"] = {
            m.name: {m.kind: m.source, **({"voice": m.voice} if m.voice else {})} for m in story.cast
        }
    if story.intro is not None:
        doc["intro"] = spell(story.intro, names)
    if story.prompt is not None:
        doc["prompt"] = spell(story.prompt, names)
    if story.shots:
        doc["shots"] = [
            {timing_text(s.timing): spell(s.text, names)} if s.timing else spell(s.text, names)
            for s in story.shots
        ]
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=1 << 20)
