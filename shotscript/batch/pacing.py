"""Applying the scheduler's policies to live traffic: slots, rate gates, the submit lock, and
an httpx transport that paces creates and polls and learns from what the service answers.

Everything here is backend plumbing; the decisions are `scheduler.py`'s pure functions.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Literal

import httpx

from shotscript.batch import constants as C
from shotscript.batch import scheduler as S
from shotscript.runtime import constants as RC
from shotscript.runtime.client import parse_api_time
from shotscript.runtime.retry_policy import parse_retry_after

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
        self._waiters: list[asyncio.Future[None]] = []

    async def acquire(self) -> None:
        """Wait for a free slot and take it."""
        while self.active >= self.limit:
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


class Pacer:
    """The batch's shared pace: creates one at a time (the submit lock), creates and polls at
    their rates, fewer tasks at once when the account is full, and each task's first poll
    held until tasks like it have finished."""

    def __init__(
        self,
        *,
        concurrency: int,
        create_rate: float = C.CREATE_RATE * C.RATE_MARGIN,
        poll_rate: float = C.POLL_RATE * C.RATE_MARGIN,
        scale: float = 1.0,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.clock = clock
        self.sleep = sleep
        self.slots = Slots(concurrency)
        self.creates = RateGate(create_rate, clock=clock, sleep=sleep, scale=scale)
        self.polls = RateGate(poll_rate, clock=clock, sleep=sleep, scale=scale)
        self.scale = scale
        self._submit_lock = asyncio.Lock()
        self._unpolled: dict[str, float] = {}  # task id -> created, until its first poll
        self._unfinished: dict[str, float] = {}  # task id -> created, until it ends
        self._news = asyncio.Event()  # set (and replaced) whenever a task ends
        self._generation: list[float] = []  # seconds, service-measured, of finished tasks
        self._creates_since_full = 0
        self.in_progress: Callable[[], int] = lambda: self.slots.active

    # --- what the runtime calls -----------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def submit_turn(self) -> AsyncIterator[None]:
        """The submit lock (lifecycle.SubmitGate): one story at a time writes "submitting",
        sends its create and records the task id, so a crash leaves at most one story whose
        create's outcome is unknown, and reconciling never sees a create still in flight."""
        async with self._submit_lock:
            yield

    # --- what the transport calls ---------------------------------------------------------------

    async def before(self, kind: Kind, task_id: str | None) -> None:
        """Wait until a request may go out."""
        if kind == "create":
            await self.creates.turn()
            return
        created = self._unpolled.pop(task_id, None) if task_id else None
        if created is not None:  # a task's first poll: when it may have finished
            await self._first_poll(task_id or "", created)
        await self.polls.turn()

    async def _first_poll(self, task_id: str, created: float) -> None:
        deadline = self.clock() + C.SCOUT_HOLD_MAX * self.scale
        while True:
            wait = S.first_poll_wait(
                created_at=created,
                expected=S.expected_generation(self._generation),
                is_scout=S.scout(self._unfinished) in (task_id, None),
                now=self.clock(),
            )
            if wait is not None:
                if wait > 0:
                    await self.sleep(wait)
                return
            news = self._news
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(news.wait(), timeout=max(0.0, deadline - self.clock()))
            if self.clock() >= deadline:
                return

    def forget(self, task_id: str) -> None:
        """A task that ended, or whose story stopped polling it (the runner says so)."""
        self._unpolled.pop(task_id, None)
        if self._unfinished.pop(task_id, None) is not None:
            self._news.set()
            self._news = asyncio.Event()

    async def after(self, kind: Kind, status: int, headers: httpx.Headers, body: Any) -> None:
        """Learn from an answer: throttling, a new task, a finished task's generation time."""
        gate = self.creates if kind == "create" else self.polls
        data = body if isinstance(body, dict) else {}
        if status == 429:
            gate.throttled(parse_retry_after(headers.get("retry-after"), now=time.time()))
            if kind == "create" and str(data.get("code", "")).startswith("Throttling.AllocationQuota"):
                self._creates_since_full = 0
                self.slots.set_limit(S.slots_after_full(self.slots.limit, self.in_progress()))
            return
        gate.succeeded()
        output = data.get("output") if isinstance(data.get("output"), dict) else {}
        if kind == "create" and 200 <= status < 300 and output.get("task_id"):
            now = self.clock()
            self._unpolled[str(output["task_id"])] = now
            self._unfinished[str(output["task_id"])] = now
            self._creates_since_full += 1
            limit = S.slots_after_create(self.slots.limit, self.slots.configured, self._creates_since_full)
            if limit != self.slots.limit:
                self.slots.set_limit(limit)
        elif kind == "poll" and output.get("task_status") in _TERMINAL:
            start, end = parse_api_time(output.get("submit_time")), parse_api_time(output.get("end_time"))
            if output.get("task_status") == "SUCCEEDED" and start is not None and end is not None:
                self._generation.append(end - start)
                del self._generation[: -C.GENERATION_WINDOW]
            self.forget(str(output.get("task_id")))

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
        response = await self.inner.handle_async_request(request)
        # Creates and polls answer small JSON documents: read here, served from memory after.
        await response.aread()
        try:
            body = json.loads(response.content) if response.content else None
        except ValueError:
            body = None
        await self.pacer.after(kind, response.status_code, response.headers, body)
        return response

    async def aclose(self) -> None:
        """Closing one story's client must not close the pool the others use: see `close`."""

    async def close(self) -> None:
        """Close the shared connection pool (at the end of the batch)."""
        await self.inner.aclose()
