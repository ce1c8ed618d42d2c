"""Fixtures of the emulator tests: one emulator process per session, reset before each test."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # `tests.…` must import however pytest is started
    sys.path.insert(0, str(ROOT))

from tests.emulator.emulator_helpers import KEY  # noqa: E402
from tests.emulator_process import Emulator, start_emulator  # noqa: E402

# What every test starts from (tests may change it with `emulator.reset(...)`).
DEFAULTS = {
    "faults": "",
    "seed": 7,
    "time_scale": 0.01,  # generation takes about 0.6-1.2 s
    "timing": "uniform",
    "gen_seconds": None,
    "slow_seconds": 3.0,
    "max_running": 5,
    "create_rps": 5.0,
    "poll_rps": 20.0,
    "accounts": {},
}


@pytest.fixture(scope="session")
def emulator_process() -> Iterator[Emulator]:
    """One emulator process for the whole session."""
    with start_emulator("--time-scale", "0.01", "--seed", "7") as emulator:
        yield emulator
        log = emulator.log()
    # Whatever the tests threw at it (bad input, faults), the emulator never crashed.
    assert "Traceback" not in log and "Exception in ASGI" not in log, log


@pytest.fixture
def emulator(emulator_process: Emulator) -> Emulator:
    """The session emulator with no tasks, uploads, counters or faults left by other tests."""
    emulator_process.reset(**DEFAULTS)
    return emulator_process


@pytest.fixture
def api(emulator: Emulator) -> Iterator[httpx.Client]:
    """An HTTP client for the API, authorized with a valid key."""
    with httpx.Client(
        base_url=emulator.base_url, headers={"Authorization": f"Bearer {KEY}"}, timeout=10
    ) as client:
        yield client
