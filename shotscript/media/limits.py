"""Checks a probed reference against what the service accepts (limits from the capability data)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from shotscript.facts.capabilities import MediaLimits, capabilities
from shotscript.media.probe import MediaInfo
from shotscript.media.problems import Problem, human_bytes, problem


def check_reference(
    info: MediaInfo,
    kind_declared: str,
    limits: Mapping[str, MediaLimits] | None = None,
) -> list[Problem]:
    """Every problem the service would have with this reference (`limits`: shipped data)."""
    table = capabilities().media if limits is None else limits
    fields = _names(info)
    if info.kind == "unknown":
        if info.error and info.error.startswith("not found"):
            return [problem("media-not-found", **fields)]
        accepted = _accepted(table.get(kind_declared) or table["video"])
        return [
            problem(
                "media-unreadable",
                reason=info.error or "unknown format",
                accepted=accepted,
                **fields,
            )
        ]
    if info.kind != kind_declared:
        actual = info.kind
        return [
            problem(
                "media-kind-mismatch",
                declared=kind_declared,
                actual=actual,
                actual_article="an" if actual[0] in "aeiou" else "a",
                container=(info.container or "unknown format").upper(),
                **fields,
            )
        ]
    lim = table.get(info.kind)
    if lim is None:  # audio where the protocol takes none: the compiler reports the setting
        return []
    if info.error and not info.partial:
        # A truncated or corrupt file: whatever else its header claims does not matter.
        return [problem("media-unreadable", reason=info.error, accepted=_accepted(lim), **fields)]
    found = _CHECKS[info.kind](info, lim)
    if not any(p.code in ("video-container", "image-format", "audio-format") for p in found):
        found += _check_extension(info, lim)
    return found


def _check_video(info: MediaInfo, lim: MediaLimits) -> list[Problem]:
    fields = _names(info)
    out: list[Problem] = []
    if info.container not in lim.extensions:
        out.append(problem("video-container", container=info.container, accepted=_accepted(lim), **fields))
    if info.duration is None:
        if not info.partial:
            out.append(problem("video-duration-unknown", **fields))
    elif lim.max_seconds and info.duration > lim.max_seconds:
        out.append(problem("video-too-long", duration=info.duration, max_seconds=lim.max_seconds, **fields))
    elif info.duration < lim.min_seconds:
        out.append(problem("video-too-short", duration=info.duration, min_seconds=lim.min_seconds, **fields))
    out += _check_sides(info, lim, "video")
    out += _check_bytes(info, lim, "video-file-too-large")
    return out


def _check_audio(info: MediaInfo, lim: MediaLimits) -> list[Problem]:
    fields = _names(info)
    out: list[Problem] = []
    if info.container not in lim.extensions:
        out.append(problem("audio-format", container=(info.container or "unknown").upper(),
                           accepted=_accepted(lim), **fields))
    suffix = info.path.suffix if info.path else ".mp3"
    if info.duration is None:
        if not info.partial:
            out.append(problem("audio-duration-unknown", **fields))
    elif lim.max_seconds and info.duration > lim.max_seconds:
        out.append(problem("audio-too-long", duration=info.duration, max_seconds=lim.max_seconds,
                           suffix=suffix, **fields))
    elif info.duration < lim.min_seconds:
        out.append(problem("audio-too-short", duration=info.duration, min_seconds=lim.min_seconds, **fields))
    out += _check_bytes(info, lim, "audio-file-too-large")
    return out


def _check_sides(info: MediaInfo, lim: MediaLimits, kind: str) -> list[Problem]:
    """Side lengths (videos: when the data has them) and the aspect-ratio rule."""
    if info.width is None or info.height is None or not info.height:
        return []
    fields = _names(info)
    size = {"width": info.width, "height": info.height}
    out: list[Problem] = []
    if kind == "video":
        if lim.min_side and min(info.width, info.height) < lim.min_side:
            out.append(problem("video-too-small", min_side=lim.min_side, **size, **fields))
        if lim.max_side and max(info.width, info.height) > lim.max_side:
            out.append(problem("video-too-large", max_side=lim.max_side, **size, **fields))
    aspect = info.width / info.height
    if lim.max_aspect and not lim.min_aspect <= aspect <= lim.max_aspect:
        out.append(problem("media-aspect", kind=kind, limit=lim.max_aspect, **size, **fields))
    return out


def _check_image(info: MediaInfo, lim: MediaLimits) -> list[Problem]:
    fields = _names(info)
    out: list[Problem] = []
    if info.container not in lim.extensions:
        out.append(
            problem(
                "image-format",
                container=(info.container or "unknown").upper(),
                accepted=_accepted(lim),
                **fields,
            )
        )
    if info.has_alpha and not lim.alpha:
        out.append(problem("image-alpha", mode=info.mode or "alpha", **fields))
    if info.width is not None and info.height is not None:
        size = {"width": info.width, "height": info.height}
        if lim.min_side and min(info.width, info.height) < lim.min_side:
            out.append(problem("image-too-small", min_side=lim.min_side, **size, **fields))
        if lim.max_side and max(info.width, info.height) > lim.max_side:
            out.append(problem("image-too-large", max_side=lim.max_side, **size, **fields))
    out += _check_sides(info, lim, "image")
    out += _check_bytes(info, lim, "image-file-too-large")
    return out


_CHECKS = {"video": _check_video, "image": _check_image, "audio": _check_audio}


def _check_bytes(info: MediaInfo, lim: MediaLimits, code: str) -> list[Problem]:
    if info.bytes is None or info.bytes <= lim.max_bytes:
        return []
    return [problem(code, size=human_bytes(info.bytes), bytes=info.bytes, limit=human_bytes(lim.max_bytes))]


def _check_extension(info: MediaInfo, lim: MediaLimits) -> list[Problem]:
    # Only local files: URLs often have no extension at all and the service sniffs content.
    if info.path is None or info.partial:
        return []
    suffix = info.path.suffix.lower().lstrip(".")
    if suffix in lim.extensions:
        return []
    return [problem("media-extension", suffix=info.path.suffix, kind=lim.kind, accepted=_accepted(lim))]


def _accepted(lim: MediaLimits) -> str:
    """The accepted formats as people write them: `.mp4 or .mov`."""
    names = [f".{e}" for e in lim.extensions]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def _names(info: MediaInfo) -> dict[str, str]:
    """The file's name in the forms the help lines use (path, name, stem)."""
    path = info.path or Path("reference")
    return {"path": str(path), "name": path.name, "stem": path.stem}
