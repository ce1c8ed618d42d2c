"""The poll plan and the 429 rules as tables (pure functions), and the pacer holding polls to
the plan on a clock that moves only when the test says so."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import math
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shotscript.batch.pacing import Pacer
from shotscript.batch.poll_plan import (
    PollPlan,
    cdf,
    hazard,
    inverse_cdf,
    next_poll_age,
    smoothed_quantile,
    spread,
    throttle_scope,
)

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


PLAN = PollPlan(max_gap=15.0)  # a wide bound, so that the table shows the plan's own gaps
LOGNORMAL = [80.0 * math.exp(0.35 * z) for z in (-1.6, -1.2, -0.9, -0.6, -0.4, -0.2, 0.0, 0.2, 0.4, 0.6,
                                                 0.9, 1.2, 1.6)]  # fmt: skip  # around 80 s, like the service


@pytest.mark.parametrize(
    ("last_age", "last_gap", "samples", "scout", "expected", "why"),
    [
        (None, None, [], True, 0.0, "the scout looks at once"),
        (None, None, [], False, 30.0, "the others wait for news, at most prior_hold"),
        (0.0, None, [], True, 2.0, "the scout then polls geometrically: 2 s"),
        (2.0, 2.0, [], True, 5.0, "… then 3 s"),
        (30.0, None, [], False, 32.0, "a non-scout past its hold: the same schedule"),
        (100.0, 15.0, [], True, 115.0, "… capped at max_gap"),
        (None, None, [60.0] * 10, False, 60.0, "times that never vary: the first poll when they end"),
        (None, None, UNIFORM, False, 60.0, "never before the quickest of 10 or more"),
        (130.0, 3.0, UNIFORM, False, 134.5, "past the slowest seen: the gap grows ×1.5"),
        (200.0, 15.0, UNIFORM, False, 215.0, "… up to max_gap"),
        (20.0, None, UNIFORM, False, 60.0, "seen long before tasks end (a resumed task): skip ahead"),
    ],
)
def test_next_poll_age(
    last_age: float | None, last_gap: float | None, samples: list[float], scout: bool, expected: float,
    why: str,
) -> None:
    age = next_poll_age(last_age=last_age, last_gap=last_gap, samples=samples, scout=scout, plan=PLAN)
    assert age == pytest.approx(expected), why


DEFAULT = PollPlan()


def ages(samples: list[float], end: float, plan: PollPlan = DEFAULT, **task: Any) -> list[float]:
    """Every poll of one task that ends at `end`, by the plan."""
    polled: list[float] = []
    age: float | None = None
    gap: float | None = None
    while age is None or age < end:
        new = next_poll_age(last_age=age, last_gap=gap, samples=samples, scout=False, plan=plan, **task)
        gap, age = (None if age is None else new - age), new
        polled.append(new)
    return polled


def test_the_polls_of_a_task_rise_and_keep_their_gaps_within_the_bounds() -> None:
    plan = PollPlan()
    polled = ages(LOGNORMAL, 400.0, plan)
    gaps = [b - a for a, b in itertools.pairwise(polled)]
    assert min(gaps) >= plan.min_gap - 1e-9
    assert max(gaps) <= plan.max_gap + 1e-9
    assert polled[0] == pytest.approx(min(LOGNORMAL))  # 13 samples: not before the quickest


def test_polls_are_dense_where_tasks_end_and_sparse_where_they_seldom_do() -> None:
    def gap(age: float) -> float:
        return next_poll_age(last_age=age, last_gap=1.0, samples=LOGNORMAL, scout=False, plan=PLAN) - age

    assert gap(55.0) > gap(80.0) > gap(110.0)  # the hazard rises through the bulk of the times
    assert gap(55.0) <= PLAN.max_gap


def test_a_higher_density_means_more_polls_and_sooner_detection() -> None:
    sparse, dense = PollPlan(density=1.5), PollPlan(density=3.0)
    ends = [50.0 + 5 * i for i in range(20)]
    polls = {p: sum(len(ages(LOGNORMAL, e, p)) for e in ends) for p in (sparse, dense)}
    late = {p: sum(ages(LOGNORMAL, e, p)[-1] - e for e in ends) for p in (sparse, dense)}
    assert polls[dense] > polls[sparse]
    assert late[dense] < late[sparse]


def test_few_samples_put_the_first_poll_earlier_than_many_alike() -> None:
    one = next_poll_age(last_age=None, last_gap=None, samples=[60.0], scout=False)
    nine = next_poll_age(last_age=None, last_gap=None, samples=[60.0] * 9, scout=False)
    assert one < nine < 60.0  # one sample says little of the spread: the documented one counts


def test_a_running_task_is_planned_from_its_start_on_running_times() -> None:
    runs = [t - 10.0 for t in LOGNORMAL]
    shifted = next_poll_age(last_age=100.0, last_gap=2.0, samples=LOGNORMAL, scout=False, running=runs,
                            started=30.0)  # fmt: skip
    assert shifted == pytest.approx(30.0 + next_poll_age(
        last_age=70.0, last_gap=2.0, samples=runs, scout=False))  # fmt: skip
    # Seen running just after its start: the next look is when the quickest runs end.
    fresh = next_poll_age(last_age=12.0, last_gap=None, samples=LOGNORMAL, scout=False, running=runs,
                          started=10.0)  # fmt: skip
    assert fresh == pytest.approx(10.0 + min(runs))


def test_without_running_times_the_plan_falls_back_to_end_minus_submit() -> None:
    plain = ages(LOGNORMAL, 120.0)
    assert ages(LOGNORMAL, 120.0, started=25.0) == plain  # no running times known: started unused
    assert ages(LOGNORMAL, 120.0, running=[], pending=True) == plain


def test_a_pending_task_is_looked_at_again_when_the_quickest_could_have_finished() -> None:
    runs = [t - 10.0 for t in LOGNORMAL]
    after = next_poll_age(
        last_age=40.0, last_gap=None, samples=LOGNORMAL, scout=False, running=runs, pending=True
    )
    quickest = smoothed_quantile(spread(runs) or pytest.fail("no spread"), PollPlan().pending_quantile)
    assert after == pytest.approx(40.0 + quickest)
    assert quickest < min(runs)


def test_the_smoothed_distribution() -> None:
    window = spread([0.0, -3.0, math.inf, 100.0, 100.0] * 30)  # only positive, finite times count
    assert window is not None and window.ordered == (100.0,) * 60
    assert spread([0.0, math.nan]) is None
    assert window.bandwidth == pytest.approx(PollPlan().min_bandwidth)  # identical: the floor
    assert smoothed_quantile(window, 0.5) == pytest.approx(100.0)
    lows = [smoothed_quantile(window, u) for u in (0.01, 0.1, 0.5, 0.9)]
    assert lows == sorted(lows)
    wide = spread(LOGNORMAL)
    assert wide is not None
    assert hazard(wide, 0.0) == 0.0
    assert 0.0 < hazard(wide, 60.0) < hazard(wide, 90.0) < math.inf


@settings(max_examples=300, deadline=None)
@given(
    samples=st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=60),
    running=st.lists(st.floats(min_value=-10.0, max_value=1e6), max_size=60),
    last_age=st.one_of(st.none(), st.floats(min_value=0.0, max_value=1e6)),
    last_gap=st.one_of(st.none(), st.floats(min_value=0.0, max_value=1e4)),
    started=st.one_of(st.none(), st.floats(min_value=0.0, max_value=1e6)),
    pending=st.booleans(),
    scout=st.booleans(),
    scale=st.sampled_from([1.0, 1 / 30, 0.001]),
)
def test_the_next_poll_is_always_later_and_finite(
    samples: list[float], running: list[float], last_age: float | None, last_gap: float | None,
    started: float | None, pending: bool, scout: bool, scale: float,
) -> None:
    age = next_poll_age(last_age=last_age, last_gap=last_gap, samples=samples, scout=scout, scale=scale,
                        running=running, started=started, pending=pending)  # fmt: skip
    assert math.isfinite(age)
    assert age > last_age if last_age is not None else age >= 0.0


def test_next_poll_age_scales_its_own_gaps_but_not_the_samples() -> None:
    # Samples are measured (already in the emulator's time); gaps and holds are service seconds.
    held = next_poll_age(last_age=None, last_gap=None, samples=[], scout=False, scale=0.1)
    assert held == pytest.approx(3.0)
    assert next_poll_age(last_age=8.0, last_gap=None, samples=[6.0] * 10, scout=False, scale=0.1) == (
        pytest.approx(8.2)  # past the slowest: 2 s × 0.1
    )
    quick = ages([t / 30 for t in LOGNORMAL], 120.0 / 30, scale=1 / 30)
    slow = ages(LOGNORMAL, 120.0)
    assert len(quick) == len(slow)  # the same plan, only faster
    assert [a * 30 for a in quick] == pytest.approx(slow)


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
        # One finished task trusted as the whole distribution: the first polls at its time.
        plan = PollPlan(prior_hold=60.0, trusted_samples=1)
        pacer = Pacer(concurrency=5, poll_rate=1000.0, clock=time.clock, sleep=time.sleep, plan=plan)
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
        await time.advance(30.0)
        early = waiting.done()
        await time.advance(31.0)  # created at 1: 30 s later it looks, though the scout never ended
        return [f"early={early}", f"done={waiting.done()}"]

    assert asyncio.run(scenario()) == ["early=False", "done=True"]  # prior_hold: 30 s


def api_time(seconds: float) -> str:
    """An API timestamp `seconds` after a fixed moment."""
    moment = datetime(2026, 1, 1) + timedelta(seconds=seconds)
    return moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{moment.microsecond // 1000:03d}"


def answer_of(
    task: str, status: str, *, scheduled: float | None = None, end: float | None = None
) -> dict[str, Any]:
    output: dict[str, Any] = {"task_id": task, "task_status": status, "submit_time": api_time(0.0)}
    if scheduled is not None:
        output["scheduled_time"] = api_time(scheduled)
    if end is not None:
        output["end_time"] = api_time(end)
    return {"output": output}


@pytest.mark.parametrize(
    ("first_answer", "expected_age", "why"),
    [
        (dict(status="RUNNING", scheduled=20.0), 100.0, "running since 20 s: when 80 s runs end, from then"),
        (dict(status="RUNNING"), 92.0, "no scheduled_time: end − submit (past the slowest: 2 s)"),
        (dict(status="PENDING"), None, "PENDING: after the quickest running time"),
    ],
)
def test_the_pacer_plans_a_task_from_what_its_polls_said(
    first_answer: dict[str, Any], expected_age: float | None, why: str
) -> None:
    time = SteppedTime()
    runs = [80.0] * 10
    if expected_age is None:
        pending = next_poll_age(last_age=90.0, last_gap=None, samples=[90.0] * 10, scout=False, running=runs,
                                pending=True)  # fmt: skip
        expected_age = pending

    async def scenario() -> list[float]:
        pacer = Pacer(concurrency=20, poll_rate=1000.0, clock=time.clock, sleep=time.sleep)
        for i in range(10):  # ten finished tasks: 10 s PENDING, 80 s RUNNING
            await pacer.after("create", 200, httpx.Headers(), {"output": {"task_id": f"F{i}"}})
            await pacer.after("poll", 200, httpx.Headers(), answer_of(f"F{i}", "SUCCEEDED", scheduled=10.0,
                                                                      end=90.0))  # fmt: skip
        await time.advance(100.0)
        await pacer.after("create", 200, httpx.Headers(), {"output": {"task_id": "T"}})
        seen: list[float] = []

        async def poll() -> None:
            await pacer.before("poll", "T")
            seen.append(time.now - 100.0)  # the moment the poll may go out

        for reply in (first_answer, {"status": "RUNNING"}):
            polling = asyncio.create_task(poll())
            while not polling.done():
                await time.advance(time.now + 1.0)
            await pacer.after("poll", 200, httpx.Headers(), answer_of("T", **reply))
        return seen

    first, second = asyncio.run(scenario())
    assert first == pytest.approx(90.0)  # not before the quickest of ten (90 s)
    assert second == pytest.approx(expected_age), why


def test_a_refused_poll_does_not_count_in_the_plan() -> None:
    """Its retry leaves after the client's back-off: the plan is not moved a step on by a 500,
    a 429 or a dropped connection, only by an answer."""
    time = SteppedTime()

    async def scenario() -> list[str]:
        pacer = Pacer(concurrency=5, poll_rate=1000.0, clock=time.clock, sleep=time.sleep)
        await pacer.after("create", 200, httpx.Headers(), {"output": {"task_id": "A"}})
        await pacer.before("poll", "A")  # the scout: at once
        await pacer.after("poll", 500, httpx.Headers(), {"code": "InternalError"}, "A")
        retry = asyncio.create_task(pacer.before("poll", "A"))
        await settle()
        seen = [f"retry at once={retry.done()}"]
        if not retry.done():  # (a regression then fails rather than hangs)
            await time.advance(time.now + 10.0)
        await retry
        running = {"output": {"task_id": "A", "task_status": "RUNNING"}}
        await pacer.after("poll", 200, httpx.Headers(), running, "A")
        answered = asyncio.create_task(pacer.before("poll", "A"))
        await settle()
        seen.append(f"after an answer at once={answered.done()}")  # held: the tail's first step
        await time.advance(time.now + 10.0)
        await answered
        return seen

    assert asyncio.run(scenario()) == ["retry at once=True", "after an answer at once=False"]
