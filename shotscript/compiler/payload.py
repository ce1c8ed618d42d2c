"""The compiled story: the API request body plus what the runtime needs beside it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class Reference(BaseModel):
    """One cast member's reference, as the runtime needs it (upload, billing, preview)."""

    model_config = _FROZEN
    name: str
    role: str  # "character1", …
    kind: Literal["video", "image"]
    source: str  # as written in the story
    url: str | None = None  # http(s):// or oss:// URL; None for a local file
    path: Path | None = None  # absolute path of a local file


class ShotTiming(BaseModel):
    """One shot laid out on the timeline."""

    model_config = _FROZEN
    index: int  # 1-based
    start: int
    end: int
    text: str  # as written, mentions spelled `@name`
    prompt: str  # compiled, mentions spelled `characterN`
    cast: tuple[str, ...]  # names mentioned, in order of first mention


class PayloadMeta(BaseModel):
    """What compilation knows beyond the request body (never sent to the API)."""

    model_config = _FROZEN
    title: str
    story_path: Path | None = None
    region: str
    base_url: str
    lang: str
    size: str  # the effective size (the API default when the story sets none)
    tier: str  # "720P" | "1080P"
    audio: bool  # the effective value
    references: tuple[Reference, ...]
    shots: tuple[ShotTiming, ...]


class PayloadInput(BaseModel):
    """`input` of the create-task request."""

    model_config = _FROZEN
    prompt: str
    reference_urls: tuple[str, ...]
    negative_prompt: str | None = None


class Payload(BaseModel):
    """The create-task request body (`model`, `input`, `parameters`) with its metadata."""

    model_config = _FROZEN
    model: str
    input: PayloadInput
    parameters: dict[str, Any]
    meta: PayloadMeta = Field(exclude=True)

    @property
    def duration(self) -> int:
        """Seconds of video requested."""
        return int(self.parameters["duration"])

    @property
    def local_references(self) -> tuple[Reference, ...]:
        """References that must be uploaded before the request can be sent."""
        return tuple(r for r in self.meta.references if r.path is not None)

    @property
    def needs_oss_resolve(self) -> bool:
        """Whether the request must carry `X-DashScope-OssResourceResolve: enable`."""
        return any(u.startswith("oss://") for u in self.input.reference_urls)

    def body(self) -> dict[str, Any]:
        """The JSON body exactly as it is sent (local files appear as written until uploaded)."""
        return self.model_dump(mode="json", exclude_none=True)

    def to_json(self, indent: int | None = 2) -> str:
        """The body as JSON text, non-ASCII kept readable."""
        return json.dumps(self.body(), ensure_ascii=False, indent=indent)

    def with_uploads(self, urls: dict[str, str]) -> Payload:
        """A copy whose local references (by cast name) are replaced by uploaded `oss://` URLs."""
        refs = tuple(
            r.model_copy(update={"url": urls[r.name]}) if r.name in urls else r
            for r in self.meta.references
        )
        ref_urls = tuple(r.url or r.source for r in refs)
        return self.model_copy(
            update={
                "input": self.input.model_copy(update={"reference_urls": ref_urls}),
                "meta": self.meta.model_copy(update={"references": refs}),
            }
        )
