"""The story AST: what a .shot or a YAML file means, with a source span on every node.

Nodes are frozen, slotted dataclasses (no validation library on the compile path: the
front ends build only valid nodes). Spans and the file path are left out of comparisons
and of `to_dict()`, so that the dump of a DSL story equals that of its YAML twin.
`dataclasses.replace(node, field=...)` makes a changed copy.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from shotscript.compiler.payload import Payload


@dataclass(frozen=True, slots=True)
class Span:
    """A place in a source file: 1-based line and column, end exclusive.

    `file` is set only for places outside the story file itself (a folder's shotscript.toml).
    """

    line: int
    column: int
    end_line: int
    end_column: int
    file: str | None = None

    @classmethod
    def at(cls, line: int, column: int, width: int = 1, file: str | None = None) -> Span:
        """A span on one line starting at `column`, `width` characters wide."""
        return cls(line, column, line, column + max(width, 1), file)


NOWHERE = Span(1, 1, 1, 2)


# Fields that say where something is are not compared, not dumped, not shown.
_NO_DUMP = {"dump": False}


def _dump(value: Any) -> Any:
    if isinstance(value, Node):
        return value.to_dict()
    if isinstance(value, tuple | list):
        return [_dump(v) for v in value]
    if isinstance(value, dict):
        return {k: _dump(v) for k, v in value.items()}
    return value


@dataclass(frozen=True, slots=True, kw_only=True)
class Node:
    """Base of all AST nodes: frozen, with a span kept out of comparisons and dumps."""

    span: Span = field(default=NOWHERE, compare=False, repr=False, metadata=_NO_DUMP)

    def to_dict(self) -> dict[str, Any]:
        """The node as plain data (JSON-ready), places left out."""
        return {f.name: _dump(getattr(self, f.name)) for f in fields(self)
                if f.metadata.get("dump", True)}


@dataclass(frozen=True, slots=True, kw_only=True)
class Plain(Node):
    """Text copied to the prompt byte for byte."""

    kind: Literal["plain"] = "plain"
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Mention(Node):
    """`@name` / `@{name}`: a cast member, compiled to its role in the prompt."""

    kind: Literal["mention"] = "mention"
    name: str


Segment = Plain | Mention


@dataclass(frozen=True, slots=True, kw_only=True)
class Text(Node):
    """Shot, intro or prompt text: literal runs and mentions."""

    segments: tuple[Segment, ...] = ()

    def mentions(self) -> tuple[Mention, ...]:
        """The mentions in the text, in order."""
        return tuple(s for s in self.segments if isinstance(s, Mention))


SettingValue = bool | int | str


@dataclass(frozen=True, slots=True, kw_only=True)
class Setting(Node):
    """One setting line: `size 1280*720`, `audio on` (value typed, None if invalid)."""

    name: str
    value: SettingValue | None
    value_span: Span = field(default=NOWHERE, compare=False, repr=False, metadata=_NO_DUMP)


ReferenceKind = Literal["video", "image"]


@dataclass(frozen=True, slots=True, kw_only=True)
class CastMember(Node):
    """A named character bound to one reference (URL or local file), optionally a voice."""

    name: str
    kind: ReferenceKind
    source: str
    source_span: Span = field(default=NOWHERE, compare=False, repr=False, metadata=_NO_DUMP)
    voice: str | None = None  # a WAV/MP3 (URL or local file) sent as the reference's voice
    voice_span: Span = field(default=NOWHERE, compare=False, repr=False, metadata=_NO_DUMP)


@dataclass(frozen=True, slots=True, kw_only=True)
class Timing(Node):
    """A shot's time as written: `A-B` (start and end) or `N` (length), in seconds."""

    start: float | None = None
    end: float | None = None
    length: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Shot(Node):
    """One timed shot of the story."""

    timing: Timing | None
    text: Text


@dataclass(frozen=True, slots=True, kw_only=True)
class Story(Node):
    """A whole story: settings, cast, and either shots or a prompt."""

    settings: dict[str, Setting] = field(default_factory=dict)
    cast: tuple[CastMember, ...] = ()
    intro: Text | None = None
    prompt: Text | None = None
    shots: tuple[Shot, ...] = ()
    path: Path | None = field(default=None, compare=False, repr=False, metadata=_NO_DUMP)
    # The `cast` line, when there is one.
    cast_span: Span | None = field(default=None, compare=False, repr=False, metadata=_NO_DUMP)

    def value(self, name: str) -> SettingValue | None:
        """The typed value of a setting, or None when it is unset or invalid."""
        setting = self.settings.get(name)
        return setting.value if setting else None

    def compile(self) -> Payload:
        """Check the story and compile it into the API request body."""
        from shotscript.compiler.driver import compile_story

        return compile_story(self)
