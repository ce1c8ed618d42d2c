"""Every problem a reference file or URL can have: stable code, severity, wording, in one place."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a reference; the compiler makes it a diagnostic at the cast line."""

    code: str
    severity: Severity
    message: str
    help: str | None = None


@dataclass(frozen=True)
class ProblemKind:
    """A registered code: its severity, a one-line description, and its message templates."""

    severity: Severity
    description: str
    message: str
    help: str | None = None


# Templates are `str.format`-ed with the fields each check passes; numbers come from the
# capability data at the call site, never from here.
REGISTRY: dict[str, ProblemKind] = {
    "media-not-found": ProblemKind(
        "error",
        "a local reference file does not exist",
        "reference file not found: {path}",
        "check the path; it is relative to the story file",
    ),
    "media-unreadable": ProblemKind(
        "error",
        "the file is neither a readable image nor a readable video",
        "cannot read {path} as an image or a video ({reason})",
        "export it again as {accepted}",
    ),
    "media-kind-mismatch": ProblemKind(
        "error",
        "the cast line says video but the file is an image, or the reverse",
        "declared as {declared}, but the file is {actual_article} {actual} ({container})",
        "write `{actual}` on the cast line, or use a {declared} file",
    ),
    "media-extension": ProblemKind(
        "warning",
        "the content is accepted but the file name's extension is not",
        "file extension {suffix!r} is not one the service accepts for {kind}s",
        "rename it to end in {accepted}",
    ),
    "video-container": ProblemKind(
        "error",
        "the video's container is not one the service accepts",
        "video container is {container}; the service accepts {accepted}",
        "remux without re-encoding: ffmpeg -i {name} -c copy {stem}.mp4",
    ),
    "video-too-long": ProblemKind(
        "error",
        "the reference video is longer than the service accepts",
        "video is {duration:.1f} s long; references may be at most {max_seconds:g} s",
        "trim it: ffmpeg -i {name} -t {max_seconds:g} -c copy {stem}-trimmed.mp4",
    ),
    "video-too-short": ProblemKind(
        "error",
        "the reference video is shorter than the service accepts",
        "video is {duration:.2f} s long; references must be at least {min_seconds:g} s",
        "use a clip of at least {min_seconds:g} s",
    ),
    "video-duration-unknown": ProblemKind(
        "warning",
        "the video's length could not be read, so neither the limit nor the bill can be checked",
        "cannot tell how long {path} is",
        "remux it: ffmpeg -i {name} -c copy {stem}-fixed.mp4",
    ),
    "video-file-too-large": ProblemKind(
        "error",
        "the reference video file is larger than the service accepts",
        "video file is {size} ({bytes:,} bytes); the limit is {limit}",
        "re-encode at a lower bitrate or trim it",
    ),
    "image-format": ProblemKind(
        "error",
        "the image's format is not one the service accepts",
        "image format is {container}; the service accepts {accepted}",
        "convert it to PNG or JPEG",
    ),
    "image-alpha": ProblemKind(
        "error",
        "the image has an alpha channel, which the service refuses",
        "image has an alpha channel ({mode}); the service accepts images without alpha",
        "flatten it onto a background, e.g. save it as JPEG",
    ),
    "image-too-small": ProblemKind(
        "error",
        "a side of the image is shorter than the service accepts",
        "image is {width}×{height} px; each side must be at least {min_side} px",
        "use a larger image (upscaling a tiny one rarely helps the likeness)",
    ),
    "image-too-large": ProblemKind(
        "error",
        "a side of the image is longer than the service accepts",
        "image is {width}×{height} px; each side must be at most {max_side} px",
        "scale it down so that its longer side is at most {max_side} px",
    ),
    "image-file-too-large": ProblemKind(
        "error",
        "the reference image file is larger than the service accepts",
        "image file is {size} ({bytes:,} bytes); the limit is {limit}",
        "save it as JPEG or scale it down",
    ),
    "media-aspect": ProblemKind(
        "error",
        "the image or video is narrower or wider than the service accepts",
        "{kind} is {width}×{height} px; its aspect ratio must be between 1:{limit:g} and {limit:g}:1",
        "crop it closer to the video's ratio",
    ),
    "video-too-small": ProblemKind(
        "error",
        "a side of the reference video is shorter than the service accepts",
        "video is {width}×{height} px; each side must be at least {min_side} px",
        "use a larger video",
    ),
    "video-too-large": ProblemKind(
        "error",
        "a side of the reference video is longer than the service accepts",
        "video is {width}×{height} px; each side must be at most {max_side} px",
        "scale it down: ffmpeg -i {name} -vf scale=-2:1080 {stem}-1080.mp4",
    ),
    "audio-format": ProblemKind(
        "error",
        "the voice file's format is not one the service accepts",
        "audio format is {container}; the service accepts {accepted}",
        "convert it: ffmpeg -i {name} {stem}.mp3",
    ),
    "audio-too-long": ProblemKind(
        "error",
        "the voice file is longer than the service accepts",
        "audio is {duration:.1f} s long; voices may be at most {max_seconds:g} s",
        "trim it: ffmpeg -i {name} -t {max_seconds:g} {stem}-trimmed{suffix}",
    ),
    "audio-too-short": ProblemKind(
        "error",
        "the voice file is shorter than the service accepts",
        "audio is {duration:.2f} s long; voices must be at least {min_seconds:g} s",
        "use a recording of at least {min_seconds:g} s",
    ),
    "audio-duration-unknown": ProblemKind(
        "warning",
        "the voice file's length could not be read, so its limit cannot be checked",
        "cannot tell how long {path} is",
        "convert it: ffmpeg -i {name} {stem}-fixed.mp3",
    ),
    "audio-file-too-large": ProblemKind(
        "error",
        "the voice file is larger than the service accepts",
        "audio file is {size} ({bytes:,} bytes); the limit is {limit}",
        "trim it or save it as MP3",
    ),
    "remote-unreachable": ProblemKind(
        "error",
        "the URL could not be fetched at all (DNS, connection, TLS or timeout)",
        "cannot fetch {url}: {reason}",
        "the service downloads each reference itself; use a publicly reachable URL",
    ),
    "remote-http-error": ProblemKind(
        "error",
        "the URL answered with an HTTP error status",
        "{url} answered HTTP {status}",
        "the service downloads each reference itself: the URL must be public, and a signed "
        "URL must stay valid until the task runs",
    ),
    "remote-not-media": ProblemKind(
        "error",
        "the URL serves a web page or text rather than the media file",
        "{url} serves {content_type}, not a {kind} file",
        "use the file's direct download link, not the page that shows it",
    ),
    "remote-private-host": ProblemKind(
        "error",
        "the URL points at a loopback or private address that the service cannot reach",
        "{host} is a private or local address; the service cannot reach it",
        "upload the file somewhere public, or use a local path and let shotscript upload it",
    ),
    "remote-url-expires": ProblemKind(
        "warning",
        "a signed URL expires soon (or has); the service fetches it only when the task runs",
        "signed URL {state}",
        "sign it for longer, or use a local file and let shotscript upload it",
    ),
}


def problem(code: str, **fields: Any) -> Problem:
    """The Problem for a registered code, its wording filled in from `fields`."""
    kind = REGISTRY[code]
    return Problem(
        code=code,
        severity=kind.severity,
        message=kind.message.format(**fields),
        help=kind.help.format(**fields) if kind.help else None,
    )


def human_bytes(n: int) -> str:
    """A byte count the way the API reference writes limits (`100 MiB`, binary units)."""
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{n} bytes"
