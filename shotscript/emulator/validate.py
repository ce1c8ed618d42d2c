"""Check a create-task request the way the service does, for either protocol.

Two kinds of problems, as on the real service:
- refused at creation: `parse_create` raises `ApiError` (HTTP 4xx, nothing created);
- accepted, then the task ends FAILED when generation reaches it: `later_failure` returns
  the `(code, message)` the poll will show (a wrong 2.6 `size`, an unreachable or unusable
  reference, content moderation).

The model names its protocol (facts: `capabilities.toml`); `protocol26` and `protocol27`
read the two body shapes into one `CreateRequest`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from shotscript.emulator.create_request import CreateRequest, Failure, Kind, Reference, StoredMedia
from shotscript.emulator.errors import api_error, failure_code, invalid
from shotscript.emulator.protocol26 import parse_26
from shotscript.emulator.protocol27 import parse_27
from shotscript.facts.capabilities import Protocol, Region, capabilities
from shotscript.facts.service import is_upload_url

__all__ = ["CreateRequest", "Failure", "Kind", "Reference", "StoredMedia", "later_failure", "parse_create"]

Lookup = Callable[[str], StoredMedia | None]


def parse_create(
    body: object, *, region: Region, oss_resolve: bool, legacy_fields: str = "ignore"
) -> CreateRequest:
    """Validate a create body; raise `ApiError` for what the service refuses at once."""
    caps = capabilities()
    if not isinstance(body, dict):
        raise invalid("The request body must be a JSON object.")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise invalid("Model not specified: the request must name a model.")
    if model not in caps.models or model not in region.models:
        raise api_error("ModelNotFound", f"Model not found ({model}) in this region.")
    inp = body.get("input")
    if not isinstance(inp, dict):
        raise invalid("Field required: input")
    params = body.get("parameters", {})
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise invalid("Field parameters must be an object.")
    protocol = caps.protocol_of(model)
    if protocol.name == "2.7":
        return parse_27(model, inp, params, protocol, region, oss_resolve, legacy_fields=legacy_fields)
    return parse_26(model, inp, params, protocol, region, oss_resolve)


def with_first_frame_ratio(request: CreateRequest, lookup: Lookup) -> CreateRequest:
    """A 2.7 request whose first frame is a known upload renders at the table ratio nearest
    to that image's (the service "approximates the first frame's ratio"); else unchanged."""
    frame = next((r for r in request.references if r.role == "first_frame"), None)
    stored = lookup(frame.url) if frame is not None and is_upload_url(frame.url) else None
    resolution = request.resolution
    if resolution is None or stored is None or not stored.width or not stored.height:
        return request
    protocol = capabilities().protocol_of(request.model)
    aspect = stored.width / stored.height
    ratio = min(protocol.ratios, key=lambda r: abs(_aspect(protocol.size_of(resolution, r)) - aspect))
    size = protocol.size_of(resolution, ratio)
    return dataclasses.replace(request, ratio=ratio, size=size or request.size)


def _aspect(size: str | None) -> float:
    width, height = (int(n) for n in (size or "1*1").split("*"))
    return width / height


def later_failure(
    request: CreateRequest,
    *,
    account: str,
    lookup: Lookup,
    moderation_marker: str,
    ip_marker: str,
) -> Failure | None:
    """The failure a task accepted with this request will end in, or None if it succeeds."""
    caps = capabilities()
    if request.size not in caps.sizes_for(request.model):
        allowed = ", ".join(caps.sizes_for(request.model))
        return (
            failure_code("InvalidParameter"),
            f"The size {request.size!r} is not supported; allowed: {allowed}",
        )
    protocol = caps.protocol_of(request.model)
    for ref in request.references:
        for url, kind in ((ref.url, ref.kind), (ref.voice, "audio")):
            problem = url and _reference_problem(url, kind, account, request.model, protocol, lookup)
            if problem:
                return (failure_code("InvalidParameter.DataInspection"), problem)
    if ip_marker and ip_marker in request.prompt:
        return (
            failure_code("IPInfringementSuspect"),
            "Input data is suspected of being involved in IP infringement.",
        )
    if moderation_marker and moderation_marker in request.prompt:
        return (failure_code("DataInspectionFailed"), "Input data may contain inappropriate content.")
    return None


def _reference_problem(
    url: str, kind: Any, account: str, model: str, protocol: Protocol, lookup: Lookup
) -> str | None:
    # The service fetches every reference itself after accepting the task; this is where
    # unreachable URLs and unusable files show up.
    if "unreachable" in url:
        return f"Download the media resource timed out during the data inspection process: {url[:200]}"
    if not is_upload_url(url):
        return None
    stored = lookup(url)
    if stored is None or stored.account != account or stored.model != model:
        # Temporary files are bound to the account and the model named when uploading.
        return f"Failed to download the media resource (no such temporary file for this model): {url}"
    if stored.kind is not None and stored.kind != kind:
        return f"The media resource is not a valid {kind}: {url}"
    return stored.problem
