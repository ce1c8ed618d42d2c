"""A create request once it passed the checks made at creation: one shape for both protocols."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["image", "video", "audio"]
Role = Literal["reference", "first_frame"]

# (code, message) a FAILED task reports; either may be None: the service sometimes sends neither.
Failure = tuple[str | None, str | None]


@dataclass(frozen=True)
class Reference:
    """One reference: a `reference_urls` entry (2.6) or a `media` item (2.7)."""

    url: str
    kind: Kind  # image or video (a first frame is an image)
    role: Role = "reference"
    voice: str | None = None  # 2.7 `reference_voice`: an audio URL


@dataclass(frozen=True)
class CreateRequest:
    """A create request with the server's defaults filled in."""

    model: str
    protocol: str  # "2.6" or "2.7" (facts: the model's protocol)
    prompt: str  # already truncated to the prompt limit, as the service does silently
    negative_prompt: str | None
    references: tuple[Reference, ...]
    size: str  # 2.6: as sent, checked only later; 2.7: from the resolution × ratio table
    duration: int
    audio: bool
    watermark: bool
    seed: int | None
    shot_type: str | None = None  # 2.6 only
    resolution: str | None = None  # 2.7 only
    ratio: str | None = None  # 2.7: as asked (a first frame may change the output's)
    prompt_extend: bool | None = None  # 2.7 only

    def of_kind(self, kind: Kind, role: Role = "reference") -> list[Reference]:
        """The references of one kind and role, in request order."""
        return [r for r in self.references if r.kind == kind and r.role == role]


@dataclass(frozen=True)
class StoredMedia:
    """What the upload store knows about an `oss://` object (see `uploads.py`)."""

    model: str
    account: str
    kind: Kind | None
    problem: str | None  # why the service would refuse this file (for its model's protocol)
    seconds: float | None = None  # video or audio length, for billing and checks
    width: int | None = None  # images: for a first frame's aspect ratio
    height: int | None = None
