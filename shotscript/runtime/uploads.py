"""Local reference files: temporary upload to OSS, cached by content hash and model."""

from __future__ import annotations

import asyncio
import hashlib
import json
import mimetypes
import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from shotscript.compiler.payload import Payload, Reference
from shotscript.facts.service import lifetimes
from shotscript.runtime import constants as C
from shotscript.runtime.atomic import atomic_write_text
from shotscript.runtime.client import DashScopeClient, UploadPolicy
from shotscript.runtime.errors import APIError, UploadError
from shotscript.runtime.events import Event, EventSink, ignore

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def file_sha256(path: Path) -> str:
    """The hex sha256 of a file's content."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(C.HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def object_name(path: Path, digest: str) -> str:
    """The object's name under the upload dir: content hash first, so equal base names of
    different files never collide, and the same file always gets the same name."""
    stem = _UNSAFE.sub("_", path.stem).strip("._") or "file"
    suffix = _UNSAFE.sub("", path.suffix.lower())
    return f"{digest[:16]}-{stem[:60]}{suffix}"


def account_tag(api_key: str) -> str:
    """A short one-way tag telling accounts apart in the cache (uploads are per account)."""
    return hashlib.sha256(b"shotscript-upload-account\0" + api_key.encode()).hexdigest()[:12]


def cache_key(digest: str, model: str, base_url: str, account: str) -> str:
    """The cache key of one upload: uploads are bound to content, model, endpoint, account."""
    return f"{digest}|{model}|{base_url}|{account}"


@dataclass(frozen=True)
class CachedUpload:
    """One remembered upload."""

    url: str
    uploaded_at: float
    expires_at: float
    name: str
    size: int


def reusable(entry: CachedUpload, *, now: float, margin: float = C.UPLOAD_REUSE_MARGIN) -> bool:
    """Whether an upload will outlive a task submitted now by the safety margin."""
    return now + margin < entry.expires_at


class UploadCache:
    """A JSON file of uploads under the runtime home, rewritten atomically."""

    def __init__(self, path: Path, *, now: Callable[[], float] = time.time) -> None:
        self.path = path
        self._now = now

    def _read(self) -> dict[str, CachedUpload]:
        try:
            raw = json.loads(self.path.read_text("utf-8"))
            return {k: CachedUpload(**v) for k, v in raw.items()}
        except (OSError, ValueError, TypeError):
            return {}  # a missing or damaged cache only costs a re-upload

    def get(self, key: str) -> CachedUpload | None:
        """The cached upload for a key, if it is still safe to reuse."""
        entry = self._read().get(key)
        return entry if entry and reusable(entry, now=self._now()) else None

    def put(self, key: str, entry: CachedUpload) -> None:
        """Remember an upload, dropping entries that have expired."""
        now = self._now()
        entries = {k: v for k, v in self._read().items() if v.expires_at > now}
        entries[key] = entry
        text = json.dumps({k: asdict(v) for k, v in entries.items()}, indent=1)
        atomic_write_text(self.path, text)


async def upload_one(client: DashScopeClient, policy: UploadPolicy, path: Path, name: str) -> str:
    """POST one file to the policy's host as a multipart form; return its `oss://` URL."""
    key = f"{policy.upload_dir}/{name}"
    form = {**policy.form, "key": key, "success_action_status": "200"}
    form["x-oss-content-type"] = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    with path.open("rb") as f:
        try:
            await client.send(
                "upload",
                "POST",
                policy.upload_host,
                idempotent=True,
                client=client.plain,
                data=form,
                files={"file": (name, f, form["x-oss-content-type"])},
                timeout=C.UPLOAD_TIMEOUT,
            )
        except APIError as exc:
            # Names carry the content hash and overwrite is forbidden, so "already there"
            # means an earlier, cut-short attempt of this very file went through.
            if exc.status == 409:
                return f"oss://{key}"
            if exc.status == 403:
                raise _PolicyExpired from exc  # most likely: the caller fetches a fresh policy
            raise UploadError(f"upload of {path.name} failed: {exc.message}") from None
    return f"oss://{key}"


class _PolicyExpired(Exception):
    pass


async def upload_references(
    client: DashScopeClient,
    payload: Payload,
    cache: UploadCache,
    *,
    events: EventSink = ignore,
) -> dict[str, str]:
    """Upload every local reference not already cached; return cast name -> `oss://` URL."""
    settings = client.settings
    account = account_tag(settings.api_key)
    urls: dict[str, str] = {}
    policy: UploadPolicy | None = None
    for ref in payload.local_references:
        path = _readable(ref)
        digest = await asyncio.to_thread(file_sha256, path)
        key = cache_key(digest, payload.model, settings.base_url, account)
        cached = cache.get(key)
        if cached:
            urls[ref.name] = cached.url
            events(Event("upload", f"{ref.name}: reusing upload of {path.name}", {"cached": True}))
            continue
        size = path.stat().st_size
        name = object_name(path, digest)
        for attempt in range(2):
            if policy is None or attempt:
                policy = await client.get_upload_policy(payload.model)
            if policy.max_bytes is not None and size > policy.max_bytes:
                raise UploadError(f"{path.name} is {size} bytes; uploads take {policy.max_bytes}")
            try:
                url = await upload_one(client, policy, path, name)
                break
            except _PolicyExpired:
                continue
        else:
            raise UploadError(f"upload of {path.name} refused twice (403)")
        now = time.time()
        cache.put(key, CachedUpload(url, now, now + lifetimes().upload_seconds, path.name, size))
        urls[ref.name] = url
        events(Event("upload", f"{ref.name}: uploaded {path.name} ({size} bytes)", {"cached": False}))
    return urls


def _readable(ref: Reference) -> Path:
    assert ref.path is not None
    if not ref.path.is_file():
        raise UploadError(f"reference {ref.name}: no such file {ref.path}")
    return ref.path
