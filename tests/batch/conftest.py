"""Fixtures of the batch tests: hermetic environment, one emulator process per session."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # `tests.…` must import however pytest is started
    sys.path.insert(0, str(ROOT))

from tests.batch.batch_helpers import KEY  # noqa: E402
from tests.conftest import hermetic  # noqa: E402
from tests.emulator_process import Emulator, start_emulator  # noqa: E402


@pytest.fixture(autouse=True)
def hermetic_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private SHOTSCRIPT_HOME, the test key, the loopback guard, no base URL."""
    home = hermetic(monkeypatch, tmp_path_factory.mktemp("shotscript-home"), KEY)
    monkeypatch.setenv("NO_COLOR", "1")
    return home


@pytest.fixture(scope="session")
def batch_emulator() -> Iterator[Emulator]:
    """One real emulator process on 127.0.0.1 for the session."""
    with start_emulator("--time-scale", "0.01") as emulator:
        yield emulator


@pytest.fixture
def emu(batch_emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    """The emulator reset (no faults), and the environment pointing at it."""
    assert batch_emulator.base_url.startswith("http://127.0.0.1:")
    batch_emulator.reset(faults="", seed=11, time_scale=0.01, gen_seconds=None, max_running=5, create_rps=5.0)
    monkeypatch.setenv("DASHSCOPE_HTTP_BASE_URL", batch_emulator.base_url)
    monkeypatch.setenv("SHOTSCRIPT_POLL_SCALE", "0.05")
    return batch_emulator
