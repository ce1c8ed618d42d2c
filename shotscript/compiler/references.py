"""What a reference source is (URL or local file) and whether a local file is of its kind."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

from shotscript.facts.capabilities import Capabilities, MediaLimits
from shotscript.facts.service import service

_SPACE = re.compile(r"\s")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
URL_SCHEMES = service().reference_schemes


def scheme(source: str) -> str | None:
    """The URL scheme of a source (`https`, `oss`, …), or None for a local path."""
    m = _SCHEME.match(source)
    return m.group(1).lower() if m else None


def valid_url(source: str) -> bool:
    """Whether a URL has a host and parses (no spaces, brackets that close)."""
    try:
        parts = urlsplit(source)
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return False
    return bool(parts.netloc) and _SPACE.search(source) is None


def extension(source: str) -> str:
    """The lower-case file extension of a URL's path or a file path, without the dot."""
    path = source
    if scheme(source):
        try:
            path = urlsplit(source).path
        except ValueError:
            path = source.split("?", 1)[0]
    return Path(path).suffix.lower().lstrip(".")


def kind_by_extension(source: str, media: Capabilities | Mapping[str, MediaLimits]) -> str | None:
    """`video`, `image` or `audio` by the source's extension, None when it says none of them."""
    table = media.media if isinstance(media, Capabilities) else media
    ext = extension(source)
    return next((k for k, m in table.items() if ext in m.extensions), None)


def local_path(source: str, story_path: Path | None) -> Path:
    """A local source resolved against the story file's folder."""
    try:
        p = Path(source).expanduser()
    except RuntimeError:  # `~nobody/x.png`: no such user, so no such file (E308 says so)
        p = Path(source)
    if not p.is_absolute() and story_path is not None:
        p = story_path.parent / p
    return p
