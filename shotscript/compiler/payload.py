"""The compiled story: the API request body plus what the runtime needs beside it.

Frozen, slotted dataclasses (no pydantic on the compile path). The metadata is
protocol-neutral; `input` and `parameters` are what the target's dialect emitted from it
(see dialects.py), and `with_uploads` has the dialect emit them again with uploaded URLs.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal, Self

from shotscript.facts.service import is_upload_url

ReferenceKind = Literal["video", "image", "audio"]


class _Copy:
    """`model_copy(update=…)` for callers written when these were pydantic models."""

    __slots__ = ()
    # Every subclass is a dataclass: this makes `self` one for the type checker.
    __dataclass_fields__: ClassVar[dict[str, dataclasses.Field[Any]]]

    def model_copy(self, *, update: dict[str, Any] | None = None) -> Self:
        """A copy with some fields replaced (the same as `dataclasses.replace`)."""
        return dataclasses.replace(self, **(update or {}))


@dataclass(frozen=True, slots=True)
class Reference(_Copy):
    """One file the request refers to: a cast member's reference, its voice, or the first frame."""

    name: str  # the cast name; "<name> voice" for a voice, "first frame" for the first frame
    role: str  # how the prompt names it: "character1", "图1", "Image 1"; "" when never named
    kind: ReferenceKind
    source: str  # as written in the story
    url: str | None = None  # http(s):// or oss:// URL; None for a local file
    path: Path | None = None  # absolute path of a local file
    voice: Reference | None = None  # 2.7: the voice its subject speaks with (kind "audio")

    @property
    def sent(self) -> str:
        """What the request carries for it: the URL, or the source as written until uploaded."""
        return self.url or self.source


@dataclass(frozen=True, slots=True)
class ShotTiming(_Copy):
    """One shot laid out on the timeline."""

    index: int  # 1-based
    start: int
    end: int
    text: str  # as written, mentions spelled `@name`
    prompt: str  # compiled, mentions spelled as the target names references
    cast: tuple[str, ...]  # names mentioned, in order of first mention


@dataclass(frozen=True, slots=True)
class PayloadMeta(_Copy):
    """What compilation knows beyond the request body (never sent to the API)."""

    title: str
    region: str
    base_url: str
    lang: str
    size: str  # the effective output size (the server's default when the story sets none)
    tier: str  # "720P" | "1080P"
    audio: bool  # the effective value
    references: tuple[Reference, ...]  # the cast, in cast order
    shots: tuple[ShotTiming, ...]
    story_path: Path | None = None
    protocol: str = "2.6"
    first_frame: Reference | None = None
    ratio: str | None = None  # the effective aspect ratio, when known

    @property
    def files(self) -> tuple[Reference, ...]:
        """Every file of the request: first frame, the cast and their voices."""
        out = [self.first_frame] if self.first_frame else []
        for r in self.references:
            out.append(r)
            if r.voice:
                out.append(r.voice)
        return tuple(out)


@dataclass(frozen=True, slots=True)
class MediaItem(_Copy):
    """One item of 2.7's `input.media`."""

    type: str  # "reference_image" | "reference_video" | "first_frame"
    url: str
    reference_voice: str | None = None

    def body(self) -> dict[str, str]:
        """The item as sent."""
        out = {"type": self.type, "url": self.url}
        if self.reference_voice is not None:
            out["reference_voice"] = self.reference_voice
        return out


@dataclass(frozen=True, slots=True)
class PayloadInput(_Copy):
    """`input` of the create-task request (2.6: `reference_urls`; 2.7: `media`)."""

    prompt: str
    reference_urls: tuple[str, ...] | None = None
    negative_prompt: str | None = None
    media: tuple[MediaItem, ...] | None = None

    def body(self) -> dict[str, Any]:
        """`input` as sent, in the documented key order of its protocol."""
        out: dict[str, Any] = {"prompt": self.prompt}
        if self.reference_urls is not None:
            out["reference_urls"] = list(self.reference_urls)
        if self.negative_prompt is not None:
            out["negative_prompt"] = self.negative_prompt
        if self.media is not None:
            out["media"] = [m.body() for m in self.media]
        return out

    def urls(self) -> tuple[str, ...]:
        """Every URL the input carries (references, media, voices)."""
        out = list(self.reference_urls or ())
        for m in self.media or ():
            out.append(m.url)
            if m.reference_voice:
                out.append(m.reference_voice)
        return tuple(out)


@dataclass(frozen=True, slots=True)
class Payload(_Copy):
    """The create-task request body (`model`, `input`, `parameters`) with its metadata."""

    model: str
    input: PayloadInput
    parameters: dict[str, Any]
    meta: PayloadMeta = field(repr=False)

    @property
    def duration(self) -> int:
        """Seconds of video requested."""
        return int(self.parameters["duration"])

    @property
    def local_references(self) -> tuple[Reference, ...]:
        """Files that must be uploaded before the request can be sent (voices, first frame too)."""
        return tuple(r for r in self.meta.files if r.path is not None)

    @property
    def needs_oss_resolve(self) -> bool:
        """Whether the request must carry `X-DashScope-OssResourceResolve: enable`."""
        return any(is_upload_url(u) for u in self.input.urls())

    def body(self) -> dict[str, Any]:
        """The JSON body exactly as it is sent (local files appear as written until uploaded)."""
        return {"model": self.model, "input": self.input.body(), "parameters": dict(self.parameters)}

    def to_json(self, indent: int | None = 2) -> str:
        """The body as JSON text, non-ASCII kept readable."""
        return json.dumps(self.body(), ensure_ascii=False, indent=indent)

    def with_uploads(self, urls: dict[str, str]) -> Payload:
        """A copy whose local files (by reference name) are replaced by uploaded `oss://` URLs."""

        def up(r: Reference) -> Reference:
            voice = up(r.voice) if r.voice is not None else None
            url = urls.get(r.name, r.url)
            return dataclasses.replace(r, url=url, voice=voice) if (url, voice) != (r.url, r.voice) else r

        refs = tuple(up(r) for r in self.meta.references)
        first = self.meta.first_frame
        meta = dataclasses.replace(self.meta, references=refs, first_frame=up(first) if first else None)
        from shotscript.compiler.dialects import dialect

        return dataclasses.replace(self, input=dialect(meta.protocol).reemit(self.input, meta), meta=meta)
