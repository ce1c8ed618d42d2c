"""Applying the scheduler's policies to live traffic: slots, rate gates, the submit lock, and
an httpx transport that paces creates and polls and learns from what the service answers.

Everything here is backend plumbing; the decisions are the pure functions of `scheduler.py`
(rates, slots) and `poll_plan.py` (when to poll, what a 429 limits).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any, Literal

import httpx

from shotscript.batch import constants as C
from shotscript.batch import poll_plan as P
from shotscript.batch import scheduler as S
from shotscript.runtime import constants as RC
from shotscript.runtime.client import parse_api_time
from shotscript.runtime.retry_policy import parse_retry_after
from shotscript.runtime.settings import RuntimeSettings

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]
Kind = Literal["create", "poll"]

_TASK_PATH = re.compile(re.escape(RC.TASKS_PATH) + r"/([^/?]+)$")
_TERMINAL = ("SUCCEEDED", "FAILED", "CANCELED", "UNKNOWN")


class Slots:
    """How many stories may hold a task at once: a semaphore whose limit can move."""

    def __init__(self, limit: int) -> None:
        self.configured = max(1, limit)
        self.limit = self.configured
        self.active = 0
        # Stories allowed beyond the limit: ready (compiled, records read) and waiting at the
        # submit gate, so that a create leaves the moment a task ends (`Pacer.submit_turn`).
        self.on_deck = 0
        self._waiters: list[asyncio.Future[None]] = []

    async def acquire(self) -> None:
        """Wait for a free slot and take it."""
        while self.active >= self.limit + self.on_deck:
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                await waiter
            finally:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)
        self.active += 1

    def release(self) -> None:
        """Give a slot back (synchronous: record stores call it)."""
        self.active = max(0, self.active - 1)
        self._wake()

    def set_limit(self, limit: int) -> None:
        """Change how many slots there are (at least one, at most the configured number)."""
        self.limit = max(1, min(self.configured, limit))
        self._wake()

    def _wake(self) -> None:
        # Every waiter looks again; there are few (the runner's loop and stories retrying).
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)
        self._waiters.clear()


class RateGate:
    """One kind of request's pace: a token bucket at an adaptive rate, and a pause after 429s."""

    def __init__(self, rate: float, *, clock: Clock, sleep: Sleep, scale: float) -> None:
        self.clock = clock
        self.sleep = sleep
        self.scale = scale
        self.rate = S.AdaptiveRate.at(rate)
        self.bucket = S.TokenBucket.full(rate, clock())
        self.paused_until = 0.0
        self.throttles = 0

    async def turn(self) -> None:
        """Wait until a request of this kind may go out."""
        while (pause := self.paused_until - self.clock()) > 0:
            await self.sleep(pause)
        self.bucket, wait = self.bucket.reserve(self.clock())
        if wait > 0:
            await self.sleep(wait)

    def pause(self, retry_after: float | None) -> None:
        """Hold requests of this kind for as long as the service asked (the rate unchanged)."""
        self.throttles += 1
        self.paused_until = S.pause_after_throttle(self.clock(), self.paused_until, retry_after, self.scale)

    def throttled(self, retry_after: float | None) -> None:
        """The service answered 429: slow down, and pause for as long as it asked."""
        now = self.clock()
        self.throttles += 1
        self.rate = self.rate.throttled()
        self.bucket = self.bucket.with_rate(self.rate.current, now)
        self.paused_until = S.pause_after_throttle(now, self.paused_until, retry_after, self.scale)

    def succeeded(self) -> None:
        """An answer that was not a 429: speed up towards the configured rate."""
        if self.rate.current < self.rate.ceiling:
            self.rate = self.rate.succeeded()
            self.bucket = self.bucket.with_rate(self.rate.current, self.clock())


@dataclass
class _Watch:
    """What the pacer knows of one task it has seen created (monotonic seconds)."""

    created: float
    last_age: float | None = None  # its age when it was last polled (and answered)
    last_gap: float | None = None
    polls: int = 0
    sending: float | None = None  # its age when the poll in flight left
    started: float | None = None  # its age when it began running (the service's scheduled_time)
    pending: bool = False  # its last poll found it PENDING


class Pacer:
    """The batch's shared pace: creates one at a time (the submit lock), creates and polls at
    their rates, fewer tasks at once when the account is full, and each poll held until the
    poll plan (`poll_plan.py`) says the task may have finished."""

    def __init__(
        self,
        *,
        concurrency: int,
        create_rate: float = C.CREATE_RATE * C.RATE_MARGIN,
        poll_rate: float = C.POLL_RATE * C.RATE_MARGIN,
        scale: float = 1.0,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        plan: P.PollPlan | None = None,
    ) -> None:
        self.clock = clock
        self.sleep = sleep
        self.slots = Slots(concurrency)
        self.creates = RateGate(create_rate, clock=clock, sleep=sleep, scale=scale)
        self.polls = RateGate(poll_rate, clock=clock, sleep=sleep, scale=scale)
        self.scale = scale
        self.plan = plan or P.PollPlan()
        self._submit_lock = asyncio.Lock()
        self._watch: dict[str, _Watch] = {}  # unfinished tasks, by id
        self._news = asyncio.Event()  # set (and replaced) whenever a task ends
        self._generation: list[float] = []  # seconds, service-measured, of finished tasks
        self._running: list[float] = []  # of the same: end − scheduled, where the service says
        self._creates_since_full = 0
        self.faults: Counter[str] = Counter()  # what the service refused or dropped, by kind
        # Tasks on the service as far as we know: created, not yet seen to end.
        self.in_progress: Callable[[], int] = lambda: len(self._watch)

    # --- what the runtime calls -----------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def submit_turn(self) -> AsyncIterator[None]:
        """The submit lock (lifecycle.SubmitGate): one story at a time writes "submitting",
        sends its create and records the task id (or, when the answer is lost, reads the task
        list), so at most one create of the batch is ever in flight and the list is never read
        while one is. Entered only while fewer of our tasks are on the service than slots."""
        if not self.slots.on_deck:
            # A DashScope lifecycle is here: from now on one story more than there are
            # slots may get ready, and waits below until the service has room for its task.
            self.slots.on_deck = C.ON_DECK
            self.slots.set_limit(self.slots.limit)
        async with self._submit_lock:
            deadline = time.monotonic() + C.ON_DECK_WAIT_MAX * self.scale
            while len(self._watch) >= self.slots.limit and time.monotonic() < deadline:
                # Bounded: should a task never be seen to end, the service's own 429 decides.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._news.wait(), timeout=max(0.0, deadline - time.monotonic()))
            yield

    def lifecycle_settings(self, settings: RuntimeSettings) -> RuntimeSettings:
        """A story's runtime settings in a batch: its lifecycle asks to poll as soon as the
        minimum gap allows, and the pacer holds each poll until the plan's time."""
        tick = self.plan.min_gap
        poll = replace(settings.poll, initial_delay=tick, multiplier=1.0, max_delay=tick, jitter=0.0)
        return replace(settings, poll=poll)

    # --- what the transport calls ---------------------------------------------------------------

    async def before(self, kind: Kind, task_id: str | None) -> None:
        """Wait until a request may go out."""
        if kind == "create":
            await self.creates.turn()
            return
        watch = self._watch.get(task_id) if task_id else None
        if watch is not None:
            await self._hold(task_id or "", watch)
            watch.sending = self.clock() - watch.created
        await self.polls.turn()

    async def _hold(self, task_id: str, watch: _Watch) -> None:
        """Sleep until the plan's time for this task's next poll; look again at each task end."""
        while True:
            scout = min(self._watch, key=lambda t: (self._watch[t].created, t), default=None)
            age = P.next_poll_age(
                last_age=watch.last_age, last_gap=watch.last_gap, samples=self._generation,
                scout=scout == task_id, plan=self.plan, scale=self.scale, running=self._running,
                started=watch.started, pending=watch.pending,
            )  # fmt: skip
            wait = watch.created + age - self.clock()
            if wait <= 0:
                return
            # Whichever comes first: the time (through the injectable sleep), or news.
            timer = asyncio.ensure_future(self.sleep(wait))
            news = asyncio.ensure_future(self._news.wait())
            done, _ = await asyncio.wait((timer, news), return_when=asyncio.FIRST_COMPLETED)
            for waiting in (timer, news):
                waiting.cancel()
            if timer in done:
                return

    def forget(self, task_id: str) -> None:
        """A task that ended, or whose story stopped polling it (the runner says so)."""
        if self._watch.pop(task_id, None) is not None:
            self._news.set()
            self._news = asyncio.Event()

    def failed(self, kind: Kind, error: str) -> None:
        """A request that got no answer (a dropped connection): counted."""
        self.faults[f"{kind} {error}"] += 1

    async def after(
        self, kind: Kind, status: int, headers: httpx.Headers, body: Any, task_id: str | None = None
    ) -> None:
        """Learn from an answer: throttling, a new task, a finished task's generation time."""
        gate = self.creates if kind == "create" else self.polls
        data = body if isinstance(body, dict) else {}
        found = data.get("output")
        output: dict[str, Any] = found if isinstance(found, dict) else {}
        if kind == "poll" and status < 400:
            self._answered(task_id or (str(output["task_id"]) if output.get("task_id") else None))
        if status >= 400:
            self.faults[f"{kind} {status}"] += 1
        if status == 429:
            code = str(data.get("code", ""))
            retry_after = parse_retry_after(headers.get("retry-after"), now=time.time())
            scope = P.throttle_scope(code, tokens=gate.bucket.refilled(self.clock()).tokens)
            if scope == "slots" and kind == "create":
                self._creates_since_full = 0
                self.slots.set_limit(S.slots_after_full(self.slots.limit, self.in_progress()))
                gate.pause(retry_after)
            elif scope == "pace":
                gate.throttled(retry_after)
            # "request": only the refused request waits (the client honours its Retry-After).
            return
        gate.succeeded()
        if kind == "create" and 200 <= status < 300 and output.get("task_id"):
            self._watch[str(output["task_id"])] = _Watch(created=self.clock())
            self._creates_since_full += 1
            limit = S.slots_after_create(self.slots.limit, self.slots.configured, self._creates_since_full)
            if limit != self.slots.limit:
                self.slots.set_limit(limit)
        elif kind == "poll" and output.get("task_id"):
            self._learn(str(output["task_id"]), output)

    def _answered(self, task_id: str | None) -> None:
        """A poll of the task was answered: it counts in the plan. A refused or dropped one does
        not, so the client's retry leaves after its own short back-off, not a plan step later."""
        watch = self._watch.get(task_id) if task_id else None
        if watch is None or watch.sending is None:
            return
        if watch.last_age is not None:
            watch.last_gap = watch.sending - watch.last_age
        watch.last_age, watch.polls, watch.sending = watch.sending, watch.polls + 1, None

    def _learn(self, task_id: str, output: dict[str, Any]) -> None:
        status = output.get("task_status")
        start = parse_api_time(output.get("submit_time"))
        scheduled = parse_api_time(output.get("scheduled_time"))
        if status not in _TERMINAL:
            watch = self._watch.get(task_id)
            if watch is None:  # a task of an earlier run: its age from the service
                age = max(0.0, time.time() - start) if start is not None else 0.0
                watch = self._watch[task_id] = _Watch(created=self.clock() - age, last_age=age)
            watch.pending = status == "PENDING"
            if start is not None and scheduled is not None and scheduled >= start:
                watch.started = scheduled - start  # service-measured, as the running times are
            return
        end = parse_api_time(output.get("end_time"))
        if status == "SUCCEEDED" and start is not None and end is not None:
            self._generation.append(end - start)
            del self._generation[: -C.GENERATION_WINDOW]
            if scheduled is not None and start <= scheduled <= end:
                self._running.append(end - scheduled)
                del self._running[: -C.GENERATION_WINDOW]
        self.forget(task_id)

    @property
    def expected_generation(self) -> float | None:
        """The current estimate of a task's generation time (seconds)."""
        return S.expected_generation(self._generation)


def classify(request: httpx.Request) -> tuple[Kind | None, str | None]:
    """Whether a request is a task create or a task poll (and of which task)."""
    path = request.url.path
    if request.method == "POST" and path.endswith(RC.CREATE_PATH):
        return "create", None
    if request.method == "GET" and (match := _TASK_PATH.search(path)):
        return "poll", match.group(1)
    return None, None


class PacedTransport(httpx.AsyncBaseTransport):
    """Every story's client shares this transport: one connection pool, one pace."""

    def __init__(self, pacer: Pacer, inner: httpx.AsyncBaseTransport | None = None) -> None:
        self.pacer = pacer
        self.inner = inner or httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Wait for the request's turn, send it, and let the pacer read the answer."""
        kind, task_id = classify(request)
        if kind is None:
            return await self.inner.handle_async_request(request)
        await self.pacer.before(kind, task_id)
        try:
            response = await self.inner.handle_async_request(request)
        except httpx.TransportError as exc:
            self.pacer.failed(kind, type(exc).__name__)
            raise
        # Creates and polls answer small JSON documents: read here, served from memory after.
        await response.aread()
        try:
            body = json.loads(response.content) if response.content else None
        except ValueError:
            body = None
        await self.pacer.after(kind, response.status_code, response.headers, body, task_id)
        return response

    async def aclose(self) -> None:
        """Closing one story's client must not close the pool the others use: see `close`."""

    async def close(self) -> None:
        """Close the shared connection pool (at the end of the batch)."""
        await self.inner.aclose()
