"""From folders to a batch: every story's key, fingerprint, summary and cost estimate.

Nothing is kept per story but the small `PlannedRow` handed on: payloads are compiled again
when a story's turn comes, so memory does not grow with the folder — except the first few a
run will send (`FirstPayloads`), so that its first creates leave without a second compile.
"""

from __future__ import annotations

import bisect
import hashlib
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from shotscript.batch import constants as C
from shotscript.batch.cost import Durations, PriceTable, estimate, local_video_seconds
from shotscript.batch.journal import PlannedRow
from shotscript.compiler.driver import Result
from shotscript.compiler.natural import natural_key
from shotscript.compiler.payload import Payload

# The naming lives in the compiler stage (`compile --out` mirrors the tree too); re-exported.
from shotscript.compiler.story_keys import (  # noqa: F401
    PREVIEW_SUFFIX,
    StoryFile,
    batch_base,
    inside,
    story_files,
    video_name,
)
from shotscript.media.check import check_file
from shotscript.runtime.record import fingerprint


@lru_cache(maxsize=1024)
def _sha256(path: Path, size: int, mtime_ns: int) -> str:
    # Keyed by size and mtime as well: a file changed during a run is hashed again.
    from shotscript.runtime.uploads import file_sha256

    return file_sha256(path)


def local_digests(payload: Payload) -> dict[str, str]:
    """The content hash of each local reference (cast name -> sha256)."""
    digests = {}
    for ref in payload.local_references:
        if ref.path is not None and ref.path.is_file():
            st = ref.path.stat()
            digests[ref.name] = _sha256(ref.path, st.st_size, st.st_mtime_ns)
    return digests


def request_fingerprint(payload: Payload, backend: str) -> str:
    """The journal key of a request: the compiled body, local files by content, the backend."""
    return fingerprint(payload, {**local_digests(payload), "backend": backend})


def summary(payload: Payload) -> dict[str, Any]:
    """What the report and `status` show of a story (no secret lives in a payload)."""
    meta = payload.meta
    return {
        "title": meta.title,
        "model": payload.model,
        "region": meta.region,
        "size": meta.size,
        "tier": meta.tier,
        "duration": payload.duration,
        "audio": meta.audio,
        "prompt": payload.input.prompt,
        "negative_prompt": payload.input.negative_prompt,
        "shots": [{"index": s.index, "start": s.start, "end": s.end, "text": s.text} for s in meta.shots],
        "cast": [
            {"name": r.name, "role": r.role, "kind": r.kind, "source": r.source} for r in meta.references
        ],
    }


def story_error(result: Result) -> dict[str, Any]:
    """A story that does not compile, as a journal error: its first diagnostics."""
    errors = [d for d in result.diagnostics if d.severity == "error"]
    first = errors[0].headline() if errors else f"{result.path}: cannot be compiled"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return {
        "kind": "story",
        "message": first + more,
        "retryable": False,
        "hint": f"shotscript check {result.path}",
        "diagnostics": [d.headline() for d in errors[: C.SUMMARY_ROWS_MAX]],
    }


Signature = tuple[int, int, int]  # a story file's (inode, size, mtime in ns)


def signature(path: Path) -> Signature | None:
    """What tells a story file changed since it was read (None: it cannot be read)."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_ino, st.st_size, st.st_mtime_ns


@dataclass(frozen=True)
class Planned:
    """One story planned: its journal row, and the check result (to print its diagnostics)."""

    file: StoryFile
    row: PlannedRow
    result: Result
    signature: Signature | None = None  # of the file, taken before it was read


class FirstPayloads:
    """The payloads of the first `size` stories a run will send, in the journal's order of work
    (natural order of keys), kept from planning: the first creates leave without compiling their
    stories again. Any other story is compiled again when its turn comes (while it waits on
    deck), so memory stays flat whatever the batch; a story whose file changed since it was read
    is compiled again too (the runner then finds it changed)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._order: list[tuple[tuple[tuple[int, int | str], ...], str]] = []  # (natural key, key)
        self._kept: dict[str, tuple[Path, Signature, Payload]] = {}

    def offer(self, planned: Planned) -> None:
        """Keep a story's payload if it is among the first ones to send (the caller knows it sends)."""
        payload, sig = planned.result.payload, planned.signature
        if payload is None or sig is None or self.size <= 0:
            return
        key = planned.file.key
        entry = (natural_key(key), key)
        if len(self._order) >= self.size and entry >= self._order[-1]:
            return
        bisect.insort(self._order, entry)
        self._kept[key] = (planned.file.path, sig, payload)
        if len(self._order) > self.size:
            _, dropped = self._order.pop()
            del self._kept[dropped]

    def take(self, key: str, path: Path) -> Payload | None:
        """The kept payload of a story, once, if its file is as it was read; else None."""
        kept = self._kept.pop(key, None)
        if kept is None or kept[0] != path or signature(path) != kept[1]:
            return None
        return kept[2]

    def __len__(self) -> int:
        return len(self._kept)


def plan_story(
    file: StoryFile,
    *,
    backend: str,
    prices: PriceTable,
    durations: Durations = local_video_seconds,
    model: str | None = None,
) -> Planned:
    """Check, compile, fingerprint and price one story (for `model`, when given)."""
    sig = signature(file.path)  # before reading: a change while it is read shows later
    result = check_file(file.path, model=model)
    payload = result.payload
    if payload is None or not result.ok:
        source = (result.source or "").encode()
        row = PlannedRow(
            key=file.key,
            fingerprint="invalid-" + hashlib.sha256(source).hexdigest()[:16],
            path=str(file.path),
            backend=backend,
            summary={"title": file.path.stem},
            error=story_error(result),
        )
        return Planned(file, row, result, sig)
    guess = estimate(payload, prices, durations)
    row = PlannedRow(
        key=file.key,
        fingerprint=request_fingerprint(payload, backend),
        path=str(file.path),
        backend=backend,
        summary=summary(payload),
        estimate_seconds=guess.billing.seconds,
        estimate_exact=guess.billing.exact,
        price=guess.price,
        currency=guess.currency,
    )
    return Planned(file, row, result, sig)


def plan(
    files: Sequence[StoryFile],
    *,
    backend: str,
    prices: PriceTable,
    durations: Durations = local_video_seconds,
    rendered: Callable[[str, str], str | None] | None = None,
    model: str | None = None,
) -> Iterator[Planned]:
    """Plan every story, in order. A request met before — earlier in the batch, or rendered
    into the output folder under another name (`rendered(fingerprint, key)`) — is marked
    `same_as` that story: it gets a copy of its video, not a second task."""
    first_of: dict[str, str] = {}  # fingerprint -> key: a few bytes per story
    for file in files:
        planned = plan_story(file, backend=backend, prices=prices, durations=durations, model=model)
        fp = planned.row.fingerprint
        if planned.row.error is None:
            same = first_of.get(fp) or (rendered(fp, file.key) if rendered else None)
            if same is not None:
                row = planned.row
                planned = Planned(file, PlannedRow(**{**row.__dict__, "same_as": same}), planned.result,
                                  planned.signature)
            else:
                first_of[fp] = file.key
        yield planned


def compile_for_render(path: Path, model: str | None = None) -> Result:
    """Check and compile a story again when its turn comes."""
    return check_file(path, model=model)
