"""Runtime tests never leave this machine: every request must go to a loopback address."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from emulator_process import Emulator, start_emulator
from rt_helpers import POLL_SCALE, TEST_KEY

from shotscript.runtime.settings import is_loopback
from tests.conftest import hermetic


@pytest.fixture(autouse=True)
def hermetic_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private SHOTSCRIPT_HOME, the test key, and the loopback guard switched on."""
    home = hermetic(monkeypatch, tmp_path_factory.mktemp("shotscript-home"), TEST_KEY)
    return home


@pytest.fixture(scope="session")
def runtime_emulator() -> Iterator[Emulator]:
    """One real emulator process for the session; generation takes about a second."""
    with start_emulator("--time-scale", "0.01") as emulator:
        yield emulator


@pytest.fixture
def emu(runtime_emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    """The emulator, reset (no faults, seed 0), and the environment pointing at it."""
    if not is_loopback(runtime_emulator.base_url):
        pytest.fail(f"refusing to test against a non-loopback URL: {runtime_emulator.base_url}")
    runtime_emulator.reset(faults="", seed=0, time_scale=0.01, gen_seconds=None)
    monkeypatch.setenv("DASHSCOPE_HTTP_BASE_URL", runtime_emulator.base_url)
    monkeypatch.setenv("SHOTSCRIPT_POLL_SCALE", str(POLL_SCALE))
    return runtime_emulator
