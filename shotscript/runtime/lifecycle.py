"""One story end to end: upload, submit, poll, download — resumable, never paying twice."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import random
import time
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, assert_never

from shotscript.compiler.payload import Payload
from shotscript.runtime import constants as C
from shotscript.runtime import failpoints
from shotscript.runtime.atomic import output_error
from shotscript.runtime.client import DashScopeClient, TaskSnapshot
from shotscript.runtime.download import VideoProbe, download_video
from shotscript.runtime.errors import (
    OutcomeUnknownError,
    PollTimeoutError,
    ProtocolError,
    RenderError,
    TaskCanceledError,
    TaskUnknownError,
    UnfollowableCreateError,
    error_from_task,
)
from shotscript.runtime.events import Event, EventSink, ignore
from shotscript.runtime.ledger import Ledger, billed_from_usage, request_key
from shotscript.runtime.poll_schedule import poll_delay
from shotscript.runtime.preflight import PreflightError, check_output
from shotscript.runtime.reconcile import Listed, look, same_prompt, settle
from shotscript.runtime.record import (
    Action,
    RecordStore,
    State,
    TaskRecord,
    UnreadableRecordError,
    fingerprint,
    resume_action,
)
from shotscript.runtime.retry_policy import outcome_unknown
from shotscript.runtime.reuse import (
    PaidVideoLostError,
    Reuse,
    from_ledger,
    from_sidecar,
    keep_aside,
    place,
    sidecar_task,
)
from shotscript.runtime.sidecar import build_sidecar, sidecar_path, write_sidecar
from shotscript.runtime.uploads import UploadCache, account_tag, file_sha256, upload_references

Sleep = Callable[[float], Awaitable[None]]
# Held from writing "submitting" until the create's task id is recorded, and while the task
# list is read after an unanswered create: a batch passes one shared lock, so that at most one
# create of the batch is ever in flight and the list is never read while one is (its task
# could be taken for another story's). The candidates the list showed are then followed to
# their end outside the lock: that takes minutes, and the batch's other creates go on.
SubmitGate = Callable[[], AbstractAsyncContextManager[object]]
# What a user who found a story's task in the console runs (`shotscript.batch.adopt`).
ADOPT = "`shotscript adopt OUT STORY TASK`"


@dataclass(frozen=True)
class RenderResult:
    """A rendered story: where the video and its sidecar are, and how it went."""

    story: str
    video: Path
    sidecar: Path
    task_id: str | None
    polls: int
    probe: VideoProbe | None
    timings: dict[str, float] = field(default_factory=dict)
    skipped: bool = False
    reused: str | None = None  # how an earlier payment was reused instead of a new task (the line said)
    billed_here: bool = True  # False when the video was paid for by another render (a copy)


@dataclass
class Lifecycle:
    """The state machine of one story's render over a client and a record store."""

    client: DashScopeClient
    store: RecordStore
    uploads: UploadCache
    events: EventSink = ignore
    sleep: Sleep = asyncio.sleep
    rand: Callable[[], float] = random.random
    resubmit: bool = False
    new_take: bool = False
    # Task ids known to belong to other stories (a batch journal's): never adopted. A callable
    # is asked at the moment of reconciling, so tasks created meanwhile are known too.
    known_tasks: frozenset[str] | Callable[[], frozenset[str]] = frozenset()
    submit_gate: SubmitGate = contextlib.nullcontext
    # The per-user ledger of money spent (None: this lifecycle keeps no ledger, e.g. in a unit test).
    ledger: Ledger | None = None
    # Held from looking the request up in the ledger until its task id is recorded: two renders
    # of one request, from any folders, never both send a create (see ledger.request_lock).
    request_lock: Callable[[str], AbstractAsyncContextManager[object]] | None = None
    _record: TaskRecord | None = field(default=None, init=False)
    _key: str = field(default="", init=False)  # the ledger's fingerprint of this request
    _spend: int | None = field(default=None, init=False)  # the ledger row of the create in flight
    _out: Path = field(default=Path(), init=False)
    _sent: Payload | None = field(default=None, init=False)
    _sent_prompt: str | None = field(default=None, init=False)
    _unfollowable: bool = field(default=False, init=False)  # see run()

    # --- record keeping -------------------------------------------------------------------

    @property
    def record(self) -> TaskRecord:
        """The current record (set once a run has started)."""
        assert self._record is not None
        return self._record

    def _save(self, record: TaskRecord) -> TaskRecord:
        if record.unreadable and record.task_id is not None:
            record = record.model_copy(update={"unreadable": False})  # found: readable again
        self.store.save(record)
        self._record = record
        return record

    def _enter(self, phase: State, message: str = "", **changes: Any) -> None:
        self._save(self.record.advance(phase, **changes))
        self.events(Event("phase", message or phase, {"phase": phase}))

    def _fail(self, error: RenderError, phase: State | None = None) -> RenderError:
        """Note an error on the record (keeping the phase unless told) and return it."""
        changes: dict[str, Any] = {"error": error.to_dict()}
        self._save(self.record.advance(phase or self.record.phase, **changes))
        return error

    # --- the whole story --------------------------------------------------------------------

    async def run(self, payload: Payload, out_path: Path, *, story: str) -> RenderResult:
        """Render one story to `out_path`, resuming whatever an earlier run left behind."""
        digests = {
            r.name: await asyncio.to_thread(file_sha256, r.path)
            for r in payload.local_references
            if r.path is not None and r.path.is_file()
        }
        fp = fingerprint(payload, digests)
        self._out = out_path
        self._sent = payload
        previous = self.store.load(story)
        action = resume_action(
            previous,
            fingerprint=fp,
            output_exists=out_path.exists(),
            resubmit=self.resubmit,
            new_take=self.new_take,
        )
        # An earlier create was accepted with an answer that cannot be followed: the task list
        # proving "nothing" does not make another create safe (only --resubmit does).
        self._unfollowable = (previous is not None and previous.fingerprint == fp
                              and (previous.error or {}).get("kind") == UnfollowableCreateError.kind)
        if previous is not None and previous.unreadable:
            # What it said is lost, but a create may have been sent: keep that possibility.
            self._record = TaskRecord(story=story, fingerprint=fp, phase="needs-attention",
                                      task_id=previous.task_id, submissions=1, adopted=True,
                                      unreadable=previous.task_id is None)  # fmt: skip
        elif previous is not None and previous.fingerprint == fp:
            self._record = previous.model_copy(update={"error": None})
        else:
            self._record = TaskRecord(story=story, fingerprint=fp)
            if previous is not None and previous.task_id and previous.phase not in ("done", "failed"):
                self.events(
                    Event(
                        "warning",
                        f"the story changed; earlier task {previous.task_id} is abandoned",
                    )
                )
        if action == "skip":
            return self._result(story, out_path, None, skipped=True)
        if action == "submit":
            # A new request (first run, a failed task, --new-take, --resubmit): a clean record,
            # keeping only the count of creates ever sent for this very request.
            self._record = TaskRecord(story=story, fingerprint=fp, submissions=self.record.submissions)
        timings = {**self.record.timings, "started": time.time()}
        self._save(self.record.model_copy(update={"timings": timings}))
        settings = self.client.settings
        account = account_tag(settings.api_key)
        self._key = request_key(payload, digests, base_url=settings.base_url, account=account)
        self._sent_prompt = payload.input.prompt
        if previous is not None and previous.unreadable and not self.resubmit:
            return await self._unreadable(previous, payload, out_path, story)
        if action != "submit":
            return await self._go(action, payload, out_path, story)
        if self.request_lock is None:
            return await self._fresh(payload, out_path, story)
        async with self.request_lock(self._key):
            return await self._fresh(payload, out_path, story)

    async def _fresh(self, payload: Payload, out_path: Path, story: str) -> RenderResult:
        """A request this folder has not sent: reuse what was paid for it anywhere, else pay."""
        reuse = None
        if not self.new_take and not self.resubmit:
            reuse = from_ledger(self.ledger, self._key, out_path) if self.ledger is not None else None
            reuse = reuse or from_sidecar(out_path, self._key, payload)
        if reuse is None:
            earlier = self.ledger.latest(self._key) if self.ledger is not None and self.new_take else None
            if earlier is not None:
                self.events(Event("note", f"--new-take: paying for take {earlier.take + 1} of a request "
                                          f"already sent (task {earlier.task_id or 'unknown'})"))  # fmt: skip
            return await self._go("submit", payload, out_path, story)
        return await self._apply(reuse, payload, out_path, story)

    async def _unreadable(
        self, previous: TaskRecord, payload: Payload, out_path: Path, story: str
    ) -> RenderResult:
        """A record that cannot be read: find the task it may have made; never pay on a guess."""
        if previous.task_id is not None:
            return await self._go("poll", payload, out_path, story)
        reuse = from_ledger(self.ledger, self._key, out_path) if self.ledger is not None else None
        reuse = reuse or from_sidecar(out_path, self._key, payload)
        if reuse is not None:
            return await self._apply(reuse, payload, out_path, story)
        message = (previous.error or {}).get("message") or f"{story}: its record cannot be read"
        error = UnreadableRecordError(
            str(message),
            hint=f"look for its task among the last 24 hours' (the Model Studio console): {ADOPT} "
            "claims it; if none is this story's, run the same command with --resubmit",
        )
        raise self._fail(error, "needs-attention")

    async def _apply(self, reuse: Reuse, payload: Payload, out_path: Path, story: str) -> RenderResult:
        """Act on an earlier payment for this request instead of paying again."""
        self.events(Event("note", reuse.message))
        match reuse.kind:
            case "in_place" | "copy":
                return await self._reuse_video(reuse, payload, out_path, story)
            case "poll":
                assert reuse.task_id is not None
                self._enter("submitted", reuse.message, task_id=reuse.task_id, adopted=True)
                return await self._go("poll", payload, out_path, story, reused=reuse.message)
            case "reconcile":
                self._save(self.record.model_copy(update={"submitting_at": reuse.submitting_at}))
                return await self._go("reconcile", payload, out_path, story)
            case "lost":
                # Failed, not needs-attention: reconciling could only end in paying again.
                hint = "rerun with --new-take to pay for another take of it"
                error = PaidVideoLostError(reuse.message, hint=hint)
                raise self._fail(error, "failed")
            case _:
                assert_never(reuse.kind)

    async def _reuse_video(self, reuse: Reuse, payload: Payload, out_path: Path, story: str) -> RenderResult:
        """Keep (or copy into place) a video this request already paid for, with its sidecar."""
        if reuse.source is not None:
            assert reuse.task_id is not None
            self._keep_aside(out_path, reuse.task_id)
            await asyncio.to_thread(place, reuse.source, out_path)
            source_sidecar = sidecar_path(reuse.source)
            # Only the sidecar of the very task copied: never one describing another request's.
            if sidecar_task(reuse.source) == reuse.task_id:
                await asyncio.to_thread(place, source_sidecar, sidecar_path(out_path))
        if self.ledger is not None and reuse.task_id is not None:
            self._learn(reuse.task_id)
            if reuse.source is not None:
                digest = await asyncio.to_thread(file_sha256, out_path)
                self.ledger.video(reuse.task_id, out_path, digest, out_path.stat().st_size)
        self._enter("done", reuse.message, task_id=reuse.task_id, adopted=True)
        result = self._result(story, out_path, None)
        return dataclasses.replace(result, reused=reuse.message, billed_here=reuse.source is None)

    async def _go(
        self, action: Action, payload: Payload, out_path: Path, story: str, *, reused: str | None = None
    ) -> RenderResult:
        """Reconcile, submit or poll as `action` says, then download."""
        sent = payload
        if action == "reconcile":
            sent = payload.with_uploads(self.record.uploads)
            async with self.submit_gate():
                listed = await self._look(sent)
            await self._settle(sent, listed)
            if self.record.task_id is None:
                if self._unfollowable:
                    raise self._fail(_unfollowable("an earlier create's answer could not be followed"),
                                     "needs-attention")
                action = "submit"  # the list proved the earlier create made nothing
        if action == "submit":
            try:  # before anything is paid: could the result be saved at all?
                await asyncio.to_thread(check_output, out_path, duration=payload.duration)
            except PreflightError as exc:
                raise self._fail(exc, "failed") from None
            sent = await self._upload(payload)
            await self._submit(sent)
        elif action == "poll":
            sent = payload.with_uploads(self.record.uploads)
            if reused is None:
                self.events(Event("note", f"resuming task {self.record.task_id}"))
        snapshot = await self._poll()
        probe = await self._download(sent, snapshot, out_path, story)
        return dataclasses.replace(self._result(story, out_path, probe), reused=reused)

    def _result(
        self, story: str, out_path: Path, probe: VideoProbe | None, *, skipped: bool = False
    ) -> RenderResult:
        return RenderResult(
            story=story,
            video=out_path,
            sidecar=sidecar_path(out_path),
            task_id=self.record.task_id,
            polls=self.record.polls,
            probe=probe,
            timings=dict(self.record.timings),
            skipped=skipped,
        )

    # --- phases -----------------------------------------------------------------------------

    async def _upload(self, payload: Payload) -> Payload:
        if not payload.local_references:
            return payload
        self._enter("uploading", f"uploading {len(payload.local_references)} local file(s)")
        try:
            urls = await upload_references(self.client, payload, self.uploads, events=self.events)
        except RenderError as exc:
            raise self._fail(exc, "failed") from None
        self._save(self.record.model_copy(update={"uploads": urls}))
        return payload.with_uploads(urls)

    async def _submit(self, sent: Payload) -> None:
        body = sent.body()
        # Another create only after the task list proved the previous one made nothing.
        for _ in range(C.CREATE_MAX_SENDS):
            async with self.submit_gate():
                unknown = await self._create(sent, body)
                if unknown is None:
                    return
                listed = await self._look(sent, request_id=getattr(unknown, "request_id", None))
            await self._settle(sent, listed)
            if self.record.task_id is not None:
                return
            if isinstance(unknown, ProtocolError):
                # The service accepted the create and answered something unreadable (no or
                # a malformed task id): a task exists that the list may never show us.
                raise self._fail(_unfollowable(unknown.message), "needs-attention") from None
        raise self._fail(
            OutcomeUnknownError(
                f"create failed {C.CREATE_MAX_SENDS} times without an answer",
                hint="check the Model Studio console for tasks of this story before running again "
                f"({ADOPT} claims one)",
            ),
            "needs-attention",
        )

    async def _create(self, sent: Payload, body: dict[str, Any]) -> RenderError | None:
        """Send one create (under the submit gate): None once its task id is recorded, the
        error when its outcome is unknown; raises when it was refused (no task exists)."""
        # Written before the request leaves: a crash now leaves "submitting" behind, and the
        # next run reconciles instead of paying again. The ledger first: it outlives the
        # output folder.
        if self.ledger is not None:
            settings = self.client.settings
            self._spend = self.ledger.submitting(
                self._key, sent, base_url=settings.base_url, account=account_tag(settings.api_key),
                out_path=self._out, new_take=self.new_take and self.record.submissions == 0,
            )  # fmt: skip
        self._enter(
            "submitting",
            f"submitting {sent.model} ({sent.duration}s, {sent.meta.size})",
            submitting_at=time.time(),
            submissions=self.record.submissions + 1,
        )
        failpoints.reached("submitting")
        try:
            created = await self.client.create_task(body, oss_resolve=sent.needs_oss_resolve)
        except RenderError as exc:
            if not outcome_unknown(exc):
                if self.ledger is not None and self._spend is not None:
                    self.ledger.refused(self._spend)
                raise self._fail(exc, "failed") from None  # refused: no task exists
            self.events(Event("warning", f"create outcome unknown ({exc.message}); checking"))
            return exc
        failpoints.reached("answered")
        try:
            if self.ledger is not None and self._spend is not None:
                self.ledger.submitted(self._spend, created.task_id)
        finally:  # the journal too, even when the ledger could not be written
            self._enter(
                "submitted",
                f"task {created.task_id} submitted",
                task_id=created.task_id,
                request_ids=[*self.record.request_ids, _rid("create", created.request_id)],
            )
        return None

    async def _look(self, sent: Payload, request_id: str | None = None) -> Listed | None:
        """After an unanswered create (under the submit gate): what the task list shows; None
        when the ledger already knew the task (then it is recorded)."""
        spend = self.ledger.latest(self._key) if self.ledger is not None else None
        if spend is not None and spend.task_id is not None and spend.live(time.time()):
            # The ledger got the task id even though the journal did not (a disk full, a crash
            # between the two writes): it is this very request's.
            self._enter("submitted", f"task {spend.task_id} found in the ledger", task_id=spend.task_id)
            return None
        return await look(
            self.client,
            model=sent.model,
            sent_at=self.record.submitting_at or time.time(),
            request_id=request_id,
            known=self._known(),
            sleep=self.sleep,
            settle=C.RECONCILE_SETTLE_DELAY * self.client.settings.poll.scale,
        )

    async def _settle(self, sent: Payload, listed: Listed | None) -> None:
        """Adopt the task an unanswered create made (its candidates followed outside the
        gate); mark the story when that cannot be known."""
        if listed is None:  # the ledger knew it
            return
        verdict = await settle(
            self.client, listed, prompt=sent.input.prompt, sleep=self.sleep,
            params={"size": sent.meta.size, "duration": sent.duration},
        )  # fmt: skip
        match verdict.verdict:
            case "found":
                assert verdict.task_id is not None
                self._enter(
                    "submitted",
                    f"task {verdict.task_id} found in the task list ({verdict.detail})",
                    task_id=verdict.task_id,
                    adopted=True,
                )
            case "none":
                self.events(Event("note", "the task list shows no task from that create"))
            case "ambiguous" | "unavailable":
                error = OutcomeUnknownError(
                    f"a create may have made a task, and the task list cannot tell: {verdict.detail}",
                    hint=f"find the task in the Model Studio console: {ADOPT} claims it; or rerun "
                    "with --resubmit to pay for a new task",
                )
                raise self._fail(error, "needs-attention")
            case _:
                assert_never(verdict.verdict)

    def _learn(self, task_id: str) -> None:
        """Tell the ledger a task found elsewhere (the list, a sidecar) is this request's."""
        if self.ledger is None or self._sent is None:
            return
        settings = self.client.settings
        account = account_tag(settings.api_key)
        self.ledger.adopted(self._key, task_id, self._sent, base_url=settings.base_url, account=account,
                            out_path=self._out)  # fmt: skip

    def _known(self) -> frozenset[str]:
        """Task ids that are not this request's: the folder's other stories', the ledger's others."""
        known = self.known_tasks() if callable(self.known_tasks) else self.known_tasks
        if self.ledger is not None:
            known = known | self.ledger.task_ids_except(self._key)
        return known

    async def _poll(self) -> TaskSnapshot:
        task_id = self.record.task_id
        assert task_id is not None
        schedule = self.client.settings.poll
        deadline = time.monotonic() + schedule.deadline_seconds
        index = errors = 0
        while True:
            try:
                snapshot = await self.client.get_task(task_id)
            except RenderError as exc:
                errors += 1
                if not exc.retryable or errors > C.POLL_MAX_CONSECUTIVE_ERRORS:
                    raise self._fail(exc) from None  # the task stays recorded: rerun resumes
                self.events(Event("warning", f"poll failed ({exc.message}); polling on"))
                retry_after = getattr(exc, "retry_after", None)
                await self.sleep(poll_delay(index, schedule, self.rand(), retry_after))
                continue
            errors = 0
            polls = self.record.polls + 1
            self._record = self.record.model_copy(update={"polls": polls})
            match snapshot.status:
                case "PENDING" | "RUNNING" | "SUSPENDED":
                    if snapshot.status == "RUNNING" and self.record.phase != "running":
                        self._enter("running", f"task {task_id} running")
                    if time.monotonic() > deadline:
                        raise self._fail(
                            PollTimeoutError(
                                f"task {task_id} still {snapshot.status} after "
                                f"{schedule.deadline_seconds:.0f}s",
                                hint="rerun the same command later to resume polling",
                            )
                        )
                    delay = poll_delay(index, schedule, self.rand())
                    self.events(
                        Event(
                            "poll",
                            f"task {task_id} {snapshot.status}",
                            {"status": snapshot.status, "polls": polls, "next": delay},
                        )
                    )
                    index += 1
                    await self.sleep(delay)
                case "SUCCEEDED":
                    if not snapshot.video_url:
                        raise self._fail(
                            ProtocolError(f"task {task_id} SUCCEEDED without a video URL", task_id=task_id)
                        )
                    self._check_adopted(snapshot)
                    if self.record.adopted:
                        self._learn(task_id)  # shown to be this request's only now
                    self._note_request("poll", snapshot.request_id)
                    return snapshot
                case "FAILED":
                    error = error_from_task(snapshot.output, task_id=task_id, request_id=snapshot.request_id)
                    if self.ledger is not None:
                        self.ledger.ended(task_id, "failed")
                    raise self._fail(error, "failed")
                case "CANCELED":
                    if self.ledger is not None:
                        self.ledger.ended(task_id, "failed")  # canceled while PENDING: not billed
                    raise self._fail(
                        TaskCanceledError(f"task {task_id} was canceled", task_id=task_id), "failed"
                    )
                case "UNKNOWN":
                    error = TaskUnknownError(
                        f"the API does not know task {task_id} (expired after 24 h, or wrong region)",
                        task_id=task_id,
                    )
                    raise self._fail(error, "failed")
                case _:
                    assert_never(snapshot.status)

    def _check_adopted(self, snapshot: TaskSnapshot) -> None:
        """A task adopted from the list must turn out to be this story's request."""
        reported = snapshot.output.get("orig_prompt")
        sent = self._sent_prompt
        if not self.record.adopted or sent is None:
            return
        if same_prompt(str(reported) if reported else None, sent) is False:
            error = OutcomeUnknownError(
                f"task {snapshot.task_id}, adopted (from the task list or `shotscript adopt`), was another "
                "request: its prompt is not this story's",
                hint="check the Model Studio console; rerun with --resubmit to pay for a new task",
            )
            # Forget the wrong task, so that a rerun reconciles afresh instead of polling it.
            self._save(
                self.record.advance("needs-attention", task_id=None, adopted=False, error=error.to_dict())
            )
            raise error

    def _download_events(self, event: Event) -> None:
        """The download's events, passed on; the crash tests' points inside a download."""
        if event.kind == "retry":
            failpoints.reached("cut")
        elif event.kind == "download" and event.data.get("received") == event.data.get("total"):
            failpoints.reached("downloaded")
        self.events(event)

    def _note_request(self, operation: str, request_id: str | None) -> None:
        ids = [*self.record.request_ids, _rid(operation, request_id)]
        self._record = self.record.model_copy(update={"request_ids": ids})

    async def _download(
        self, sent: Payload, snapshot: TaskSnapshot, out_path: Path, story: str
    ) -> VideoProbe:
        url = snapshot.video_url
        assert url is not None
        self._enter(
            "downloading",
            f"task {snapshot.task_id} succeeded; downloading",
            timings={"succeeded": time.time()},
        )
        self._keep_aside(out_path, snapshot.task_id)
        try:
            result = await download_video(
                self.client.plain,
                url,
                out_path,
                events=self._download_events,
                policy=self.client.settings.retry,
                sleep=self.sleep,
                rand=self.rand,
                limits=self.client.settings.limits,
                max_bytes=self.client.settings.limits.video_cap(sent.duration, sent.meta.tier),
            )
        except RenderError as exc:
            raise self._fail(exc) from None  # phase stays "downloading": a rerun fetches again
        failpoints.reached("renamed")
        self._save(self.record.advance(self.record.phase, timings={"downloaded": time.time()}))
        document = build_sidecar(
            story=story,
            sent=sent,
            task_id=snapshot.task_id,
            output=snapshot.output,
            usage=snapshot.usage,
            request_ids=self.record.request_ids,
            requests=[
                {"operation": r.operation, "status": r.status, "request_id": r.request_id}
                for r in self.client.requests
            ],
            timings=self.record.timings,
            polls=self.record.polls,
            probe=result.probe,
            video_path=out_path,
            video_bytes=result.bytes,
            resumes=result.resumes,
            base_url=self.client.settings.base_url,
            request_fingerprint=self._key,
        )
        digest = await asyncio.to_thread(file_sha256, out_path)
        document["output"]["sha256"] = digest  # from_sidecar keeps the video only if it still matches
        for name, check in document["checks"].items():
            if not check["ok"]:
                self.events(Event("warning", f"{name}: expected {check['expected']}, got {check['actual']}"))
        write_sidecar(sidecar_path(out_path), document, secret=self.client.settings.api_key)
        if self.ledger is not None:
            self.ledger.ended(snapshot.task_id, "done", billed_from_usage(snapshot.usage))
            self.ledger.video(snapshot.task_id, out_path, digest, result.bytes)
        self._enter("done", f"{out_path} written")
        return result.probe


    def _keep_aside(self, out_path: Path, task_id: str) -> None:
        """A paid video of another task at `out_path` is moved beside it, never overwritten."""
        try:
            kept = keep_aside(out_path, task_id)
        except OSError as exc:  # the old video stays where it was; nothing is overwritten
            raise self._fail(output_error(exc, out_path)) from None
        if kept is not None:
            other, path = kept
            if self.ledger is not None:
                self.ledger.moved(other, out_path, path)
            self.events(Event("note", f"{out_path.name} was task {other}'s paid video: kept as {path.name}"))


def _rid(operation: str, request_id: str | None) -> dict[str, Any]:
    return {"operation": operation, "request_id": request_id}


def _unfollowable(detail: str) -> UnfollowableCreateError:
    """The error of a create the service accepted whose task cannot be followed."""
    return UnfollowableCreateError(
        f"the service accepted the create but its answer cannot be followed ({detail})",
        hint=f"find this story's task in the Model Studio console: {ADOPT} claims it; rerun with "
        "--resubmit only to pay for a new one",
    )
