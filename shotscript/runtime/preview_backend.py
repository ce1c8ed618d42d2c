"""The offline preview backend: an animatic per story, no key, no network, no cost.

It sits behind the same `Backend` protocol as DashScope and keeps the same records, so
batches, resume and reports treat both alike.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from shotscript.compiler.payload import Payload
from shotscript.facts.version import __version__
from shotscript.runtime.atomic import atomic_write_text
from shotscript.runtime.download import probe_video
from shotscript.runtime.events import Event, EventSink
from shotscript.runtime.lifecycle import RenderResult
from shotscript.runtime.record import MemoryRecordStore, RecordStore, TaskRecord, fingerprint
from shotscript.runtime.sidecar import checks, iso, sidecar_path
from shotscript.runtime.uploads import file_sha256

# Part of the fingerprint: a new renderer version makes old previews stale.
RENDERER = f"preview/{__version__}"


class PreviewBackend:
    """Renders an animatic MP4 (PyAV) of the story's cut: its size, 30 fps, its duration."""

    name = "preview"

    def __init__(
        self,
        *,
        store: RecordStore | None = None,
        force: bool = False,
        stores: Callable[[Path], RecordStore] | None = None,
    ) -> None:
        self.store = store
        self.force = force
        self.stores = stores  # a batch's journal: the record store of each output
        self._warned_cjk = False

    def store_for(self, out_path: Path) -> RecordStore:
        """The record store of an output: the engine's journal row, the one given, or memory."""
        if self.stores is not None:
            return self.stores(out_path)
        if self.store is None:
            self.store = MemoryRecordStore()
        return self.store

    async def render(self, payload: Payload, out_path: Path, events: EventSink) -> RenderResult:
        """Draw the animatic to `out_path` and its sidecar, unless an up-to-date one exists."""
        from shotscript.preview import render_animatic  # PyAV and Pillow: only when used

        story = out_path.stem
        store = self.store_for(out_path)
        digests = {
            r.name: await asyncio.to_thread(file_sha256, r.path)
            for r in payload.local_references
            if r.path is not None and r.path.is_file()
        }
        fp = fingerprint(payload, {**digests, "renderer": RENDERER})
        previous = store.load(story)
        if (not self.force and previous is not None and previous.fingerprint == fp
                and previous.phase == "done" and out_path.exists()):
            return RenderResult(story, out_path, sidecar_path(out_path), None, 0, None,
                                previous.timings, skipped=True)
        record = TaskRecord(story=story, fingerprint=fp).advance("running")
        store.save(record)
        events(Event("phase", f"{story}: drawing the preview"))
        try:
            out_path.parent.mkdir(parents=True, exist_ok=True)
            result = await asyncio.to_thread(render_animatic, payload, out_path)
            probe = await asyncio.to_thread(probe_video, out_path)
        except Exception as exc:  # PyAV and Pillow raise many kinds; the record keeps why
            store.save(record.advance("failed", error={"code": "PreviewFailed", "message": str(exc)}))
            raise
        record = record.advance("done")
        store.save(record)
        document: dict[str, Any] = {
            "shotscript": __version__,
            "backend": self.name,
            "story": story,
            "story_path": str(payload.meta.story_path) if payload.meta.story_path else None,
            "title": payload.meta.title,
            "video": out_path.name,
            "request": payload.body(),
            "prompt": payload.input.prompt,
            "timings": {k: iso(v) for k, v in record.timings.items()},
            "seconds": {"render": round(result.seconds, 3)},
            "font": result.font,
            "cjk_font": result.cjk_font,
            "missing_thumbnails": list(result.missing_thumbnails),
            "checks": checks(payload, probe),
        }
        sidecar = sidecar_path(out_path)
        text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
        await asyncio.to_thread(atomic_write_text, sidecar, text, mode=0o644)
        if not result.cjk_font and result.text_omitted and not self._warned_cjk:
            self._warned_cjk = True  # once per run, not once per story
            events(Event("warning", "no CJK font found: Chinese text is summarised on the cards "
                                    "(install fonts-wqy-zenhei or Noto Sans CJK, then redraw these previews "
                                    "with `preview --force` or `render --new-take`; they cost nothing)"))
        events(Event("phase", f"{story}: preview written ({result.seconds:.1f} s)"))
        return RenderResult(story, out_path, sidecar, None, 0, probe, record.timings)
