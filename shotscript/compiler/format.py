"""Writes a Story back out: canonical .shot text, or YAML (`fmt`, `fmt --to`)."""

from __future__ import annotations

import re

from shotscript.compiler.ast import Setting, Story, Timing
from shotscript.compiler.diagnostics import source_lines
from shotscript.compiler.mentions import spell
from shotscript.compiler.settings import SETTING_ORDER, SETTINGS

_TIMING_LIKE = re.compile(r"\d+(?:\.\d+)?(?:[\t ]*-[\t ]*\d+(?:\.\d+)?(?:s|秒)?|s|秒)(?![^\s])")


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


# Where shot text starts: after `shot 0-3s ` (the width of the usual `A-Bs`) or one blank
# after a longer time; untimed shots line up with it.
TIME_WIDTH = 5


class _Comments:
    """Whole-line comments of the source, each attached to the next node's line."""

    def __init__(self, source: str | None, node_lines: list[int], claimed: set[int]) -> None:
        self.by_line: dict[int, list[str]] = {}
        if not source:
            return
        lines = set(node_lines)
        pending: list[str] = []
        for number, line in enumerate(source_lines(source), 1):
            stripped = line.strip()
            if number in claimed:
                continue  # written in place, inside a text's continued lines
            if stripped.startswith("#"):
                pending.append(stripped)
            elif pending and number in lines:
                self.by_line.setdefault(number, []).extend(pending)
                pending = []
        self.by_line.setdefault(0, []).extend(pending)

    def take(self, line: int, indent: str = "") -> list[str]:
        """The comments that go before the node on `line`, indented like it."""
        return [indent + c for c in self.by_line.pop(line, [])]


def _continued(lines: list[str], line: int, keyword: str) -> tuple[str, list[tuple[int, str]]] | None:
    """A DSL text written over several lines, as written: (the rest of its first line, the
    continued lines and the comments between them, by line number), or None when it is on
    one line (or the story was not written in the DSL)."""
    if not 1 <= line <= len(lines) or not lines[line - 1].startswith(keyword):
        return None
    block: list[tuple[int, str]] = []
    last_text = None
    for number in range(line + 1, len(lines) + 1):
        raw = lines[number - 1]
        stripped = raw.strip()
        if stripped and not stripped.startswith("#"):
            if not raw[:1].isspace():
                break  # the next statement
            last_text = len(block)
        if stripped:
            block.append((number, stripped))
    if last_text is None:
        return None
    # Comments after the last continued line belong to the next statement.
    return lines[line - 1][len(keyword):].strip(), block[: last_text + 1]


def _end_comment(lines: list[str], setting: Setting) -> str | None:
    """The `# …` written after a one-word setting's value on its line (DSL `ratio 16:9  # …`
    or YAML `ratio: "16:9"  # …`), or None."""
    spec = SETTINGS.get(setting.name)
    line = setting.span.line
    if spec is None or not spec.word or setting.span.file is not None or not 1 <= line <= len(lines):
        return None
    m = re.match(rf"[\t ]*{re.escape(setting.name)}[\t :]+\S+[\t ]+(#.*)\Z", lines[line - 1])
    return m.group(1).rstrip() if m else None


def to_shot(story: Story, source: str | None = None) -> str:
    """Canonical DSL: settings as written, the cast aligned, shot texts in one column.

    A text written over several lines keeps its lines (and comments between them); other
    whole-line comments in `source` move with the line that follows them.
    """
    names = [m.name for m in story.cast]
    lines = source_lines(source) if source else []
    multi: dict[int, tuple[str, list[tuple[int, str]]]] = {}
    texts = [("shot", s.span.line) for s in story.shots] + [
        (k, t.span.line) for k, t in (("intro", story.intro), ("prompt", story.prompt)) if t]
    for keyword, line in texts:
        found = _continued(lines, line, keyword)
        if found is not None:
            multi[line] = found
    claimed = {n for _, block in multi.values() for n, text in block if text.startswith("#")}
    settings = sorted(story.settings.values(), key=lambda s: (s.span.file is not None, s.span.line))
    nodes = [*settings, *story.cast, *story.shots,
             *(t for t in (story.intro, story.prompt) if t is not None)]
    notes = _Comments(source, [n.span.line for n in nodes], claimed)
    out: list[str] = []
    written = [(s, f"{s.name} {_value(s.value)}", _end_comment(lines, s)) for s in settings
               if s.value is not None]
    # Comments after settings line up one column past the longest commented setting.
    column = max((len(text) for _, text, note in written if note), default=0) + 2
    for setting, text, note in written:
        out += [*notes.take(setting.span.line), f"{text.ljust(column)}{note}" if note else text]
    if story.cast:
        out += ["", "cast"]
        width = max(len(m.name) for m in story.cast)
        # Voices line up in a column of their own, after the longest reference.
        ref_width = max((len(m.kind) + 1 + len(m.source) for m in story.cast if m.voice), default=0)
        for m in story.cast:
            row = f"  {m.name.ljust(width)}  {m.kind} {m.source}"
            if m.voice:
                row = f"{row.ljust(width + 4 + ref_width)}  voice {m.voice}"
            out += [*notes.take(m.span.line, "  "), row]
    for key, section in (("intro", story.intro), ("prompt", story.prompt)):
        if section is not None:
            out += ["", *notes.take(section.span.line)]
            out += _text_lines(key, multi.get(section.span.line), spell(section, names))
    if story.shots:
        out.append("")
        timed = any(s.timing is not None for s in story.shots)
        for s in story.shots:
            out += notes.take(s.span.line)
            head = "shot"
            if s.timing is not None:
                head = f"shot {timing_text(s.timing).ljust(TIME_WIDTH)}"
            elif timed:
                head = "shot " + " " * TIME_WIDTH
            found = multi.get(s.span.line)
            text = spell(s.text, names)
            if found is None and s.timing is None and _TIMING_LIKE.match(text):
                out.append(f"shot\n  {text}")  # on its own line, so it is not read as a time
            elif found is not None:
                out += _text_lines(head, found, text, timed=s.timing is not None)
            else:
                out.append(f"{head} {text}".rstrip())
    rest = [c for line in sorted(notes.by_line) for c in notes.by_line[line]]
    if rest:
        out += ["", *rest]
    while out and out[0] == "":
        out.pop(0)
    return "\n".join(out) + "\n"


def _text_lines(head: str, found: tuple[str, list[tuple[int, str]]] | None, spelled: str,
                timed: bool = False) -> list[str]:
    """A text's lines: as written when it was continued over lines, else one canonical line."""
    if found is None:
        return [f"{head} {spelled}".rstrip()]
    first, block = found
    if timed:  # the first line's rest starts with the time, which `head` already has
        m = _TIMING_LIKE.match(first)
        first = first[m.end():].strip() if m else first
    return [f"{head} {first}".rstrip(), *(f"  {text}" for _, text in block)]


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
