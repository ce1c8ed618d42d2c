"""The batch loop: every story of the journal's current batch through any `Backend`.

Stories start as slots free up; a slot is given back as soon as the story's task has left
the service (its video downloads outside the quota). A story whose attempt fails in a way
that trying again can fix — a poll or download that broke, a create refused before any task
existed, a create whose outcome the task list cannot tell yet — is tried again in this run
(`policy.after_error`); everything else is reported with its reason.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shotscript.batch import constants as C
from shotscript.batch.display import Display
from shotscript.batch.journal import Journal, JournalRow, JournalStore, State
from shotscript.batch.pacing import Slots
from shotscript.batch.plan import (
    PREVIEW_SUFFIX,
    FirstPayloads,
    compile_for_render,
    request_fingerprint,
    video_name,
)
from shotscript.batch.policy import after_error, error_retryable, retry_delay, start_action
from shotscript.batch.thumbnails import make_thumbnail, thumbnail_path
from shotscript.runtime.backend import Backend
from shotscript.runtime.errors import RenderError
from shotscript.runtime.events import Event
from shotscript.runtime.ledger import billed_from_usage
from shotscript.runtime.record import STATES, RecordStore
from shotscript.runtime.reuse import keep_aside, place
from shotscript.runtime.sidecar import sidecar_path

Sleep = Callable[[float], Awaitable[None]]
# States after which a story no longer holds a task on the service.
_SLOT_FREE: tuple[State, ...] = ("downloading", "done", "failed", "needs-attention")


@dataclass(frozen=True)
class RunOptions:
    """How a run treats its stories."""

    out_dir: Path
    retry_failed: bool = False
    scale: float = 1.0  # multiplies the runner's own waits (emulator runs)
    max_attempts: int = C.STORY_MAX_ATTEMPTS
    run: int = 0  # the journal's id of this run: its rows are the work
    new_take: bool = False  # render done stories again (another paid take)
    model: str | None = None  # `--model`: every story for this model


class BatchStores:
    """The backend's record store of each output: its row of the journal (`JournalStore`)."""

    def __init__(self, journal: Journal, out_dir: Path) -> None:
        self.journal = journal
        self.out_dir = out_dir
        self.fingerprints: dict[str, str] = {}  # key -> fingerprint of the stories in progress
        self.on_save: Callable[[str, State], None] | None = None
        # Told when a paid video is moved aside (the ledger follows it); None without a ledger.
        self.on_moved: Callable[[str, Path, Path], None] | None = None

    def key_of(self, out_path: Path) -> str:
        """The story key of an output path (`<out>/<key>.mp4`, `<out>/<key>.preview.mp4`)."""
        return out_path.relative_to(self.out_dir).as_posix().removesuffix(PREVIEW_SUFFIX).removesuffix(".mp4")

    def __call__(self, out_path: Path) -> RecordStore:
        key = self.key_of(out_path)
        return JournalStore(
            self.journal,
            key,
            self.fingerprints[key],
            on_save=self.on_save,
        )


def usage_of(sidecar: Path) -> dict[str, Any] | None:
    """The service's `usage` recorded in a sidecar, if any."""
    try:
        usage = json.loads(sidecar.read_text("utf-8")).get("usage")
    except (OSError, ValueError, AttributeError):
        return None
    return usage if isinstance(usage, dict) and usage else None


def reason(error: dict[str, Any] | None) -> str | None:
    """One line saying why a story failed."""
    if not error:
        return None
    text = str(error.get("message") or error.get("kind") or "failed")
    hint = error.get("hint")
    return f"{text} (hint: {hint})" if hint else text


class BatchRunner:
    """Runs the journal's current batch through one backend."""

    def __init__(
        self,
        journal: Journal,
        backend: Backend,
        stores: BatchStores,
        *,
        options: RunOptions,
        display: Display,
        slots: Slots,
        sleep: Sleep = asyncio.sleep,
        rand: Callable[[], float] = random.random,
        task_ended: Callable[[str], None] | None = None,
        first: FirstPayloads | None = None,
        quiet_work: Callable[[], None] | None = None,
    ) -> None:
        self.journal = journal
        # Work for later (what the report needs: ~45 ms), done in the thumbnail thread at the
        # first quiet moment: once every slot holds a task (or every story does), when nothing
        # can be sent before a task ends — not after the last video, where it would delay the exit.
        self._quiet_work = quiet_work
        self._started = 0
        self._all_started = False
        self._with_task: set[str] = set()
        self.first = first  # payloads kept from planning: the first creates compile nothing again
        self.task_ended = task_ended  # tells the pacer a task will not be polled any more
        self.backend = backend
        self.stores = stores
        self.options = options
        self.display = display
        self.slots = slots
        self.sleep = sleep
        self.rand = rand
        self._holding: set[str] = set()
        self.skipped: set[str] = set()  # stories this run found done
        self.notes: dict[str, str] = {}  # story -> how it got its video without a task of its own
        self._paid_elsewhere: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        # Thumbnails can wait: a thread of their own, so that the probes and hashing of the
        # stories in flight never queue behind them.
        self._thumbnails = ThreadPoolExecutor(1, thread_name_prefix="shotscript-thumbnails")
        stores.on_save = self._saved

    def _name(self, key: str) -> str:
        return video_name(key, self.backend.name)

    # --- slots and states -------------------------------------------------------------------

    def _saved(self, key: str, state: State) -> None:
        """The backend wrote a record: show the state; free the slot once the task is over."""
        self.display.state(key, state)
        if state in _SLOT_FREE:
            self._release(key)
        if state in ("submitted", "running") and self._quiet_work is not None:
            self._with_task.add(key)
            self._when_quiet()

    def _when_quiet(self) -> None:
        holding = len(self._with_task)
        if self._quiet_work is None or not (holding >= self.slots.limit or
                                            (self._all_started and holding >= self._started)):  # fmt: skip
            return
        work, self._quiet_work = self._quiet_work, None
        self._with_task.clear()
        self._thumbnails.submit(work)

    def _release(self, key: str) -> None:
        if key in self._holding:
            self._holding.discard(key)
            self.slots.release()

    async def _acquire(self, key: str) -> None:
        await self.slots.acquire()
        self._holding.add(key)

    def _sink(self, key: str) -> Callable[[Event], None]:
        def sink(event: Event) -> None:
            if event.kind == "warning":
                self.display.message(key, event.message, warning=True)
            elif event.kind in ("retry", "note"):
                self.display.message(key, event.message)
            elif event.kind == "phase" and event.data.get("phase") in STATES:
                self.display.state(key, event.data["phase"])

        return sink

    # --- the batch ------------------------------------------------------------------------------

    async def run(self) -> None:
        """Render every story that needs it; return when all have ended (or on cancellation)."""
        try:
            for key, fingerprint, path, state in self.journal.work(self.options.run):
                if not self._wanted(key, fingerprint, state):  # type: ignore[arg-type]
                    continue
                await self._acquire(key)
                task = asyncio.create_task(self._story(key, fingerprint, Path(path)), name=key)
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
                self._started += 1
            self._all_started = True
            self._when_quiet()
            while self._tasks:
                await asyncio.wait(set(self._tasks))
            await self._copies()
        except asyncio.CancelledError:
            for task in self._tasks:
                task.cancel()
            if self._tasks:
                await asyncio.wait(set(self._tasks))
            raise
        finally:
            self._thumbnails.shutdown(wait=False, cancel_futures=True)

    def _wanted(self, key: str, fingerprint: str, state: State) -> bool:
        """Whether this run works on a row; a skipped row is counted at once."""
        row = self.journal.row(key, fingerprint) if state in ("done", "failed") else None
        video = self.stores.out_dir / self._name(key)
        retryable = error_retryable(row.error) if row else False
        if start_action(state, video_exists=video.exists(), retry_failed=self.options.retry_failed,
                        retryable=retryable, new_take=self.options.new_take) == "render":  # fmt: skip
            return True
        tally = self.display.tally
        if state == "done":
            tally.skipped += 1
            self.skipped.add(key)
        elif row is not None and row.error and row.error.get("kind") == "story":
            # Its diagnostics were printed while planning: it never compiled, it did not "fail earlier".
            tally.failed += 1
            # An error, not a warning: the story is failed (exit 1) and nothing was sent for it.
            self.display.message(key, f"error: does not compile: {reason(row.error)}")
        else:
            tally.failed += 1
            self.display.message(key, f"failed earlier: {reason(row.error if row else None)}", warning=True)
        return False

    async def _story(self, key: str, fingerprint: str, path: Path) -> None:
        """One story, tried again while the policy says it may help; never raises but cancel."""
        attempt = 0
        out_path = self.stores.out_dir / self._name(key)
        self.display.state(key, "starting")
        try:
            while True:
                attempt += 1
                self.journal.started(key, fingerprint)
                error = await self._attempt(key, fingerprint, path, out_path)
                if error is None:
                    await self._finish_done(key, fingerprint, out_path)
                    return
                row = self.journal.row(key, fingerprint)
                state: State = row.state if row else "failed"
                decision = after_error(
                    state,
                    task_id=row.task_id if row else None,
                    retryable=bool(error.get("retryable")),
                    attempts=attempt,
                    max_attempts=self.options.max_attempts,
                )
                if error.get("kind") == "unreadable_record":
                    decision = "give_up"  # only the user can tell more: no retry within the run
                if decision == "give_up":
                    self._finish_failed(key, fingerprint, state, error)
                    return
                if decision == "resubmit":
                    # No task exists (the create was refused): queued again, honestly.
                    self.journal.update(key, fingerprint, state="queued")
                self._release(key)
                delay = retry_delay(attempt, self.rand(), self.options.scale)
                self.display.message(key, f"{reason(error)}; trying again in {delay:.1f}s ({decision})")
                self.display.state(key, "waiting")
                await self.sleep(delay)
                await self._acquire(key)
        finally:
            self._release(key)
            self.stores.fingerprints.pop(key, None)
            row = self.journal.row(key, fingerprint)
            if self.task_ended is not None and row is not None and row.task_id:
                self.task_ended(row.task_id)

    async def _attempt(self, key: str, fingerprint: str, path: Path, out_path: Path) -> dict[str, Any] | None:
        """One try through the backend: None when the video is there, else the error."""
        payload = self.first.take(key, path) if self.first is not None else None
        if payload is None:
            result = compile_for_render(path, self.options.model)  # a millisecond of CPU: no thread
            payload = result.payload if result.ok else None
        # Local files by content: a reference changed since planning is a changed request.
        if payload is None or request_fingerprint(payload, self.backend.name) != fingerprint:
            return {
                "kind": "changed",
                "message": "the story changed while the batch ran",
                "hint": "run the same command again",
                "retryable": False,
            }
        self.stores.fingerprints[key] = fingerprint
        try:
            rendered = await self.backend.render(payload, out_path, self._sink(key))
        except RenderError as exc:
            return {**exc.to_dict(), "hint": exc.hint} if exc.hint else exc.to_dict()
        except (asyncio.CancelledError, KeyboardInterrupt):
            raise
        except Exception as exc:  # a backend's bug must not end the batch: report it as the reason
            return {"kind": "internal", "message": f"{type(exc).__name__}: {exc}", "retryable": False}
        if rendered.reused:
            self.notes[key] = rendered.reused
        if not rendered.billed_here:
            self._paid_elsewhere.add(key)
        return None

    async def _finish_done(self, key: str, fingerprint: str, out_path: Path) -> None:
        usage = usage_of(sidecar_path(out_path))
        billed = billed_from_usage(usage)  # None for an animatic: nothing was billed
        if key in self._paid_elsewhere:
            billed = 0.0  # a copy of a video another render paid for
        self.journal.update(
            key, fingerprint, state="done", video=self._name(key), usage=usage, billed_seconds=billed,
            error=None, timings={"finished": time.time()},
        )  # fmt: skip
        self._release(key)
        await self._thumbnail(key, out_path)
        self.display.finished(key, "done")

    def _finish_failed(self, key: str, fingerprint: str, state: State, error: dict[str, Any]) -> None:
        if state not in ("queued", "uploading", "failed", "submitted", "running", "downloading", "done"):
            # "submitting" (or a state this version does not know): the create may have made a
            # task whose id could not be recorded (a disk full, a bug). Never "failed": a rerun,
            # --retry-failed or not, reconciles it first.
            self.journal.update(key, fingerprint, state="needs-attention", error=error)
            shown: State = "needs-attention"
        elif state in ("submitted", "running", "downloading"):
            # A task exists: the row keeps its state (a rerun resumes it) and the reason.
            self.journal.update(key, fingerprint, error=error)
            shown = "failed"
        else:
            self.journal.update(key, fingerprint, state="failed", error=error)
            shown = "failed"
        self.display.finished(key, shown, reason(error))

    async def _thumbnail(self, key: str, video: Path) -> None:
        try:
            loop = asyncio.get_running_loop()
            target = thumbnail_path(self.options.out_dir, key)
            await loop.run_in_executor(self._thumbnails, make_thumbnail, video, target)
        except Exception as exc:  # a contact sheet without this picture is still a report
            self.display.message(key, f"no thumbnail: {exc}", warning=True)

    # --- copies of identical requests ------------------------------------------------------------

    async def _copies(self) -> None:
        """Stories whose request equals an earlier story's get that story's video, not a task."""
        copies = [r for r in self.journal.run_rows(self.options.run) if r.same_as is not None]
        for row in copies:  # the story copied has the same request: the same fingerprint
            await self._copy(row, self.journal.row(row.same_as or "", row.fingerprint))

    async def _copy(self, row: JournalRow, source: JournalRow | None) -> None:
        out = self.options.out_dir
        target = out / self._name(row.key)
        if row.state == "done" and target.exists():
            self.display.tally.skipped += 1
            self.skipped.add(row.key)
            return
        if source is None or source.state != "done" or not (out / self._name(source.key)).exists():
            error = {
                "kind": "same_as",
                "message": f"same request as {row.same_as}, which is {source.state if source else 'missing'}",
                "retryable": True,
            }
            self.journal.update(row.key, row.fingerprint, state="failed", error=error)
            self.display.finished(row.key, "failed", reason(error))
            return
        video = out / self._name(source.key)
        # A paid video of another task at the target (the story was edited into a copy of
        # another): kept beside it, never replaced.
        try:
            kept = await asyncio.to_thread(keep_aside, target, source.task_id or "")
        except OSError as exc:
            message = f"{target.name} could not be kept aside: {exc}"
            error = {"kind": "output", "message": message, "retryable": True}
            self.journal.update(row.key, row.fingerprint, state="failed", error=error)
            self.display.finished(row.key, "failed", reason(error))
            return
        if kept is not None:
            other, path = kept
            if self.stores.on_moved is not None:
                self.stores.on_moved(other, target, path)
            self.display.message(row.key, f"{target.name} was task {other}'s paid video: kept as {path.name}")
        await asyncio.to_thread(place, video, target)
        if sidecar_path(video).exists():
            await asyncio.to_thread(place, sidecar_path(video), sidecar_path(target))
        self.journal.update(
            row.key, row.fingerprint, state="done", video=self._name(row.key), billed_seconds=0.0,
            error=None, task_id=source.task_id, timings={"finished": time.time()},
        )  # fmt: skip
        await self._thumbnail(row.key, target)
        self.display.finished(row.key, "done")
        self.notes[row.key] = f"same request as {source.key}: its video, no second task"
        self.display.message(row.key, self.notes[row.key])
