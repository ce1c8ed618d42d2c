"""After an unanswered create, the task list is read under the batch's submit gate and the
candidates are followed outside it: following takes as long as the candidate runs (minutes
on the service), and no other story of the batch may wait that long to send its create."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from emulator_process import Emulator
from rt_helpers import POLL_SCALE, make_payload, render

from shotscript.runtime.backend import DashScopeBackend
from shotscript.runtime.lifecycle import RenderResult
from shotscript.runtime.settings import settings_from_env


class WatchedGate:
    """A submit gate that notes the emulator's counters each time it is left."""

    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        self.left: list[dict[str, Any]] = []

    @contextlib.asynccontextmanager
    async def __call__(self) -> AsyncIterator[None]:
        yield
        self.left.append(self.emu.stats())  # a blocking call in the loop: fine in a test


def backend(gate: WatchedGate) -> DashScopeBackend:
    return DashScopeBackend(settings_from_env("beijing", poll_scale=POLL_SCALE), submit_gate=gate)


def test_the_candidates_of_an_unanswered_create_are_followed_outside_the_gate(
    emu: Emulator, tmp_path: Path
) -> None:
    emu.fail_next_create("500", created=True)  # the task is made; its answer is lost
    gate = WatchedGate(emu)
    result, _ = render(make_payload(), tmp_path, backend=backend(gate))
    assert isinstance(result, RenderResult) and result.task_id is not None  # adopted, not sent again
    first = gate.left[0]
    # Left after the create and the list, before the candidate's first poll.
    assert first["create_requests"] == 1 and first["lists"] >= 1 and first["polls"] == 0
    stats = emu.stats()
    assert stats["create_requests"] == 1 and stats["duplicate_creates"] == 0
    assert stats["polls"] >= 1  # the candidate was followed to its end, then adopted


def test_a_create_that_made_nothing_is_sent_again_through_the_gate(emu: Emulator, tmp_path: Path) -> None:
    emu.fail_next_create("500", created=False)
    gate = WatchedGate(emu)
    result, _ = render(make_payload(), tmp_path, backend=backend(gate))
    assert isinstance(result, RenderResult) and result.task_id is not None
    # Twice through the gate: the first create and the list, then the second create.
    assert [g["create_requests"] for g in gate.left] == [1, 2]
    assert gate.left[0]["lists"] >= 1 and emu.stats()["creates"] == 1
