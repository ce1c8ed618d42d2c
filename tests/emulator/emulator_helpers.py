"""Small helpers shared by the emulator tests."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

KEY = "sk-emulator-test-0001"
CREATE_PATH = "/services/aigc/video-generation/video-synthesis"
SEEDS = Path(__file__).resolve().parents[1] / "golden" / "seed-payloads"
TERMINAL = ("SUCCEEDED", "FAILED", "CANCELED", "UNKNOWN")


def seed_payload(name: str = "silent-dance") -> dict[str, Any]:
    """One of the official example request bodies."""
    return json.loads((SEEDS / f"{name}.json").read_text("utf-8"))  # type: ignore[no-any-return]


def create(client: httpx.Client, body: object, **headers: str) -> httpx.Response:
    """POST a create with the mandatory async header (plus any extra headers)."""
    return client.post(CREATE_PATH, json=body, headers={"X-DashScope-Async": "enable", **headers})


def created_id(client: httpx.Client, body: object, **headers: str) -> str:
    """Create a task that must be accepted; return its id."""
    response = create(client, body, **headers)
    assert response.status_code == 200, response.text
    return str(response.json()["output"]["task_id"])


def status_of(answer: dict[str, Any]) -> str:
    """`output.task_status` of a poll answer."""
    return str(answer["output"]["task_status"])


def wait_for(
    client: httpx.Client,
    task_id: str,
    done: Callable[[dict[str, Any]], bool] = lambda a: status_of(a) in TERMINAL,
    timeout: float = 15.0,
) -> dict[str, Any]:
    """Poll a task every 50 ms until `done(answer)`; return that answer."""
    deadline = time.monotonic() + timeout
    while True:
        response = client.get(f"/tasks/{task_id}")
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        if done(answer):
            return answer
        if time.monotonic() > deadline:
            raise AssertionError(f"task {task_id} still {status_of(answer)} after {timeout} s")
        time.sleep(0.05)
