"""Everything an emulator process remembers, in one object that `reset` rebuilds."""

from __future__ import annotations

import copy
import dataclasses
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from shotscript.emulator.accounts import Caller, accepts_key, caller_of
from shotscript.emulator.billing import usage
from shotscript.emulator.clock import Clock
from shotscript.emulator.config import FILE_SECONDS, TASK_SECONDS, EmulatorConfig
from shotscript.emulator.errors import MSG_INTERNAL, new_request_id
from shotscript.emulator.faults import FaultInjector
from shotscript.emulator.media import MediaCache
from shotscript.emulator.quotas import Quotas
from shotscript.emulator.stats import Stats, fingerprint
from shotscript.emulator.tasks import Task, TaskStore
from shotscript.emulator.timing import Job, plan_timeline
from shotscript.emulator.uploads import UploadStore
from shotscript.emulator.validate import CreateRequest, later_failure, with_first_frame_ratio
from shotscript.facts.capabilities import Region, capabilities
from shotscript.facts.service import is_upload_url

Parse = Callable[[dict[str, Any]], CreateRequest]  # validates a create body


@dataclass(frozen=True)
class ArmedCreate:
    """A task another key will create when the next create request from a key other than
    it arrives (a test control: someone else using the account at the worst moment)."""

    caller: Caller
    body: dict[str, Any] | None  # None: the same body as the triggering request
    prompt: str | None  # replaces input.prompt


@dataclass
class EmulatorState:
    """Config plus the mutable parts: tasks, quotas, faults, uploads, counters."""

    config: EmulatorConfig
    clock: Clock = field(default_factory=Clock)
    public_url: str = ""  # http://host:port, set once the socket is bound
    uploads: UploadStore = field(init=False)

    def __post_init__(self) -> None:
        self.media = MediaCache(self.config.cache_dir)
        self.reset()

    @property
    def region(self) -> Region:
        """The one region this emulator serves."""
        return capabilities().regions[self.config.region]

    def reset(self, **changes: Any) -> None:
        """Forget every task, upload and counter; `changes` replace config fields first
        (a ValueError from the config leaves everything as it was)."""
        if changes:
            self.config = dataclasses.replace(self.config, **changes)
        seed = self.config.seed
        # Separate generators, so that e.g. a fault drawn or not never shifts task timings.
        self.ids = random.Random(f"shotscript-emulator-ids:{seed}")
        self.timing = random.Random(f"shotscript-emulator-timing:{seed}")
        self.faults = FaultInjector(self.config.faults, seed)
        self.tasks = TaskStore(lifetime=self.scaled(TASK_SECONDS))
        self.stats = Stats()
        self.quotas = Quotas(
            self.config.create_rps,
            self.config.poll_rps,
            self.config.max_running,
            fractional=self.config.time_scale < 1,
        )
        if hasattr(self, "uploads"):
            self.uploads.close()
        self.uploads = UploadStore(
            self.clock,
            random.Random(f"shotscript-emulator-uploads:{seed}"),
            file_seconds=self.scaled(FILE_SECONDS),
        )
        self.armed: list[ArmedCreate] = []
        self.injected: list[str] = []  # ids of tasks made through the test control
        self.next_create_fault: tuple[str, bool] | None = None  # (fault, task made anyway)

    def scaled(self, service_seconds: float) -> float:
        """Real seconds of a span of service time (what every announced time is scaled by)."""
        return service_seconds * self.config.time_scale

    def close(self) -> None:
        """Release temporary files."""
        self.uploads.close()

    def accepts_key(self, api_key: str) -> bool:
        """Whether the key is valid (see `accounts.accepts_key`)."""
        return accepts_key(api_key, self.config)

    def caller(self, api_key: str) -> Caller:
        """The ids of a valid key: its own, and its account's."""
        return caller_of(api_key, self.config)

    def new_id(self) -> str:
        """A task id, repeatable for a given seed."""
        return str(uuid.UUID(int=self.ids.getrandbits(128), version=4))

    def create_task(
        self,
        caller: Caller,
        body: dict[str, Any],
        request: CreateRequest,
        request_id: str,
        *,
        injected: bool = False,
    ) -> Task:
        """Accept a task: plan its timeline, decide how it ends, count it (a task `injected`
        by the test control is listed under `injected`, not counted as a create)."""
        account = caller.account
        request = with_first_frame_ratio(request, self.uploads.lookup)
        busy = len(self.tasks.in_progress(account, request.model, self.clock.mono()))
        caps = capabilities()
        tier = (
            request.resolution or caps.tier_of(request.size) or caps.tier_of(str(caps.defaults["size"])) or ""
        )
        queued, running = plan_timeline(
            self.timing,
            Job(model=request.model, tier=tier, duration=request.duration, busy=busy),
            mode=self.config.timing,
            time_scale=self.config.time_scale,
            gen_seconds=self.config.gen_seconds,
        )
        failure = later_failure(
            request,
            account=account,
            lookup=self.uploads.lookup,
            moderation_marker=self.config.moderation_marker,
            ip_marker=self.config.ip_marker,
        )
        # Refused inputs fail soon after a worker picks the task up; moderation of the
        # result and internal failures only at the end of generation.
        fail_after = queued + 0.1 * running
        if failure is not None and failure[0] in ("DataInspectionFailed", "IPInfringementSuspect"):
            fail_after = queued + running
        if failure is None and self.faults.hit("fail"):
            failure = ("InternalError", MSG_INTERNAL) if self.faults.coin() else (None, None)
            fail_after = queued + running
        lengths = [self._video_seconds(r.url) for r in request.of_kind("video")]
        task = Task(
            task_id=self.new_id(),
            account=account,
            key_id=caller.key_id,
            request_id=request_id,
            request=request,
            submit_wall=self.clock.wall(),
            submit_mono=self.clock.mono(),
            pending_s=queued,
            run_s=running,
            usage=usage(request, lengths),
            failure=failure,
            fail_after=fail_after,
        )
        self.tasks.add(task)
        if injected:
            self.injected.append(task.task_id)
        else:
            digest = fingerprint(body, self.uploads.content_digest)
            self.stats.record_create(digest, fails=failure is not None)
        return task

    def fire_armed(self, trigger: Caller, body: dict[str, Any], parse: Parse) -> None:
        """Create the armed tasks of keys other than `trigger`'s (see `ArmedCreate`);
        `parse` validates a body like a create does."""
        waiting = [a for a in self.armed if a.caller.key_id != trigger.key_id]
        self.armed = [a for a in self.armed if a.caller.key_id == trigger.key_id]
        for armed in waiting:
            self.inject(armed.caller, armed.body if armed.body is not None else body, armed.prompt, parse)

    def inject(self, caller: Caller, body: dict[str, Any], prompt: str | None, parse: Parse) -> Task:
        """Create a task as `caller` without quotas or faults (the test control)."""
        body = copy.deepcopy(body)
        if prompt is not None and isinstance(body.get("input"), dict):
            body["input"]["prompt"] = prompt
        return self.create_task(caller, body, parse(body), new_request_id(), injected=True)

    def _video_seconds(self, url: str) -> float | None:
        stored = self.uploads.lookup(url) if is_upload_url(url) else None
        return stored.seconds if stored else None

    def check_running(self, account: str, model: str) -> None:
        """Raise the 429 the service sends when the account has too many tasks in progress."""
        now = self.clock.mono()
        busy = self.tasks.in_progress(account, model, now)
        soonest = min((t.remaining(now) for t in busy), default=0.0)
        self.quotas.admit_running(len(busy), soonest)
