"""Counters served at `GET /_emulator/stats`, and the duplicate-create detector."""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from shotscript.emulator.protocol27 import PROMPT_EXTEND_DEFAULT
from shotscript.facts.capabilities import capabilities
from shotscript.facts.service import is_upload_url

# Fields the official SDK adds to `input` on its own (`function` is the endpoint name,
# `extend_prompt` a deprecated default): two creates of the same story must compare equal
# whether they were sent by the SDK or by hand.
SDK_INPUT_FIELDS = ("function", "extend_prompt")
DEFAULTED_PARAMETERS = ("size", "duration", "shot_type", "audio", "watermark")  # 2.6
DEFAULTED_PARAMETERS_27 = ("duration", "watermark")


def _defaults(model: object) -> dict[str, object]:
    """What the server assumes for parameters not sent, by the model's protocol (facts)."""
    caps = capabilities()
    protocol = caps.protocol_of(str(model))
    if protocol.name == "2.7":
        values = {name: caps.defaults[name] for name in DEFAULTED_PARAMETERS_27}
        values.update(resolution=protocol.default_resolution, ratio=protocol.default_ratio)
        values["prompt_extend"] = PROMPT_EXTEND_DEFAULT
        return values
    return {name: caps.defaults[name] for name in DEFAULTED_PARAMETERS}


def fingerprint(body: dict[str, Any], content_of: Callable[[str], str | None]) -> str:
    """A canonical digest of a create body: equal for requests that ask for the same video.

    Defaults are filled in (omitting `duration` asks for the same as sending 5), `null`
    fields dropped, SDK additions ignored, and an `oss://` reference (2.6 `reference_urls`,
    2.7 `media[].url` and `reference_voice`) stands for the content of the uploaded file
    (`content_of`), so a re-upload of the same file is still the same.
    """
    body = copy.deepcopy(body)
    inp = body.get("input")
    if isinstance(inp, dict):
        for name in SDK_INPUT_FIELDS:
            inp.pop(name, None)
        urls = inp.get("reference_urls")
        if isinstance(urls, list):
            inp["reference_urls"] = [_content_url(u, content_of) for u in urls]
        for item in inp.get("media") or []:
            for name in ("url", "reference_voice"):
                if isinstance(item, dict) and name in item:
                    item[name] = _content_url(item[name], content_of)
    params = body.get("parameters")
    params = dict(params) if isinstance(params, dict) else {}
    for name, value in _defaults(body.get("model")).items():
        params.setdefault(name, value)
    body["parameters"] = params
    text = json.dumps(_drop_nulls(body), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _content_url(url: object, content_of: Callable[[str], str | None]) -> object:
    if isinstance(url, str) and is_upload_url(url):
        digest = content_of(url)
        return f"sha256:{digest}" if digest else url
    return url


def _drop_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_nulls(v) for v in value]
    return value


@dataclass
class Stats:
    """What happened since start (or the last reset); tests read it to prove behaviour."""

    creates: int = 0  # tasks created (including ones created behind a fault answer)
    duplicate_creates: int = 0  # created tasks whose body equals an earlier created task's
    # ... of which an earlier equal task was not set to fail: the request would be billed twice
    # (a create sent again after its first task FAILED is a new, honest try: FAILED is free)
    billable_duplicate_creates: int = 0
    create_requests: int = 0  # every create request, refused or not
    polls: int = 0
    cancels: int = 0
    lists: int = 0
    policies: int = 0  # upload policy requests
    uploads: int = 0  # files stored by the upload host
    downloads: int = 0  # result download requests (each Range request counts)
    download_bytes: int = 0
    throttled: int = 0  # 429 answers from quotas (injected 429s are counted under faults)
    errors: int = 0  # other 4xx answers of the API
    _seen: set[str] = field(default_factory=set)
    _billable: set[str] = field(default_factory=set)  # bodies with a task that will not fail

    def record_create(self, digest: str, *, fails: bool = False) -> bool:
        """Count a created task (`fails`: set to end FAILED); True when an equal body was
        created before."""
        self.creates += 1
        duplicate = digest in self._seen
        self._seen.add(digest)
        if duplicate:
            self.duplicate_creates += 1
            if digest in self._billable:
                self.billable_duplicate_creates += 1
        if not fails:
            self._billable.add(digest)
        return duplicate

    def as_dict(self) -> dict[str, Any]:
        """The public counters."""
        return {k: v for k, v in self.__dict__.items() if not k.startswith("_")}
