"""Check a create-task request the way the service does.

Two kinds of problems, as on the real service:
- refused at creation: `parse_create` raises `ApiError` (HTTP 4xx, nothing created);
- accepted, then the task ends FAILED when generation reaches it: `later_failure` returns
  the `(code, message)` the poll will show (a wrong `size`, an unreachable reference,
  content moderation).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any, Literal, cast
from urllib.parse import urlparse

from shotscript.emulator.errors import ApiError, invalid
from shotscript.facts.capabilities import Capabilities, Region, capabilities

Kind = Literal["image", "video"]
KINDS: tuple[Kind, ...] = ("video", "image")


@dataclass(frozen=True)
class Reference:
    """One entry of `input.reference_urls` and what kind of media its extension says it is."""

    url: str
    kind: Kind


@dataclass(frozen=True)
class CreateRequest:
    """A create request that passed the checks made at creation, with defaults filled in."""

    model: str
    prompt: str  # already truncated to the prompt limit, as the service does silently
    negative_prompt: str | None
    references: tuple[Reference, ...]
    size: str  # not checked yet: a wrong size fails the task later
    duration: int
    shot_type: str
    audio: bool
    watermark: bool
    seed: int | None


@dataclass(frozen=True)
class StoredMedia:
    """What the upload store knows about an `oss://` object (see `uploads.py`)."""

    model: str
    account: str
    kind: Kind | None
    problem: str | None  # why the service would refuse this file as a reference
    seconds: float | None  # video length, for billing


# (code, message) a FAILED task reports; either may be None: the service sometimes sends neither.
Failure = tuple[str | None, str | None]


def reference_kind(url: str, caps: Capabilities) -> Kind | None:
    """`image` or `video` from the URL's file extension, None when it names neither."""
    suffix = PurePosixPath(urlparse(url).path).suffix.lower().lstrip(".")
    return next((kind for kind in KINDS if suffix in caps.media[kind].extensions), None)


def parse_create(body: object, *, region: Region, oss_resolve: bool) -> CreateRequest:
    """Validate a create body; raise `ApiError` for what the service refuses at once."""
    caps = capabilities()
    if not isinstance(body, dict):
        raise invalid("The request body must be a JSON object.")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise invalid("Model not specified: the request must name a model.")
    if model not in caps.models or model not in region.models:
        raise ApiError(404, "ModelNotFound", f"Model not found ({model}) in this region.")
    inp = body.get("input")
    if not isinstance(inp, dict):
        raise invalid("Field required: input")
    params = body.get("parameters", {})
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise invalid("Field parameters must be an object.")
    prompt = _prompt(inp, "prompt", caps.limit("prompt_chars"), required=True)
    negative = _prompt(inp, "negative_prompt", caps.limit("negative_prompt_chars"), required=False)
    references = _references(inp.get("reference_urls"), caps, region, oss_resolve)
    return CreateRequest(
        model=model,
        prompt=prompt or "",
        negative_prompt=negative,
        references=references,
        size=_size(params),
        duration=_duration(params, region),
        shot_type=_choice(params, "shot_type", tuple(cast(list[str], caps.limits["shot_types"]))),
        audio=_audio(params, model, caps),
        watermark=_bool(params, "watermark"),
        seed=_seed(params, caps),
    )


def later_failure(
    request: CreateRequest,
    *,
    account: str,
    lookup: Callable[[str], StoredMedia | None],
    moderation_marker: str,
    ip_marker: str,
) -> Failure | None:
    """The failure a task accepted with this request will end in, or None if it succeeds."""
    caps = capabilities()
    if request.size not in caps.sizes_for(request.model):
        allowed = ", ".join(caps.sizes_for(request.model))
        return ("InvalidParameter", f"The size {request.size!r} is not supported; allowed: {allowed}")
    for ref in request.references:
        problem = _reference_problem(ref, account=account, model=request.model, lookup=lookup)
        if problem:
            return ("InvalidParameter.DataInspection", problem)
    if ip_marker and ip_marker in request.prompt:
        return ("IPInfringementSuspect", "Input data is suspected of being involved in IP infringement.")
    if moderation_marker and moderation_marker in request.prompt:
        return ("DataInspectionFailed", "Input data may contain inappropriate content.")
    return None


def _reference_problem(
    ref: Reference, *, account: str, model: str, lookup: Callable[[str], StoredMedia | None]
) -> str | None:
    # The service fetches every reference itself after accepting the task; this is where
    # unreachable URLs and unusable files show up.
    if "unreachable" in ref.url:
        return f"Download the media resource timed out during the data inspection process: {ref.url}"
    if not ref.url.startswith("oss://"):
        return None
    stored = lookup(ref.url)
    if stored is None or stored.account != account or stored.model != model:
        # Temporary files are bound to the account and the model named when uploading.
        return f"Failed to download the media resource (no such temporary file for this model): {ref.url}"
    if stored.kind is not None and stored.kind != ref.kind:
        return f"The media resource is not a valid {ref.kind}: {ref.url}"
    return stored.problem


def _prompt(inp: dict[str, Any], name: str, limit: int, *, required: bool) -> str | None:
    value = inp.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        raise invalid(f"Field required: input.{name}" if required else f"input.{name} must be a string.")
    return value[:limit]  # longer text is cut, not refused


def _references(urls: object, caps: Capabilities, region: Region, oss_resolve: bool) -> tuple[Reference, ...]:
    if not isinstance(urls, list) or not urls:
        raise invalid("Field required: input.reference_urls (a list of 1 to 5 URLs).")
    low, high = caps.limit("references_min"), caps.limit("references_max")
    if not low <= len(urls) <= high:
        raise invalid(f"input.reference_urls must contain {low} to {high} URLs, got {len(urls)}.")
    refs = []
    for url in urls:
        if not isinstance(url, str) or not url:
            raise invalid("input.reference_urls must contain URL strings.")
        scheme = urlparse(url).scheme.lower()
        if scheme not in ("http", "https", "oss"):
            raise ApiError(400, "InvalidURL", f"The provided URL is not valid: {url}")
        if scheme == "oss" and not oss_resolve:
            # Without the header the gateway passes `oss://` through and nothing can fetch it.
            raise invalid(
                f"The provided URL does not appear to be valid ({url}): oss:// resources need "
                "the header X-DashScope-OssResourceResolve: enable."
            )
        kind = reference_kind(url, caps)
        if kind is None:
            raise ApiError(
                415, "BadRequest.UnsupportedFileFormat", f"Unsupported reference file format: {url}"
            )
        if kind not in region.inputs:
            raise invalid(f"This region does not accept {kind} references: {url}")
        refs.append(Reference(url, kind))
    videos = sum(1 for r in refs if r.kind == "video")
    images = len(refs) - videos
    if videos > caps.limit("videos_max"):
        raise invalid(f"At most {caps.limit('videos_max')} reference videos, got {videos}.")
    if images > caps.limit("images_max"):
        raise invalid(f"At most {caps.limit('images_max')} reference images, got {images}.")
    return tuple(refs)


def _size(params: dict[str, Any]) -> str:
    value = params.get("size", capabilities().defaults["size"])
    if not isinstance(value, str):
        raise invalid("parameters.size must be a string like '1280*720'.")
    return value


def _duration(params: dict[str, Any], region: Region) -> int:
    value = params.get("duration", capabilities().defaults["duration"])
    if isinstance(value, bool) or not isinstance(value, int) or value not in region.durations:
        allowed = ", ".join(str(d) for d in region.durations)
        raise invalid(f"parameters.duration must be one of {allowed} in this region, got {value!r}.")
    return value


def _choice(params: dict[str, Any], name: str, allowed: tuple[str, ...]) -> str:
    value = params.get(name, capabilities().defaults[name])
    if value not in allowed:
        raise invalid(f"parameters.{name} must be one of {', '.join(allowed)}, got {value!r}.")
    return str(value)


def _bool(params: dict[str, Any], name: str) -> bool:
    value = params.get(name, capabilities().defaults[name])
    if not isinstance(value, bool):
        raise invalid(f"parameters.{name} must be true or false, got {value!r}.")
    return value


def _audio(params: dict[str, Any], model: str, caps: Capabilities) -> bool:
    audio = _bool(params, "audio")
    if not audio and not caps.models[model].audio_off:
        raise invalid(f"parameters.audio=false is not supported by {model}: its videos always have sound.")
    return audio


def _seed(params: dict[str, Any], caps: Capabilities) -> int | None:
    value = params.get("seed")
    if value is None:
        return None
    low, high = caps.limit("seed_min"), caps.limit("seed_max")
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise invalid(f"parameters.seed must be an integer in [{low}, {high}], got {value!r}.")
    return value
