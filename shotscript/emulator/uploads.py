"""Temporary file upload: the policy the API hands out and the OSS-like host that takes the files.

Step 1 (`GET /uploads?action=getPolicy&model=M`) issues a signed policy bound to the account
and model; step 2 (multipart `POST` to `upload_host`) checks it like OSS and stores the file;
creates then refer to it as `oss://<key>`.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import random
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from shotscript.emulator.clock import Clock
from shotscript.emulator.create_request import StoredMedia
from shotscript.emulator.multipart import Part
from shotscript.emulator.upload_media import inspect_media
from shotscript.facts.service import service

POLICY_SECONDS = 300  # how long a policy may be used
MAX_FILE_MB = 100
ACCESS_KEY_ID = "LTAI5tShotscriptEmulator"
BUCKET = "dashscope-instant"
# A fixed secret: signatures only have to be checkable, and repeatable runs are worth more.
_SECRET = b"shotscript-emulator-oss-secret"


class OssError(Exception):
    """An OSS error answer (XML on the wire)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message


@dataclass(frozen=True)
class Policy:
    """One issued upload policy."""

    upload_dir: str
    account: str
    model: str
    expires: float  # epoch seconds


@dataclass(frozen=True)
class StoredObject:
    """One uploaded file."""

    key: str
    path: Path
    size: int
    sha256: str
    media: StoredMedia
    expires: float  # epoch seconds


def sign(policy_b64: str) -> str:
    """The OSS form signature of a base64 policy document."""
    return base64.b64encode(hmac.new(_SECRET, policy_b64.encode(), hashlib.sha1).digest()).decode()


class UploadStore:
    """Policies handed out and files received, kept in a private temporary directory."""

    def __init__(self, clock: Clock, rng: random.Random, *, file_seconds: float = float("inf")) -> None:
        self._clock = clock
        self._rng = rng
        self._file_seconds = file_seconds  # how long an uploaded file can be used
        self._root = Path(tempfile.mkdtemp(prefix="shotscript-emulator-oss-"))
        self.policies: dict[str, Policy] = {}
        self.objects: dict[str, StoredObject] = {}

    def close(self) -> None:
        """Delete every stored file."""
        shutil.rmtree(self._root, ignore_errors=True)
        self.policies.clear()
        self.objects.clear()

    def issue(self, account: str, model: str, upload_host: str) -> dict[str, Any]:
        """A new policy, as the `data` of the getPolicy answer."""
        now = self._clock.wall()
        day = datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%d")
        token = f"{self._rng.getrandbits(128):032x}"
        upload_dir = f"{BUCKET}/{account}/{day}/{token}"
        expires = now + POLICY_SECONDS
        document = {
            "expiration": datetime.fromtimestamp(expires, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "conditions": [
                ["content-length-range", 0, MAX_FILE_MB * 1024 * 1024],
                ["starts-with", "$key", upload_dir],
                {"bucket": BUCKET},
                {"x-oss-object-acl": "private"},
                {"x-oss-forbid-overwrite": "true"},
            ],
        }
        policy_b64 = base64.b64encode(json.dumps(document).encode()).decode()
        self.policies[policy_b64] = Policy(upload_dir, account, model, expires)
        return {
            "policy": policy_b64,
            "signature": sign(policy_b64),
            "upload_dir": upload_dir,
            "upload_host": upload_host,
            "expire_in_seconds": POLICY_SECONDS,
            "max_file_size_mb": MAX_FILE_MB,
            "capacity_limit_mb": 999999999,
            "oss_access_key_id": ACCESS_KEY_ID,
            "x_oss_object_acl": "private",
            "x_oss_forbid_overwrite": "true",
        }

    async def accept(self, form: dict[str, Part]) -> StoredObject:
        """Check an upload form like OSS does and store its file; raise `OssError` if refused."""
        for name in ("OSSAccessKeyId", "Signature", "policy", "key", "file"):
            if name not in form:
                raise OssError(400, "InvalidArgument", f"The form field {name} is missing.")
        if form["OSSAccessKeyId"].text != ACCESS_KEY_ID:
            raise OssError(403, "InvalidAccessKeyId", "The OSS Access Key Id you provided does not exist.")
        policy_b64 = form["policy"].text
        if not hmac.compare_digest(form["Signature"].text, sign(policy_b64)):
            raise OssError(403, "SignatureDoesNotMatch", "The signature we calculated does not match.")
        policy = self.policies.get(policy_b64)
        if policy is None:
            raise OssError(403, "AccessDenied", "Invalid according to Policy: unknown policy.")
        if self._clock.wall() > policy.expires:
            raise OssError(403, "AccessDenied", "Invalid according to Policy: Policy expired.")
        key = form["key"].text
        if not key.startswith(policy.upload_dir + "/") or ".." in key.split("/"):
            condition = f'["starts-with", "$key", "{policy.upload_dir}"]'
            raise OssError(403, "AccessDenied", f"Invalid according to Policy: {condition}")
        data = form["file"].data
        if len(data) > MAX_FILE_MB * 1024 * 1024:
            raise OssError(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size.")
        forbid = form.get("x-oss-forbid-overwrite")
        forbidden = forbid is None or forbid.text.lower() == "true"
        if key in self.objects and forbidden:
            raise OssError(409, "FileAlreadyExists", "The object already exists and can not be overwritten.")
        path = self._root / hashlib.sha256(key.encode()).hexdigest()
        # Writing and probing the file blocks: keep it off the event loop.
        media = await asyncio.to_thread(self._store, path, data, key, policy)
        if key in self.objects and forbidden:  # a concurrent upload of the same key won
            raise OssError(409, "FileAlreadyExists", "The object already exists and can not be overwritten.")
        expires = self._clock.wall() + self._file_seconds
        stored = StoredObject(key, path, len(data), hashlib.sha256(data).hexdigest(), media, expires)
        self.objects[key] = stored
        return stored

    @staticmethod
    def _store(path: Path, data: bytes, key: str, policy: Policy) -> StoredMedia:
        path.write_bytes(data)
        return inspect_media(path, key, len(data), account=policy.account, model=policy.model)

    def _live(self, url: str) -> StoredObject | None:
        stored = self.objects.get(url.removeprefix(f"{service().upload_scheme}://"))
        return stored if stored is not None and self._clock.wall() <= stored.expires else None

    def lookup(self, url: str) -> StoredMedia | None:
        """What is known about the file behind an `oss://` URL, None if there is none (now)."""
        stored = self._live(url)
        return stored.media if stored else None

    def content_digest(self, url: str) -> str | None:
        """The SHA-256 of the file behind an `oss://` URL, None if there is none (now)."""
        stored = self._live(url)
        return stored.sha256 if stored else None
