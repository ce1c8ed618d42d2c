"""The 2.7 request body: `input.media[]` items, `resolution` + `ratio`, `prompt_extend`.

Choices where the reference (wan27-r2v-api.md) is silent or uncertain, all documented in
`shotscript emulate --help` or here:
- 2.6-only fields (`parameters.size`, `shot_type`, `audio`; `input.reference_urls` beside
  `media`): what the service does is not documented (an official SDK sample sends
  `shot_type` and `audio`). `legacy_fields="ignore"` (the default) drops them;
  `"refuse"` answers 400 InvalidParameter naming the field (`--legacy-fields`).
- A `reference_voice` on a `first_frame` ("不推荐", not recommended) is accepted and unused.
- Five references plus one first frame (six items) are accepted (R-zh, which leads).
- A URL whose extension names another kind than its `type` is refused (415); a URL with no
  extension is taken to be what its `type` says.
- `data:` URIs only for images and first frames (documented for images only).
"""

from __future__ import annotations

from typing import Any

from shotscript.emulator import fields
from shotscript.emulator.create_request import CreateRequest, Kind, Reference, Role
from shotscript.emulator.errors import api_error, invalid
from shotscript.facts.capabilities import Protocol, Region, capabilities

# media[].type → (kind, role)
TYPES: dict[str, tuple[Kind, Role]] = {
    "reference_image": ("image", "reference"),
    "reference_video": ("video", "reference"),
    "first_frame": ("image", "first_frame"),
}
LEGACY_PARAMETERS = ("size", "shot_type", "audio")  # 2.6 fields with no meaning in 2.7
PROMPT_EXTEND_DEFAULT = True  # R-zh: `prompt_extend` defaults to true


def parse_27(
    model: str,
    inp: dict[str, Any],
    params: dict[str, Any],
    protocol: Protocol,
    region: Region,
    oss_resolve: bool,
    *,
    legacy_fields: str = "ignore",
) -> CreateRequest:
    """The checks the service makes at creation of a 2.7 task."""
    _legacy(model, inp, params, legacy_fields)
    prompt = fields.prompt(inp, "prompt", protocol.limit("prompt_chars"), required=True)
    negative = fields.prompt(inp, "negative_prompt", protocol.limit("negative_prompt_chars"), required=False)
    references = _media(inp.get("media"), protocol, region, oss_resolve)
    resolution = params.get("resolution", protocol.default_resolution)
    if resolution not in protocol.sizes:
        raise invalid(
            f"Invalid parameter: resolution (one of {', '.join(protocol.sizes)}, got {resolution!r})"
        )
    ratio = params.get("ratio", protocol.default_ratio)
    if ratio not in protocol.ratios:
        raise invalid(f"Invalid parameter: ratio (one of {', '.join(protocol.ratios)}, got {ratio!r})")
    size = protocol.size_of(resolution, ratio)
    assert size is not None  # every resolution of the table has every ratio
    videos = any(r.kind == "video" for r in references)
    return CreateRequest(
        model=model,
        protocol=protocol.name,
        prompt=prompt or "",
        negative_prompt=negative,
        references=references,
        size=size,
        duration=fields.duration(params, model, region, videos=videos),
        audio=True,  # "wan2.7 默认生成有声视频": always with sound
        watermark=fields.boolean(params, "watermark", bool(capabilities().defaults["watermark"])),
        seed=fields.seed(params, protocol),
        resolution=resolution,
        ratio=ratio,
        prompt_extend=fields.boolean(params, "prompt_extend", PROMPT_EXTEND_DEFAULT),
    )


def _legacy(model: str, inp: dict[str, Any], params: dict[str, Any], mode: str) -> None:
    if "media" not in inp and "reference_urls" in inp:
        raise invalid(
            f"Field required: input.media ({model} takes the new protocol: media items with type "
            "and url; input.reference_urls is the wan2.6 legacy protocol)."
        )
    sent = [f"parameters.{name}" for name in LEGACY_PARAMETERS if name in params]
    sent += ["input.reference_urls"] if "reference_urls" in inp else []
    if sent and mode == "refuse":
        raise invalid(f"Invalid parameter: {sent[0]} is not supported by {model} (a wan2.6 field).")


def _media(items: object, protocol: Protocol, region: Region, oss_resolve: bool) -> tuple[Reference, ...]:
    if not isinstance(items, list) or not items:
        raise invalid("Field required: input.media (a list of media items with type and url).")
    refs = [_item(item, n, protocol, region, oss_resolve) for n, item in enumerate(items)]
    count = {
        kind: sum(1 for r in refs if r.kind == kind and r.role == "reference") for kind in ("image", "video")
    }
    first_frames = sum(1 for r in refs if r.role == "first_frame")
    low, high = protocol.limit("references_min"), protocol.limit("references_max")
    if not low <= count["image"] + count["video"] <= high:
        raise invalid(
            f"Invalid parameter: media must hold {low} to {high} reference_image / reference_video "
            f"items in all, got {count['image'] + count['video']}."
        )
    for kind, limit in (("image", "images_max"), ("video", "videos_max")):
        if count[kind] > protocol.limit(limit):
            raise invalid(f"Invalid parameter: media holds {count[kind]} reference_{kind} items, at most "
                          f"{protocol.limit(limit)}.")  # fmt: skip
    if first_frames > protocol.limit("first_frames_max"):
        raise invalid(f"Invalid parameter: media holds {first_frames} first_frame items, at most "
                      f"{protocol.limit('first_frames_max')}.")  # fmt: skip
    return tuple(refs)


def _item(item: object, n: int, protocol: Protocol, region: Region, oss_resolve: bool) -> Reference:
    where = f"input.media[{n}]"
    if not isinstance(item, dict):
        raise invalid(f"Invalid parameter: {where} must be an object with type and url.")
    kind_role = TYPES.get(item.get("type"))  # type: ignore[arg-type]
    if kind_role is None:
        raise invalid(
            f"Invalid parameter: {where}.type must be one of {', '.join(TYPES)}, got {item.get('type')!r}."
        )
    kind, role = kind_role
    if "url" not in item:
        raise invalid(f"Field required: {where}.url")
    url = fields.checked_url(item["url"], f"{where}.url", oss_resolve=oss_resolve, data_uri_kind=kind)
    _expect_kind(url, kind, protocol)
    if kind not in region.inputs:
        raise invalid(f"This region does not accept {kind} references: {url}")
    voice = item.get("reference_voice")
    if voice is not None:
        voice = fields.checked_url(voice, f"{where}.reference_voice", oss_resolve=oss_resolve)
        _expect_kind(voice, "audio", protocol)
        if "audio" not in region.inputs:
            raise invalid(f"This region does not accept voice references: {voice}")
    # A voice on a first frame is "not recommended": accepted, and no subject speaks with it.
    return Reference(url, kind, role, voice if role == "reference" else None)


def _expect_kind(url: str, kind: Kind, protocol: Protocol) -> None:
    found = fields.kind_by_extension(url, protocol.media)
    if fields.has_extension(url) and found != kind:
        allowed = ", ".join(protocol.media[kind].extensions)
        raise api_error(
            "BadRequest.UnsupportedFileFormat", f"Unsupported {kind} file format ({allowed}): {url}"
        )
