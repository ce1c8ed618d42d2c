"""The poll plan and the 429 rules as tables (pure functions), and the pacer holding polls to
the plan on a clock that moves only when the test says so."""

from __future__ import annotations

import asyncio
import heapq
from typing import Any

import httpx
import pytest

from shotscript.batch.pacing import Pacer
from shotscript.batch.poll_plan import PollPlan, cdf, inverse_cdf, next_poll_age, throttle_scope

UNIFORM = [60.0 + i for i in range(61)]  # 60…120 s, evenly


@pytest.mark.parametrize(
    ("samples", "x", "expected"),
    [
        ([], 5.0, 0.0),
        ([10.0], 9.9, 0.0),
        ([10.0], 10.0, 1.0),
        ([10.0, 20.0], 15.0, 0.5),
        ([10.0, 20.0, 30.0], 25.0, 0.75),
        ([10.0, 10.0, 10.0], 10.0, 1.0),
        (UNIFORM, 90.0, 0.5),
    ],
)
def test_cdf(samples: list[float], x: float, expected: float) -> None:
    assert cdf(samples, x) == pytest.approx(expected)


@pytest.mark.parametrize("u", [0.0, 0.05, 0.3, 0.5, 0.99, 1.0])
def test_inverse_cdf_inverts_cdf(u: float) -> None:
    assert cdf(UNIFORM, inverse_cdf(UNIFORM, u)) == pytest.approx(u)


PLAN = PollPlan(mass_step=0.05, max_gap=15.0)  # round numbers for the table


@pytest.mark.parametrize(
    ("last_age", "last_gap", "samples", "scout", "expected", "why"),
    [
        (None, None, [], True, 0.0, "the scout looks at once"),
        (None, None, [], False, 60.0, "the others wait for news, at most prior_hold"),
        (0.0, None, [], True, 2.0, "the scout then polls geometrically: 2 s"),
        (2.0, 2.0, [], True, 5.0, "… then 3 s"),
        (100.0, 15.0, [], True, 115.0, "… capped at 15 s"),
        (None, None, [60.0] * 5, False, 60.0, "fixed times: the first poll when they end"),
        (None, None, UNIFORM, False, 63.0, "varied: the first poll at the 5 % quantile"),
        (63.0, None, UNIFORM, False, 66.0, "then every 5 % of the distribution (3 s here)"),
        (60.0, 1.0, [60.0, 200.0], False, 67.0, "a sparse region: 5 % of it is 7 s"),
        (60.0, 1.0, [60.0, 600.0], False, 75.0, "never more than 15 s apart"),
        (60.0, 1.0, [60.0, 60.5], False, 61.0, "never less than 1 s apart"),
        (130.0, 3.0, UNIFORM, False, 134.5, "past the slowest seen: the gap grows ×1.5"),
        (200.0, 15.0, UNIFORM, False, 215.0, "… up to 15 s"),
    ],
)
def test_next_poll_age(
    last_age: float | None, last_gap: float | None, samples: list[float], scout: bool, expected: float,
    why: str,
) -> None:
    age = next_poll_age(last_age=last_age, last_gap=last_gap, samples=samples, scout=scout, plan=PLAN)
    assert age == pytest.approx(expected), why


def test_next_poll_age_scales_its_own_gaps_but_not_the_samples() -> None:
    # Samples are measured (already in the emulator's time); gaps and holds are service seconds.
    held = next_poll_age(last_age=None, last_gap=None, samples=[], scout=False, scale=0.1)
    assert held == pytest.approx(6.0)
    assert next_poll_age(last_age=6.0, last_gap=None, samples=[6.0, 7.0], scout=False, scale=0.1) == (
        pytest.approx(6.1)
    )


@pytest.mark.parametrize(
    ("code", "tokens", "scope"),
    [
        ("Throttling.AllocationQuota", 5.0, "slots"),
        ("Throttling.AllocationQuota", 0.0, "slots"),
        ("Throttling.RateQuota", 0.2, "pace"),
        ("Throttling", 0.9, "pace"),
        ("Throttling.RateQuota", 3.0, "request"),
        ("Throttling", 18.0, "request"),
        ("LimitRequests", 1.0, "request"),
    ],
)
def test_throttle_scope(code: str, tokens: float, scope: str) -> None:
    assert throttle_scope(code, tokens=tokens) == scope


def sdk_polls(end: float) -> tuple[int, float]:
    """The official SDK's wait(): 1 s, doubling every third poll, 5 s at most."""
    t, wait, n = 0.0, 1.0, 0
    while t < end:
        n += 1
        if n % 3 == 0:
            wait = min(wait * 2, 5.0)
        t += wait
    return n + 1, t - end


def test_the_default_plan_polls_less_than_the_sdk_and_detects_as_fast() -> None:
    """Over the 60–120 s distribution: fewer polls than the SDK's wait(), and a finished task
    seen sooner on average, never more than the plan's gap late."""
    ours, theirs = [], []
    for end in UNIFORM:
        age, gap, n = None, None, 0
        while True:
            new = next_poll_age(last_age=age, last_gap=gap, samples=UNIFORM, scout=False)
            gap, age, n = (None if age is None else new - age), new, n + 1
            if age >= end:
                break
        ours.append((n, age - end))
        theirs.append(sdk_polls(end))
    mean = lambda pairs, i: sum(p[i] for p in pairs) / len(pairs)  # noqa: E731
    assert mean(ours, 0) < 0.8 * mean(theirs, 0)
    assert mean(ours, 1) < mean(theirs, 1)
    assert max(latency for _, latency in ours) <= PollPlan().max_gap


class SteppedTime:
    """A clock that moves only when the test advances it; sleepers wake in order."""

    def __init__(self) -> None:
        self.now = 0.0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._n = 0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        future = asyncio.get_running_loop().create_future()
        self._n += 1
        heapq.heappush(self._sleepers, (self.now + seconds, self._n, future))
        await future

    async def advance(self, to: float) -> None:
        await settle()  # whoever was woken registers its next sleep before time moves
        while self._sleepers and self._sleepers[0][0] <= to:
            when, _, future = heapq.heappop(self._sleepers)
            self.now = when
            if not future.done():
                future.set_result(None)
            await settle()
        self.now = to
        await settle()


async def settle() -> None:
    """Let every runnable task run until it waits again (a few loop turns each)."""
    for _ in range(50):
        await asyncio.sleep(0)


def finished(task: str, seconds: int) -> dict[str, Any]:
    return {"output": {"task_id": task, "task_status": "SUCCEEDED", "submit_time": "2026-01-01 00:00:00.000",
                       "end_time": f"2026-01-01 00:0{seconds // 60}:{seconds % 60:02d}.000"}}  # fmt: skip


def test_the_pacer_holds_first_polls_for_the_scout_and_then_by_the_plan() -> None:
    time = SteppedTime()

    async def scenario() -> list[str]:
        pacer = Pacer(concurrency=5, poll_rate=1000.0, clock=time.clock, sleep=time.sleep)
        order: list[str] = []
        for task in ("A", "B"):
            await pacer.after("create", 200, httpx.Headers(), {"output": {"task_id": task}})
            await time.advance(time.now + 1.0)  # B is created a second after A

        async def poll(task: str) -> None:
            await pacer.before("poll", task)
            order.append(f"{task}@{time.now:g}")

        b = asyncio.create_task(poll("B"))
        await poll("A")  # A is the oldest: the scout looks at once
        await time.advance(50.0)
        assert not b.done()  # B waits for news of A
        await pacer.after("poll", 200, httpx.Headers(), finished("A", 50))
        await time.advance(60.0)
        await b  # due when tasks like it end: created at 1, 50 s → 51
        await pacer.after("create", 200, httpx.Headers(), {"output": {"task_id": "C"}})
        c = asyncio.create_task(poll("C"))
        await time.advance(200.0)
        await c
        return order

    assert asyncio.run(scenario()) == ["A@2", "B@51", "C@110"]


def test_one_slow_scout_does_not_keep_the_others_waiting() -> None:
    time = SteppedTime()

    async def scenario() -> list[str]:
        pacer = Pacer(concurrency=5, poll_rate=1000.0, clock=time.clock, sleep=time.sleep)
        for task in ("slow", "quick"):
            await pacer.after("create", 200, httpx.Headers(), {"output": {"task_id": task}})
            await time.advance(time.now + 1.0)
        await pacer.before("poll", "slow")  # the oldest: the scout
        waiting = asyncio.create_task(pacer.before("poll", "quick"))
        await time.advance(60.0)
        early = waiting.done()
        await time.advance(61.0)  # created at 1: 60 s later it looks, though the scout never ended
        return [f"early={early}", f"done={waiting.done()}"]

    assert asyncio.run(scenario()) == ["early=False", "done=True"]  # prior_hold: 60 s
