"""One engine, one ledger: every way of rendering a story pays for it at most once.

Each test reproduces a failure of the two-path design against the emulator process and
checks the counters the emulator keeps (creates, create requests) — never timings.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

from tests.batch.batch_helpers import ROOT, command, run, states, status, story_text, write_stories
from tests.batch.journal_helpers import journal_states, journal_task_id
from tests.emulator_process import Emulator


def wait_for(condition: object, what: str, timeout: float = 60) -> None:
    """Wait for an observed state (a journal row, an emulator counter); fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.02)
    raise AssertionError(f"never observed: {what}")


def one_story(folder: Path, i: int = 1, name: str = "ad") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.shot"
    path.write_text(story_text(i), "utf-8")
    return path


def test_a_single_story_into_a_folder_a_batch_rendered_sends_nothing(emu: Emulator, tmp_path: Path) -> None:
    stories, out = tmp_path / "stories", tmp_path / "renders"
    write_stories(stories, 2)
    assert run("render", str(stories), "--out", str(out)).returncode == 0
    assert emu.stats()["creates"] == 2
    story = stories / "part0" / "story000.shot"
    # Into the batch's folder (key story000, same request as part0/story000) and into the
    # sub-folder the batch wrote it to (another journal: the ledger knows the video).
    for target in (out, out / "part0"):
        proc = run("render", str(story), "--out", str(target))
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.strip() == str(target / "story000.mp4")
    assert emu.stats()["create_requests"] == 2
    assert "not paid again" in proc.stderr


def test_two_renders_of_one_story_at_once_one_create_and_one_clean_refusal(
    emu: Emulator, tmp_path: Path
) -> None:
    emu.reset(time_scale=0.05)  # tasks of a few seconds: the second render comes while it runs
    story, out = one_story(tmp_path / "s"), tmp_path / "out"
    first = subprocess.Popen(command("render", str(story), "--out", str(out)), cwd=ROOT,
                             env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)  # fmt: skip
    wait_for(lambda: journal_task_id(out, "ad"), "the first render's task id in the journal")
    second = run("render", str(story), "--out", str(out))
    assert second.returncode == 1 and "another render is working in" in second.stderr
    assert "Traceback" not in second.stderr
    # Into another folder at the same time: the ledger's task is polled, not paid again.
    other = run("render", str(story), "--out", str(tmp_path / "elsewhere"))
    assert other.returncode == 0, other.stderr
    # Polled while it runs, or copied if it finished meanwhile: either way, not paid again.
    assert "polled instead of paying again" in other.stderr or "not paid again" in other.stderr, other.stderr
    _, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    assert emu.stats()["creates"] == 1 and emu.stats()["create_requests"] == 1
    assert (out / "ad.mp4").read_bytes() == (tmp_path / "elsewhere" / "ad.mp4").read_bytes()


def test_one_story_into_two_folders_is_paid_once_and_new_take_pays_once_more(
    emu: Emulator, tmp_path: Path, hermetic_env: Path
) -> None:
    story = one_story(tmp_path / "s")
    assert run("render", str(story), "--out", str(tmp_path / "a")).returncode == 0
    second = run("render", str(story), "--out", str(tmp_path / "b"))
    assert second.returncode == 0, second.stderr
    assert emu.stats()["creates"] == 1
    assert "its video copied here, not paid again" in second.stderr
    a, b = tmp_path / "a" / "ad.mp4", tmp_path / "b" / "ad.mp4"
    assert a.read_bytes() == b.read_bytes()
    assert json.loads((tmp_path / "b" / "ad.json").read_text())["task_id"] == states_task(tmp_path / "a")
    assert status(tmp_path / "b")["stories"][0]["billed_seconds"] == 0.0  # paid in a/, not here

    take = run("render", str(story), "--out", str(tmp_path / "b"), "--new-take")
    assert take.returncode == 0, take.stderr
    assert "--new-take: paying for take 2" in take.stderr
    assert emu.stats()["creates"] == 2
    # The ledger lists both creates, per folder.
    spent = json.loads(run("ledger", "--json").stdout)["spent"]
    assert sum(line["creates"] for line in spent) == 2
    assert {line["folder"] for line in spent} == {str((tmp_path / d).resolve()) for d in ("a", "b")}
    assert str(hermetic_env) in json.loads(run("ledger", "--json").stdout)["ledger"]


def states_task(out: Path) -> str:
    [row] = status(out)["stories"]
    return str(row["task_id"])


def _finished_folder(emu: Emulator, tmp_path: Path, n: int) -> tuple[Path, Path]:
    stories, out = tmp_path / "stories", tmp_path / "renders"
    write_stories(stories, n)
    assert run("render", str(stories), "--out", str(out)).returncode == 0
    assert emu.stats()["creates"] == n
    return stories, out


def _lose_journal(out: Path, how: str) -> None:
    for suffix in ("-wal", "-shm"):
        (out / f"journal.sqlite{suffix}").unlink(missing_ok=True)
    if how == "deleted":
        (out / "journal.sqlite").unlink()
    else:
        (out / "journal.sqlite").write_bytes(b"")


def test_a_deleted_or_emptied_journal_is_rebuilt_from_the_ledger_not_paid_again(
    emu: Emulator, tmp_path: Path
) -> None:
    stories, out = _finished_folder(emu, tmp_path, 6)  # six finished videos, as the issue found
    videos = {p: p.read_bytes() for p in out.rglob("*.mp4")}
    for how in ("deleted", "emptied"):
        _lose_journal(out, how)
        proc = run("render", str(stories), "--out", str(out))
        assert proc.returncode == 0, proc.stderr
        assert emu.stats()["create_requests"] == 6, how
        assert set(states(out).values()) == {"done"} and len(states(out)) == 6
        assert {p: p.read_bytes() for p in out.rglob("*.mp4")} == videos  # nothing overwritten


def test_a_lost_journal_and_ledger_are_rebuilt_from_the_sidecars(
    emu: Emulator, tmp_path: Path, hermetic_env: Path
) -> None:
    stories, out = _finished_folder(emu, tmp_path, 3)
    _lose_journal(out, "deleted")
    shutil.rmtree(hermetic_env)  # another machine, or the state folder wiped
    proc = run("render", str(stories), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert emu.stats()["create_requests"] == 3
    assert "its sidecar are this request's" in proc.stderr
    rows = status(out)["stories"]
    assert {r["state"] for r in rows} == {"done"} and all(r["task_id"] for r in rows)
    assert journal_states(out) == {r["key"]: "done" for r in rows}


def test_model_retargets_the_render_and_is_a_request_of_its_own(emu: Emulator, tmp_path: Path) -> None:
    story = one_story(tmp_path / "s")
    proc = run("render", str(story), "--out", str(tmp_path / "a"), "--model", "wan2.7-r2v", "--json")
    assert proc.returncode == 0, proc.stderr
    [line] = [json.loads(x) for x in proc.stdout.splitlines()]
    assert line["state"] == "done" and line["task_id"] and line["video"] == str(tmp_path / "a" / "ad.mp4")
    assert line["billed_seconds"] and line["cost"] is not None
    assert json.loads((tmp_path / "a" / "ad.json").read_text())["model"] == "wan2.7-r2v"
    # The story's own model is another request: paid for on its own, never confused.
    assert run("render", str(story), "--out", str(tmp_path / "b")).returncode == 0
    assert emu.stats()["creates"] == 2
