"""Time like the service's: realistic generation times, PENDING when the account is busy,
and every announced time (Retry-After, URL, task and upload expiry) on the same time scale."""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from PIL import Image

from shotscript.emulator.timing import Job, plan_timeline, realistic_median, timing_data
from tests.emulator.emulator_helpers import created_id, seed_payload, status_of, wait_for
from tests.emulator.test_emulator_uploads import RESOLVE, uploaded, with_refs
from tests.emulator_process import Emulator

FLASH_720 = Job(model="wan2.6-r2v-flash", tier="720P", duration=5, busy=0)


def draws(job: Job, n: int = 4000, seed: int = 0) -> list[tuple[float, float]]:
    rng = random.Random(seed)
    return [plan_timeline(rng, job, mode="realistic", time_scale=1.0, gen_seconds=None) for _ in range(n)]


def quantile(values: list[float], q: float) -> float:
    return sorted(values)[int(q * (len(values) - 1))]


def test_realistic_times_spread_like_the_documented_minutes_with_a_tail() -> None:
    running = [r for _, r in draws(Job(model="wan2.6-r2v", tier="720P", duration=5, busy=0))]
    limits = timing_data()["realistic"]
    assert limits["min_seconds"] <= min(running) and max(running) <= limits["max_seconds"]
    assert quantile(running, 0.25) >= 60 and quantile(running, 0.75) <= 300  # mostly 1-5 minutes
    median = statistics.median(running)
    assert median == pytest.approx(realistic_median(Job("wan2.6-r2v", "720P", 5, 0)), rel=0.1)
    assert quantile(running, 0.99) > 2.5 * median  # the tail: some tasks take much longer
    assert len(set(running)) > 0.99 * len(running)  # drawn per task (a few clamped to the minimum)


@pytest.mark.parametrize(
    ("slower", "faster"),
    [
        (Job("wan2.6-r2v-flash", "1080P", 5, 0), FLASH_720),  # tier
        (Job("wan2.6-r2v-flash", "720P", 10, 0), FLASH_720),  # output seconds
        (Job("wan2.6-r2v", "720P", 5, 0), FLASH_720),  # model
        (Job("wan2.7-r2v", "1080P", 15, 0), Job("wan2.7-r2v", "1080P", 2, 0)),
    ],
)
def test_generation_time_depends_on_model_tier_and_duration(slower: Job, faster: Job) -> None:
    slow = statistics.median(r for _, r in draws(slower))
    fast = statistics.median(r for _, r in draws(faster))
    assert slow > 1.2 * fast


def test_busy_accounts_wait_longer_in_pending() -> None:
    idle = statistics.mean(q for q, _ in draws(FLASH_720))
    busy = statistics.mean(q for q, _ in draws(Job("wan2.6-r2v-flash", "720P", 5, busy=4)))
    assert busy > 3 * idle


def test_same_seed_same_times_and_scale_applies() -> None:
    assert draws(FLASH_720, 50, seed=4) == draws(FLASH_720, 50, seed=4)
    assert draws(FLASH_720, 50, seed=4) != draws(FLASH_720, 50, seed=5)
    scaled = plan_timeline(random.Random(1), FLASH_720, mode="realistic", time_scale=0.01, gen_seconds=None)
    plain = plan_timeline(random.Random(1), FLASH_720, mode="realistic", time_scale=1.0, gen_seconds=None)
    assert scaled == pytest.approx((plain[0] * 0.01, plain[1] * 0.01))
    with pytest.raises(ValueError, match="unknown timing"):
        plan_timeline(random.Random(1), FLASH_720, mode="gaussian", time_scale=1.0, gen_seconds=None)


def numbered(n: int, model: str = "wan2.6-r2v-flash") -> dict[str, object]:
    body = seed_payload()
    body["model"] = model
    body["parameters"].update(seed=n, audio=True)
    return body


def test_the_emulator_plans_each_task_by_its_request(api: httpx.Client, emulator: Emulator) -> None:
    emulator.reset(timing="realistic", time_scale=1.0, max_running=5, create_rps=100.0)
    for n in range(4):  # the account gets busier with each create
        created_id(api, numbered(n))
    slow = numbered(9, model="wan2.6-r2v")
    slow["parameters"].update(size="1920*1080", duration=10)
    created_id(api, slow)
    plans = emulator.tasks()
    assert {p["status"] for p in plans} <= {"PENDING", "RUNNING"}  # minutes to go at time scale 1
    assert len({p["run_s"] for p in plans}) == 5
    flash_runs = [p["run_s"] for p in plans[:4]]
    assert plans[4]["run_s"] > statistics.median(flash_runs)  # 1080P, 10 s, the bigger model
    r = timing_data()["realistic"]
    assert all(r["min_seconds"] <= p["run_s"] <= r["max_seconds"] for p in plans)
    emulator.reset(timing="uniform", time_scale=1.0)
    created_id(api, numbered(1))
    (uniform,) = emulator.tasks()
    assert 60 <= uniform["pending_s"] + uniform["run_s"] <= 120


def poll_until(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    """Wait for an observed state (never a fixed time)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "state not reached"
        time.sleep(0.05)


# 24 h of service time at this scale is 0.864 s of real time.
TINY = 1e-5


def test_result_urls_expire_on_the_time_scale(api: httpx.Client, emulator: Emulator) -> None:
    emulator.reset(time_scale=TINY, gen_seconds=0.0, poll_rps=1000.0)
    answer = wait_for(api, created_id(api, seed_payload()))
    url = answer["output"]["video_url"]
    expires = int(url.split("Expires=")[1].split("&")[0])
    assert expires <= time.time() + 2  # not 24 real hours
    poll_until(lambda: httpx.get(url).status_code == 403)
    assert "expired" in httpx.get(url).text


def test_task_ids_expire_on_the_time_scale(api: httpx.Client, emulator: Emulator) -> None:
    emulator.reset(time_scale=TINY, gen_seconds=0.0, poll_rps=1000.0)
    task_id = created_id(api, seed_payload())
    assert api.get("/tasks").json()["total"] <= 1
    poll_until(lambda: status_of(api.get(f"/tasks/{task_id}").json()) == "UNKNOWN")
    assert api.get("/tasks").json()["total"] == 0


def test_uploads_expire_on_the_time_scale(api: httpx.Client, emulator: Emulator, tmp_path: Path) -> None:
    emulator.reset(time_scale=TINY * 0.5, gen_seconds=0.0, poll_rps=1000.0, create_rps=1000.0)  # 48 h: 0.86 s
    picture = tmp_path / "role.png"
    Image.new("RGB", (320, 480), (200, 80, 40)).save(picture)
    url = uploaded(api, picture)

    def refused() -> bool:
        answer = wait_for(api, created_id(api, with_refs(url), **RESOLVE))
        return answer["output"].get("code") == "InvalidParameter.DataInspection"

    poll_until(refused)
    emulator.reset(time_scale=1.0, gen_seconds=0.0)
    fresh = uploaded(api, picture)
    assert status_of(wait_for(api, created_id(api, with_refs(fresh), **RESOLVE))) == "SUCCEEDED"
