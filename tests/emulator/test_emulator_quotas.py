"""Quotas per key (and model): tasks in progress, create rate, poll rate; all answered 429."""

from __future__ import annotations

import time

import httpx

from tests.emulator.emulator_helpers import create, created_id, seed_payload, wait_for
from tests.emulator_process import Emulator


def numbered(n: int, model: str = "wan2.6-r2v-flash") -> dict[str, object]:
    body = seed_payload()
    body["model"] = model
    body["parameters"].update(seed=n, audio=True)
    return body


def test_tasks_in_progress_are_capped(api: httpx.Client, emulator: Emulator) -> None:
    emulator.reset(max_running=2, create_rps=100.0, gen_seconds=100.0)  # 10 s PENDING: time to cancel
    first = created_id(api, numbered(1))
    created_id(api, numbered(2))
    refused = create(api, numbered(3))
    assert refused.status_code == 429
    assert refused.json()["code"] == "Throttling.AllocationQuota"
    assert 1 < int(refused.headers["retry-after"]) <= 100  # when the first one will be done
    created_id(api, numbered(3, model="wan2.6-r2v"))  # another model has its own quota
    with httpx.Client(base_url=emulator.base_url, headers={"Authorization": "Bearer key-2"}) as other:
        created_id(other, numbered(3))  # and so has another key
    assert api.post(f"/tasks/{first}/cancel").status_code == 200  # canceling frees a place
    created_id(api, numbered(4))
    assert emulator.stats()["throttled"] == 1


def test_finished_tasks_free_their_place(api: httpx.Client, emulator: Emulator) -> None:
    emulator.reset(max_running=1, create_rps=100.0, gen_seconds=0.3)
    task = created_id(api, numbered(1))
    assert create(api, numbered(2)).status_code == 429
    wait_for(api, task)
    created_id(api, numbered(2))


def test_create_rate(api: httpx.Client, emulator: Emulator) -> None:
    emulator.reset(create_rps=3.0, max_running=100)
    for n in range(3):
        created_id(api, numbered(n))
    refused = create(api, numbered(3))
    assert refused.status_code == 429 and refused.json()["code"] == "Throttling.RateQuota"
    # 3 per second: one more after a third of a second, said to the millisecond (time scale < 1)
    retry_after = float(refused.headers["retry-after"])
    assert 0 < retry_after <= 0.334
    time.sleep(retry_after)  # the announced wait, which must be enough
    created_id(api, numbered(3))
    assert emulator.stats()["creates"] == 4
    emulator.reset(create_rps=3.0, max_running=100, time_scale=1.0)
    for n in range(3):
        created_id(api, numbered(n))
    assert create(api, numbered(3)).headers["retry-after"] == "1"  # whole seconds, as the service


def test_poll_rate(api: httpx.Client, emulator: Emulator) -> None:
    emulator.reset(poll_rps=4.0)
    answers = [api.get("/tasks/any") for _ in range(5)]
    assert [a.status_code for a in answers] == [200] * 4 + [429]
    assert answers[-1].json()["code"] == "Throttling.RateQuota"
    assert 0 < float(answers[-1].headers["retry-after"]) <= 0.25  # 4 per second
    assert emulator.stats()["throttled"] == 1
