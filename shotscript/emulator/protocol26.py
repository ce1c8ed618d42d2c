"""The 2.6 (legacy) request body: `input.reference_urls`, `parameters.size`, `shot_type`, `audio`.

Fields of the 2.7 protocol (`input.media`, `resolution`, `ratio`, `prompt_extend`) mean
nothing here and are ignored, like any field the legacy protocol does not know; a 2.6 body
without `reference_urls` is refused whatever else it holds.
"""

from __future__ import annotations

from typing import Any, cast

from shotscript.emulator import fields
from shotscript.emulator.create_request import CreateRequest, Reference
from shotscript.emulator.errors import api_error, invalid
from shotscript.facts.capabilities import Protocol, Region, capabilities


def parse_26(
    model: str,
    inp: dict[str, Any],
    params: dict[str, Any],
    protocol: Protocol,
    region: Region,
    oss_resolve: bool,
) -> CreateRequest:
    """The checks the service makes at creation of a 2.6 task (a wrong size only fails later)."""
    caps = capabilities()
    prompt = fields.prompt(inp, "prompt", protocol.limit("prompt_chars"), required=True)
    negative = fields.prompt(inp, "negative_prompt", protocol.limit("negative_prompt_chars"), required=False)
    references = _references(inp.get("reference_urls"), protocol, region, oss_resolve)
    size = params.get("size", caps.defaults["size"])
    if not isinstance(size, str):
        raise invalid("parameters.size must be a string like '1280*720'.")
    audio = fields.boolean(params, "audio", bool(caps.defaults["audio"]))
    if not audio and not caps.models[model].audio_off:
        raise invalid(f"parameters.audio=false is not supported by {model}: its videos always have sound.")
    shot_types = tuple(cast(list[str], protocol.limits["shot_types"]))
    return CreateRequest(
        model=model,
        protocol=protocol.name,
        prompt=prompt or "",
        negative_prompt=negative,
        references=references,
        size=size,
        duration=fields.duration(params, model, region, videos=any(r.kind == "video" for r in references)),
        shot_type=fields.choice(params, "shot_type", shot_types, str(caps.defaults["shot_type"])),
        audio=audio,
        watermark=fields.boolean(params, "watermark", bool(caps.defaults["watermark"])),
        seed=fields.seed(params, protocol),
    )


def _references(urls: object, protocol: Protocol, region: Region, oss_resolve: bool) -> tuple[Reference, ...]:
    if not isinstance(urls, list) or not urls:
        raise invalid("Field required: input.reference_urls (a list of 1 to 5 URLs).")
    low, high = protocol.limit("references_min"), protocol.limit("references_max")
    if not low <= len(urls) <= high:
        raise invalid(f"input.reference_urls must contain {low} to {high} URLs, got {len(urls)}.")
    refs = []
    for raw in urls:
        url = fields.checked_url(raw, "input.reference_urls", oss_resolve=oss_resolve)
        kind = fields.kind_by_extension(url, protocol.media)
        if kind is None or kind == "audio":
            raise api_error("BadRequest.UnsupportedFileFormat", f"Unsupported reference file format: {url}")
        if kind not in region.inputs:
            raise invalid(f"This region does not accept {kind} references: {url}")
        refs.append(Reference(url, kind))
    videos = sum(1 for r in refs if r.kind == "video")
    images = len(refs) - videos
    if videos > protocol.limit("videos_max"):
        raise invalid(f"At most {protocol.limit('videos_max')} reference videos, got {videos}.")
    if images > protocol.limit("images_max"):
        raise invalid(f"At most {protocol.limit('images_max')} reference images, got {images}.")
    return tuple(refs)
