"""Read an uploaded file the way the service would before using it: kind, limits, length.

The limits are those of the protocol of the model the upload policy named (facts): a 6000 px
image is fine for wan2.7-r2v and refused for wan2.6; voices (WAV/MP3) exist only in 2.7.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path, PurePosixPath

import av
from PIL import Image

from shotscript.emulator.create_request import Kind, StoredMedia
from shotscript.emulator.fields import kind_by_extension
from shotscript.facts.capabilities import MediaLimits, capabilities


def inspect_media(path: Path, key: str, size: int, *, account: str, model: str) -> StoredMedia:
    """What the service would make of an uploaded file as a reference for `model`."""
    media = capabilities().protocol_of(model).media
    kind: Kind | None = kind_by_extension(key, media)
    name = PurePosixPath(key).name
    stored = StoredMedia(model=model, account=account, kind=kind, problem=None)
    if kind is None:
        return replace(stored, problem=f"Unsupported reference file format: {name}")
    limits = media[kind]
    if size > limits.max_bytes:
        return replace(stored, problem=f"The {kind} {name} is larger than {limits.max_bytes} bytes.")
    if kind == "image":
        return _image(stored, path, name, limits)
    return _timed(stored, path, name, limits)


def _image(stored: StoredMedia, path: Path, name: str, limits: MediaLimits) -> StoredMedia:
    try:
        with Image.open(path) as image:
            width, height, mode, fmt = image.width, image.height, image.mode, image.format
            transparent = "transparency" in image.info
    except (OSError, ValueError, Image.DecompressionBombError):
        return replace(stored, problem=f"The image {name} cannot be read.")
    stored = replace(stored, width=width, height=height)
    problem = _pixels_problem("image", name, width, height, limits)
    if (
        problem is None
        and not limits.alpha
        and ("A" in mode or (mode == "P" and fmt == "PNG" and transparent))
    ):
        problem = f"The image {name} has an alpha channel, which is not supported."
    return replace(stored, problem=problem)


def _pixels_problem(kind: str, name: str, width: int, height: int, limits: MediaLimits) -> str | None:
    if limits.min_side and (min(width, height) < limits.min_side or max(width, height) > limits.max_side):
        sides = f"{limits.min_side}-{limits.max_side} px"
        return f"The {kind} {name} is {width}x{height}; each side must be {sides}."
    aspect = width / height if height else 0.0
    if limits.max_aspect and not limits.min_aspect <= aspect <= limits.max_aspect:
        span = f"{limits.min_aspect:g}-{limits.max_aspect:g}"
        return f"The {kind} {name} is {width}x{height}; width / height must be within {span}."
    return None


def _timed(stored: StoredMedia, path: Path, name: str, limits: MediaLimits) -> StoredMedia:
    kind = stored.kind
    try:
        with av.open(str(path)) as container:
            videos, audios = container.streams.video, container.streams.audio
            if not (videos if kind == "video" else audios):
                return replace(stored, problem=f"The {kind} {name} has no {kind} stream.")
            seconds = (container.duration or 0) / av.time_base
            width, height = (videos[0].width, videos[0].height) if kind == "video" else (0, 0)
    except (av.FFmpegError, OSError, ValueError):
        return replace(stored, problem=f"The {kind} {name} cannot be read.")
    stored = replace(stored, seconds=seconds)
    if not limits.min_seconds <= seconds <= limits.max_seconds:
        what = "references" if kind == "video" else "voices"
        return replace(stored, problem=(
            f"The {kind} {name} lasts {seconds:.1f} s; {what} must last "
            f"{limits.min_seconds:g}-{limits.max_seconds:g} s."
        ))  # fmt: skip
    if kind == "video":
        return replace(stored, problem=_pixels_problem("video", name, width, height, limits))
    return stored
