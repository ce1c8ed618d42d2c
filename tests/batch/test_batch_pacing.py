"""The pacing plumbing over a mock transport and a fake clock: 429s obeyed and slowed down for
as far as they say, a full account means fewer slots (poll holds: test_poll_plan.py)."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from typing import Any

import httpx
import pytest

from shotscript.batch.pacing import PacedTransport, Pacer, Slots, classify

BASE = "http://127.0.0.1:9/api/v1"
CREATE = f"{BASE}/services/aigc/video-generation/video-synthesis"


class FakeTime:
    """A clock that only moves when someone sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.now += seconds
        await asyncio.sleep(0)


def answer(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> httpx.Response:
    headers = {"content-type": "application/json", **(headers or {})}
    return httpx.Response(status, content=json.dumps(body).encode(), headers=headers)


def test_classify() -> None:
    def request(method: str, url: str) -> httpx.Request:
        return httpx.Request(method, url)

    assert classify(request("POST", CREATE)) == ("create", None)
    assert classify(request("GET", f"{BASE}/tasks/abc-1")) == ("poll", "abc-1")
    assert classify(request("GET", f"{BASE}/tasks?start_time=1")) == (None, None)  # the task list
    assert classify(request("POST", f"{BASE}/tasks/abc-1/cancel")) == (None, None)
    assert classify(request("GET", "http://127.0.0.1:9/files/v.mp4")) == (None, None)


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def test_a_429_at_our_full_pace_pauses_that_kind_of_request_and_halves_its_rate() -> None:
    time = FakeTime()

    async def scenario() -> Pacer:
        pacer = Pacer(concurrency=5, create_rate=4.0, poll_rate=20.0, clock=time.clock, sleep=time.sleep)
        pacer.polls.bucket = replace(pacer.polls.bucket, tokens=0.0)  # we sent a burst just now
        await pacer.after("poll", 429, httpx.Headers({"retry-after": "3"}), {"code": "Throttling.RateQuota"})
        await pacer.before("poll", "x")
        assert time.sleeps[0] == pytest.approx(3.0)  # Retry-After is obeyed, never scaled down
        await pacer.before("create", None)  # creates are not paused by polls' 429
        return pacer

    pacer = run(scenario())
    assert pacer.polls.rate.current == 10.0 and pacer.creates.rate.current == 4.0
    assert len(time.sleeps) == 1  # the pause (the bucket refilled meanwhile)


def test_a_429_far_below_our_pace_holds_back_nobody_else() -> None:
    """The refused request waits its Retry-After (the client's job); the others go on at
    full rate: a 429 that is not about our pace must not slow the whole batch."""
    time = FakeTime()

    async def scenario() -> Pacer:
        pacer = Pacer(concurrency=5, poll_rate=20.0, clock=time.clock, sleep=time.sleep)
        for code in ("Throttling", "Throttling.RateQuota"):
            await pacer.after("poll", 429, httpx.Headers({"retry-after": "3"}), {"code": code})
            await pacer.before("poll", "other")
        return pacer

    pacer = run(scenario())
    assert time.sleeps == [] and pacer.polls.rate.current == 20.0
    assert pacer.faults["poll 429"] == 2


def test_a_full_account_pauses_creates_but_not_polls_nor_the_create_rate() -> None:
    time = FakeTime()

    async def scenario() -> Pacer:
        pacer = Pacer(concurrency=5, create_rate=4.0, clock=time.clock, sleep=time.sleep)
        pacer.in_progress = lambda: 5
        full = {"code": "Throttling.AllocationQuota", "message": "Allocated quota exceeded"}
        await pacer.after("create", 429, httpx.Headers({"retry-after": "7"}), full)
        await pacer.before("poll", "x")
        assert time.sleeps == []
        await pacer.before("create", None)
        return pacer

    pacer = run(scenario())
    assert time.sleeps == [pytest.approx(7.0)] and pacer.creates.rate.current == 4.0


def test_a_full_account_means_fewer_slots_then_they_come_back() -> None:
    async def scenario() -> list[int]:
        pacer = Pacer(concurrency=5)
        pacer.in_progress = lambda: 3
        limits = []
        full = {"code": "Throttling.AllocationQuota", "message": "too many tasks"}
        await pacer.after("create", 429, httpx.Headers({"retry-after": "0"}), full)
        limits.append(pacer.slots.limit)
        for i in range(12):
            await pacer.after("create", 200, httpx.Headers(), {"output": {"task_id": f"t{i}"}})
            limits.append(pacer.slots.limit)
        return limits

    limits = run(scenario())
    assert limits[0] == 3 and limits[-1] == 5 and limits == sorted(limits)


def test_slots() -> None:
    async def scenario() -> list[str]:
        slots = Slots(2)
        events: list[str] = []
        await slots.acquire()
        await slots.acquire()

        async def third() -> None:
            await slots.acquire()
            events.append("third")

        waiting = asyncio.create_task(third())
        await asyncio.sleep(0)
        events.append(f"active={slots.active}")
        slots.set_limit(1)
        slots.release()  # 1 active of a limit of 1: still no room
        await asyncio.sleep(0)
        events.append(f"done={waiting.done()}")
        slots.release()
        await waiting
        return events

    assert run(scenario()) == ["active=2", "done=False", "third"]


def test_the_transport_paces_and_reads_answers() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.method} {request.url.path}")
        if request.method == "POST":
            return answer(200, {"output": {"task_id": "T1", "task_status": "PENDING"}})
        if request.url.path.endswith("/tasks/T1"):
            return answer(429, {"code": "Throttling", "message": "slow down"}, {"retry-after": "0"})
        return httpx.Response(200, content=b"\x00\x00\x00\x18ftypmp42")

    async def scenario() -> tuple[int, int, bytes]:
        pacer = Pacer(concurrency=2)
        transport = PacedTransport(pacer, httpx.MockTransport(handler))
        async with httpx.AsyncClient(transport=transport) as client:
            created = await client.post(CREATE, json={})
            polled = await client.get(f"{BASE}/tasks/T1")
            video = await client.get("http://127.0.0.1:9/v.mp4")
        # Closing a story's client leaves the shared pool open; the batch closes it last.
        async with httpx.AsyncClient(transport=transport) as client:
            again = await client.post(CREATE, json={})
        await transport.close()
        assert again.json()["output"]["task_id"] == "T1"
        assert created.json()["output"]["task_id"] == "T1"
        assert pacer.faults["poll 429"] == 1 and pacer.polls.throttles == 0  # far below our pace
        return created.status_code, polled.status_code, video.content

    assert run(scenario()) == (200, 429, b"\x00\x00\x00\x18ftypmp42")
    assert seen[:3] == ["POST /api/v1/services/aigc/video-generation/video-synthesis", "GET /api/v1/tasks/T1",
                        "GET /v.mp4"]  # fmt: skip
