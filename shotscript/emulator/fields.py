"""Readers of single request fields, shared by both protocols; each raises the service's 400."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlparse

from shotscript.emulator.create_request import Kind
from shotscript.emulator.errors import api_error, invalid
from shotscript.facts.capabilities import MediaLimits, Protocol, Region, capabilities
from shotscript.facts.service import is_upload_url, service


def prompt(inp: dict[str, Any], name: str, limit: int, *, required: bool) -> str | None:
    """`input.<name>` cut to `limit` characters (longer text is cut, not refused)."""
    value = inp.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        raise invalid(f"Field required: input.{name}" if required else f"input.{name} must be a string.")
    return value[:limit]


def boolean(params: dict[str, Any], name: str, default: bool) -> bool:
    """`parameters.<name>` as a bool."""
    value = params.get(name, default)
    if not isinstance(value, bool):
        raise invalid(f"parameters.{name} must be true or false, got {value!r}.")
    return value


def seed(params: dict[str, Any], protocol: Protocol) -> int | None:
    """`parameters.seed`, None when not sent (the server picks one)."""
    value = params.get("seed")
    if value is None:
        return None
    low, high = protocol.limit("seed_min"), protocol.limit("seed_max")
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise invalid(f"parameters.seed must be an integer in [{low}, {high}], got {value!r}.")
    return value


def duration(params: dict[str, Any], model: str, region: Region, *, videos: bool) -> int:
    """`parameters.duration`: whole seconds the model takes in the region (fewer with videos)."""
    caps = capabilities()
    value = params.get("duration", caps.defaults["duration"])
    allowed = caps.durations(model, region.name, videos=videos)
    if isinstance(value, bool) or not isinstance(value, int) or value not in allowed:
        which = " with a reference video" if videos and allowed != caps.durations(model, region.name) else ""
        span = ", ".join(str(d) for d in allowed)
        raise invalid(f"parameters.duration must be one of {span}{which} in this region, got {value!r}.")
    return value


def choice(params: dict[str, Any], name: str, allowed: tuple[str, ...], default: str) -> str:
    """`parameters.<name>`, one of `allowed`."""
    value = params.get(name, default)
    if value not in allowed:
        raise invalid(f"parameters.{name} must be one of {', '.join(allowed)}, got {value!r}.")
    return str(value)


def checked_url(url: object, field: str, *, oss_resolve: bool, data_uri_kind: Kind | None = None) -> str:
    """A reference URL: a string of an accepted scheme (`oss://` only with the resolve
    header; a `data:` URI only where the protocol allows one for this kind)."""
    if not isinstance(url, str) or not url:
        raise invalid(f"{field} must be a URL string.")
    scheme = urlparse(url).scheme.lower()
    if scheme == "data" and data_uri_kind is not None and data_uri_kind in service().data_uri_kinds:
        if not url.lower().startswith(f"data:{data_uri_kind}/") or ";base64," not in url:
            raise api_error(
                "InvalidURL", f"The provided URL is not valid: {field} (data:{data_uri_kind}/…;base64,…)"
            )
        return url
    if scheme not in service().reference_schemes:
        raise api_error("InvalidURL", f"The provided URL is not valid: {_short(url)}")
    if is_upload_url(url) and not oss_resolve:
        # Without the header the gateway passes `oss://` through and nothing can fetch it.
        header = service().resolve_header
        raise invalid(
            f"The provided URL does not appear to be valid ({url}): oss:// resources need "
            f"the header {header}: enable."
        )
    return url


def _short(url: str) -> str:
    return url if len(url) <= 200 else url[:200] + "…"


def kind_by_extension(url: str, media: dict[str, MediaLimits]) -> Kind | None:
    """The media kind a URL's file extension names among `media`, None when none does."""
    if url.lower().startswith("data:"):
        return "image" if url.lower().startswith("data:image/") else None
    suffix = PurePosixPath(urlparse(url).path).suffix.lower().lstrip(".")
    for kind in ("video", "image", "audio"):
        if kind in media and suffix in media[kind].extensions:
            return kind
    return None


def has_extension(url: str) -> bool:
    """Whether a URL's path names a file extension at all."""
    return not url.lower().startswith("data:") and bool(PurePosixPath(urlparse(url).path).suffix)
