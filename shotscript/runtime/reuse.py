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
from shotscript.facts.service import lifetimes
from shotscript.runtime.atomic import atomic_write_text
from shotscript.runtime.errors import RenderError
from shotscript.runtime.ledger import Ledger, Video
from shotscript.runtime.sidecar import sidecar_path
from shotscript.runtime.uploads import file_sha256


class PaidVideoLostError(RenderError):
    """This request was paid for, but its video changed or is gone and its task expired: not
    handed out, not paid again on its own; `--new-take` pays for another take."""

    kind = "paid_video_lost"


ReuseKind = Literal["in_place", "copy", "poll", "reconcile", "lost"]


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
    changed: list[Video] = []  # recorded videos of this request no longer whole (edited, replaced)
    for video in ledger.videos(fingerprint):
        if not _whole(video.path, video.size, video.sha256):
            changed.append(video)
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
        if changed:
            # Paid for, its video changed or gone, its task forgotten by the service: paying
            # again is the user's choice, never a silent one (and a changed file is never handed out).
            return Reuse(
                "lost",
                f"this request was paid for (task {changed[0].task_id}) but its video {changed[0].path} "
                "is changed or gone, and the service keeps a task only 24 h",
                task_id=changed[0].task_id,
            )
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


def from_sidecar(
    out_path: Path, fingerprint: str, payload: Payload, *, now: float | None = None
) -> Reuse | None:
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
    digest = data["output"].get("sha256") if isinstance(data["output"], dict) else None
    try:
        whole = out_path.is_file() and out_path.stat().st_size == size
        written = sidecar_path(out_path).stat().st_mtime
    except OSError:
        return None
    if not whole:
        return None
    # The sidecar's sha256 (older sidecars have none: their size must do): an edited or replaced
    # video is never kept as this request's; its task is fetched again while the service keeps it.
    if isinstance(digest, str) and file_sha256(out_path) != digest:
        now = time.time() if now is None else now
        changed = f"{out_path.name} is not the video its sidecar records (sha256 differs)"
        if now - written < lifetimes().task_seconds:
            return Reuse("poll", f"{changed}: task {task_id} polled and downloaded again, not paid again",
                         task_id=task_id)  # fmt: skip
        return Reuse("lost", f"{changed}, and the service keeps task {task_id} only 24 h", task_id=task_id)
    return Reuse("in_place", f"{out_path.name} and its sidecar are this request's (task {task_id}): kept, "
                 "not paid again", task_id=task_id)  # fmt: skip


def sidecar_task(video: Path) -> str | None:
    """The task id the sidecar beside `video` names (None: no readable sidecar)."""
    try:
        data = json.loads(sidecar_path(video).read_text("utf-8"))
        return str(data["task_id"]) if data.get("task_id") else None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def aside_name(video: Path, task_id: str) -> Path:
    """Where a paid video of another task is kept when a render would replace it."""
    return video.with_name(f"{video.stem}.{task_id[:8]}{video.suffix}")


def keep_aside(video: Path, task_id: str) -> tuple[str, Path] | None:
    """If `video` is a paid video of another task than `task_id` (its sidecar says so), move it and
    its sidecar beside it as `<stem>.<task id prefix>.mp4/.json`; that task and the new path."""
    other = sidecar_task(video)
    if other is None or other == task_id or not video.is_file():
        return None
    target = aside_name(video, other)
    if target.exists() or target.is_symlink():
        target = target.with_name(f"{video.stem}.{other}{video.suffix}")
    # Same folder: both renames stay inside the output folder.
    os.replace(video, target)
    side = sidecar_path(video)
    try:
        data = json.loads(side.read_text("utf-8"))
        data["video"] = target.name
        text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
        atomic_write_text(sidecar_path(target), text, mode=0o644)
        side.unlink()
    except (OSError, ValueError, TypeError):
        pass  # the video is safe; a sidecar that cannot be moved stays where it was
    return other, target


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
