"""Before paying: has this very request been paid for already? The ledger and sidecars say.

A video of the request that is still whole (same size and sha256) is kept in place or copied
(a hard link when it can be); a task of it that the service still keeps (< 24 h) is polled; a
create of it whose answer was lost is reconciled. Only when none applies is a create sent.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from shotscript.compiler.payload import Payload
from shotscript.runtime.ledger import Ledger
from shotscript.runtime.sidecar import sidecar_path
from shotscript.runtime.uploads import file_sha256

ReuseKind = Literal["in_place", "copy", "poll", "reconcile"]


@dataclass(frozen=True)
class Reuse:
    """What was paid already for a request, and what to do instead of paying again."""

    kind: ReuseKind
    message: str
    task_id: str | None = None
    source: Path | None = None  # the video to copy
    submitting_at: float | None = None  # of a create whose answer was lost


def _whole(path: Path, size: int, sha256: str) -> bool:
    try:
        return path.is_file() and path.stat().st_size == size and file_sha256(path) == sha256
    except OSError:
        return False


def from_ledger(
    ledger: Ledger, fingerprint: str, out_path: Path, *, now: float | None = None
) -> Reuse | None:
    """What the ledger knows of this request that saves paying for it again."""
    now = time.time() if now is None else now
    target = out_path.resolve()
    for video in ledger.videos(fingerprint):
        if not _whole(video.path, video.size, video.sha256):
            continue
        if video.path == target:
            return Reuse("in_place", f"{out_path.name} is this request's video (task {video.task_id}): kept, "
                         "not paid again", task_id=video.task_id)  # fmt: skip
        return Reuse(
            "copy",
            f"same request as {video.path} (task {video.task_id}): its video copied here, not paid again "
            "(--new-take pays for another take)",
            task_id=video.task_id,
            source=video.path,
        )
    spend = ledger.latest(fingerprint)
    if spend is None or not spend.live(now):
        return None
    where = f"into {spend.folder}" if spend.folder != str(out_path.parent.resolve()) else "here"
    if spend.task_id is not None:
        return Reuse(
            "poll",
            f"task {spend.task_id} is this request (sent {where}): polled instead of paying again "
            "(--new-take pays for another take)",
            task_id=spend.task_id,
        )
    if spend.state == "submitting":
        return Reuse(
            "reconcile",
            f"an earlier create of this request (sent {where}) went unanswered: the task list is asked "
            "before anything is sent",
            submitting_at=spend.submitting_at,
        )
    return None


def from_sidecar(out_path: Path, fingerprint: str, payload: Payload) -> Reuse | None:
    """A video beside its sidecar that says it is this request's (the journal and ledger lost)."""
    try:
        data: dict[str, Any] = json.loads(sidecar_path(out_path).read_text("utf-8"))
        size = int(data["output"]["bytes"])
        task_id = str(data["task_id"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    # Sidecars written before the ledger carry no fingerprint: the body sent must then be equal.
    older = "request_fingerprint" not in data and not payload.local_references
    same = data.get("request_fingerprint") == fingerprint or (older and data.get("request") == payload.body())
    if not same or data.get("backend", "dashscope") != "dashscope":
        return None
    try:
        whole = out_path.is_file() and out_path.stat().st_size == size
    except OSError:
        whole = False
    if not whole:
        return None
    return Reuse("in_place", f"{out_path.name} and its sidecar are this request's (task {task_id}): kept, "
                 "not paid again", task_id=task_id)  # fmt: skip


def place(source: Path, target: Path) -> None:
    """Put a copy of `source` at `target` (a hard link when the file system allows), atomically,
    never following a link planted at the temporary name."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.copy")
    partial.unlink(missing_ok=True)
    try:
        os.link(source, partial)  # fails if anything (a symlink too) is at `partial`
    except OSError:
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        fd = os.open(partial, flags, 0o644)
        with os.fdopen(fd, "wb") as out, source.open("rb") as src:
            shutil.copyfileobj(src, out)
            out.flush()
            os.fsync(out.fileno())
    try:
        os.replace(partial, target)
    except BaseException:
        with contextlib.suppress(OSError):
            partial.unlink()
        raise
