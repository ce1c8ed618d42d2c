"""The story AST: what a .shot or a YAML file means, with a source span on every node.

Both spellings build these very nodes; spans are excluded from serialisation so that
`model_dump()` of a DSL story equals that of its YAML twin.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from shotscript.compiler.payload import Payload


@dataclass(frozen=True, slots=True)
class Span:
    """A place in a source file: 1-based line and column, end exclusive.

    `file` is set only for places outside the story file itself (a folder's shotscript.toml).
    A plain dataclass, not a model: spans are made by the dozen per story and never dumped.
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


class Node(BaseModel):
    """Base of all AST nodes: frozen, no unknown fields, a span kept out of dumps."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)
    span: Span = Field(default=NOWHERE, exclude=True, repr=False)


class Plain(Node):
    """Text copied to the prompt byte for byte."""

    kind: Literal["plain"] = "plain"
    text: str


class Mention(Node):
    """`@name` / `@{name}`: a cast member, compiled to `characterN`."""

    kind: Literal["mention"] = "mention"
    name: str


Segment = Annotated[Plain | Mention, Field(discriminator="kind")]


class Text(Node):
    """Shot, intro or prompt text: literal runs and mentions."""

    segments: tuple[Segment, ...] = ()

    def mentions(self) -> tuple[Mention, ...]:
        """The mentions in the text, in order."""
        return tuple(s for s in self.segments if isinstance(s, Mention))



SettingValue = bool | int | str


class Setting(Node):
    """One setting line: `size 1280*720`, `audio on` (value typed, None if invalid)."""

    name: str
    value: SettingValue | None
    value_span: Span = Field(default=NOWHERE, exclude=True, repr=False)


ReferenceKind = Literal["video", "image"]


class CastMember(Node):
    """A named character bound to one reference (URL or local file)."""

    name: str
    kind: ReferenceKind
    source: str
    source_span: Span = Field(default=NOWHERE, exclude=True, repr=False)
    voice: str | None = None
    voice_span: Span = Field(default=NOWHERE, exclude=True, repr=False)


class Timing(Node):
    """A shot's time as written: `A-B` (start and end) or `N` (length), in seconds."""

    start: float | None = None
    end: float | None = None
    length: float | None = None


class Shot(Node):
    """One timed shot of the story."""

    timing: Timing | None
    text: Text


class Story(Node):
    """A whole story: settings, cast, and either shots or a prompt."""

    settings: dict[str, Setting] = {}
    cast: tuple[CastMember, ...] = ()
    intro: Text | None = None
    prompt: Text | None = None
    shots: tuple[Shot, ...] = ()
    path: Path | None = Field(default=None, exclude=True, repr=False)

    def value(self, name: str) -> SettingValue | None:
        """The typed value of a setting, or None when it is unset or invalid."""
        setting = self.settings.get(name)
        return setting.value if setting else None

    def compile(self) -> Payload:
        """Check the story and compile it into the API request body."""
        from shotscript.compiler.driver import compile_story

        return compile_story(self)
