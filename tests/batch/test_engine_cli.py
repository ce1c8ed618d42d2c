"""What `render` says: --cancel that explains, first-render wording, counts true on a rerun."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

from tests.batch.batch_helpers import ROOT, command, run, story_text
from tests.batch.journal_helpers import journal_states, journal_task_id
from tests.batch.test_engine_ledger import one_story, wait_for
from tests.emulator_process import Emulator


def _interrupted_at(story: Path, out: Path, state: str) -> str:
    """Start a render, wait until the journal shows `state`, Ctrl-C it; the task id."""
    process = subprocess.Popen(command("render", str(story), "--out", str(out)), cwd=ROOT,
                               env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)  # fmt: skip
    wait_for(lambda: journal_states(out).get("ad") == state, f"the journal's {state!r}")
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    task_id = journal_task_id(out, "ad")
    assert task_id
    return task_id


def test_cancel_a_pending_task_then_a_running_one_says_what_happened_and_what_to_do(
    emu: Emulator, tmp_path: Path
) -> None:
    emu.reset(gen_seconds=100.0)  # PENDING for 10 s
    story = one_story(tmp_path / "s")
    task_id = _interrupted_at(story, tmp_path / "p", "submitted")
    canceled = run("render", str(story), "--out", str(tmp_path / "p"), "--cancel")
    assert canceled.returncode == 0, canceled.stderr
    assert f"canceled task {task_id} while it was PENDING; nothing is billed" in canceled.stderr
    assert emu.stats()["cancels"] == 1

    emu.reset(gen_seconds=20.0)  # PENDING 2 s, then RUNNING for 18 s
    story = one_story(tmp_path / "s2", i=2)
    task_id = _interrupted_at(story, tmp_path / "r", "running")
    refused = run("render", str(story), "--out", str(tmp_path / "r"), "--cancel")
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert f"task {task_id} is already RUNNING" in refused.stderr
    assert "it will finish and be billed" in refused.stderr
    assert "hint: run the same render command without --cancel to download its video" in refused.stderr


def test_a_story_that_never_compiled_does_not_say_it_failed_earlier(emu: Emulator, tmp_path: Path) -> None:
    folder = tmp_path / "s"
    folder.mkdir()
    (folder / "bad.shot").write_text(story_text(1).replace("1280*720", "1280x720"), "utf-8")
    proc = run("render", str(folder), "--out", str(tmp_path / "out"))
    assert proc.returncode == 1
    assert "failed earlier" not in proc.stderr and "does not compile" in proc.stderr
    assert "E405" in proc.stderr


def test_counts_stay_true_on_a_rerun(emu: Emulator, tmp_path: Path) -> None:
    folder = tmp_path / "s"
    folder.mkdir()
    for name in ("a", "b"):  # the same request twice: rendered once, copied once
        (folder / f"{name}.shot").write_text(story_text(5), "utf-8")
    first = run("render", str(folder), "--out", str(tmp_path / "out"))
    assert first.returncode == 0 and "2 stories: 1 new, 1 copy" in first.stderr, first.stderr
    again = run("render", str(folder), "--out", str(tmp_path / "out"))
    assert again.returncode == 0 and "2 stories: 2 done" in again.stderr, again.stderr
    assert emu.stats()["creates"] == 1
