"""The pacing plumbing over a mock transport and a fake clock: first polls held until tasks
like it have finished, 429s obeyed and slowed down for, a full account means fewer slots."""

from __future__ import annotations

import asyncio
import json
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


def test_first_polls_wait_for_the_scout_then_for_the_expected_time() -> None:
    time = FakeTime()

    async def scenario() -> list[str]:
        pacer = Pacer(concurrency=5, poll_rate=100.0, clock=time.clock, sleep=time.sleep)
        order: list[str] = []
        for task in ("A", "B"):
            await pacer.after("create", 200, httpx.Headers(), {"output": {"task_id": task}})
            time.now += 1.0  # B is created a second after A

        async def first_poll(task: str) -> None:
            await pacer.before("poll", task)
            order.append(f"{task}@{time.now:g}")

        b = asyncio.create_task(first_poll("B"))
        await asyncio.sleep(0)
        await first_poll("A")  # A is the oldest: the scout looks at once
        assert not b.done()  # B waits for news of A
        time.now = 60.0
        done = {"task_id": "A", "task_status": "SUCCEEDED", "submit_time": "2026-01-01 00:00:00.000",
                "end_time": "2026-01-01 00:01:00.000"}  # fmt: skip
        await pacer.after("poll", 200, httpx.Headers(), {"output": done})
        await b
        assert pacer.expected_generation == 60.0
        # Later tasks: first poll when tasks like them have finished (60 s after creation).
        await pacer.after("create", 200, httpx.Headers(), {"output": {"task_id": "C"}})
        await first_poll("C")
        return order

    order = run(scenario())
    assert order == ["A@2", "B@61", "C@121"]  # B was created at 1: due at 61; C at 61: due at 121


def test_a_429_pauses_that_kind_of_request_and_halves_its_rate() -> None:
    time = FakeTime()

    async def scenario() -> Pacer:
        pacer = Pacer(concurrency=5, create_rate=4.0, poll_rate=20.0, clock=time.clock, sleep=time.sleep)
        await pacer.after("poll", 429, httpx.Headers({"retry-after": "3"}), {"code": "Throttling.RateQuota"})
        await pacer.before("poll", "x")
        assert time.sleeps[0] == pytest.approx(3.0)  # Retry-After is obeyed, never scaled down
        await pacer.before("create", None)  # creates are not paused by polls' 429
        return pacer

    pacer = run(scenario())
    assert pacer.polls.rate.current == 10.0 and pacer.creates.rate.current == 4.0
    assert len(time.sleeps) == 1


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
        assert pacer.polls.throttles == 1
        return created.status_code, polled.status_code, video.content

    assert run(scenario()) == (200, 429, b"\x00\x00\x00\x18ftypmp42")
    assert seen[:3] == ["POST /api/v1/services/aigc/video-generation/video-synthesis", "GET /api/v1/tasks/T1",
                        "GET /v.mp4"]  # fmt: skip
