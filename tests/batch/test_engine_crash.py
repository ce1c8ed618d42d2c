"""kill -9 at the instants a render must survive, reached exactly (failpoints), never by a
sleep: after "submitting" is durable, after the create is answered, mid-download, between the
download and the rename, after the rename. Then the same command again: 0 duplicate creates,
every video whole and decodable.

CI runs `SHOTSCRIPT_CRASH_SEEDS` seeds per state (1); the full set is 10:

    SHOTSCRIPT_CRASH_SEEDS=10 .venv/bin/python -m pytest -q tests/batch/test_engine_crash.py
"""

from __future__ import annotations

import os
import random
import signal
from pathlib import Path

import av
import pytest

from shotscript.runtime.failpoints import POINTS
from tests.batch.batch_helpers import run, states
from tests.batch.journal_helpers import journal_states
from tests.emulator_process import Emulator

CRASH_SEEDS = int(os.environ.get("SHOTSCRIPT_CRASH_SEEDS", "1"))
STORIES = 3
TRUNCATE = 0.5


def first_download_cut(seed: int) -> bool:
    """Whether the emulator's fault generator cuts the first download (only `truncate` is
    configured, so downloads are its only draws: the same for a seed, whatever the timing)."""
    return random.Random(f"shotscript-emulator-faults:{seed}").random() < TRUNCATE


def seeds_for(point: str) -> list[int]:
    if point != "cut":
        return list(range(CRASH_SEEDS))
    return [s for s in range(1000) if first_download_cut(s)][:CRASH_SEEDS]


CASES = [(point, seed) for point in POINTS for seed in seeds_for(point)]


def write(folder: Path, seed: int) -> None:
    folder.mkdir(parents=True)
    for i in range(STORIES):
        text = (
            f"title Crash {seed}-{i}\nsize 1280*720\nduration 5\n\ncast\n"
            "  girl video https://cdn.wanx.aliyuncs.com/static/demo-wan26/vace.mp4\n\n"
            f"shot 0-2s @girl runs, seed {seed}, story {i}.\nshot @girl stops.\n"
        )
        (folder / f"s{i}.shot").write_text(text, "utf-8")


def decodes(video: Path) -> bool:
    with av.open(str(video)) as container:
        frames = sum(1 for _ in container.decode(video=0))
        return frames >= 30 * 5 - 1 and abs(container.duration / av.time_base - 5) < 0.2


@pytest.mark.parametrize(("point", "seed"), CASES, ids=[f"{p}-{s}" for p, s in CASES])
def test_kill_9_at_a_named_instant_then_the_rerun_pays_nothing_twice(
    emu: Emulator, tmp_path: Path, point: str, seed: int
) -> None:
    emu.reset(seed=seed, faults=f"truncate={TRUNCATE}" if point == "cut" else "")
    stories, out = tmp_path / "stories", tmp_path / "out"
    write(stories, seed)
    killed = run("render", str(stories), "--out", str(out), env={"SHOTSCRIPT_FAILPOINT": point})
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    seen = journal_states(out)
    stats = emu.stats()
    # The state the kill met is the one named, as the journal and the emulator show it.
    match point:
        case "submitting":
            assert "submitting" in seen.values() and stats["create_requests"] == 0
        case "answered":
            assert "submitting" in seen.values() and stats["creates"] >= 1
        case "cut" | "downloaded":
            assert "downloading" in seen.values()
            assert list(out.glob("*.mp4.part")), "the partial download is on disk"
        case "renamed":
            assert "downloading" in seen.values() and list(out.glob("*.mp4"))

    again = run("render", str(stories), "--out", str(out))
    assert again.returncode == 0, again.stderr[-3000:]
    assert set(states(out).values()) == {"done"}
    stats = emu.stats()
    assert stats["duplicate_creates"] == 0 and stats["creates"] == STORIES, stats
    videos = sorted(out.glob("*.mp4"))
    assert len(videos) == STORIES and all(decodes(v) for v in videos)
    assert not list(out.glob("*.part")) and not list(out.glob("*.tmp"))
