"""Fail closed: state that cannot be read, or cannot be written, never leads to a second create."""

from __future__ import annotations

import errno
import io
import sqlite3
from pathlib import Path

import pytest

import shotscript
from shotscript.batch.journal import Journal, journal_path
from shotscript.runtime.ledger import Ledger
from shotscript.runtime.record import TaskRecord
from tests.batch.batch_helpers import KEY, run, states, status, story_text
from tests.batch.journal_helpers import journal_store
from tests.emulator_process import Emulator


def one_story(folder: Path, i: int = 1) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "ad.shot"
    path.write_text(story_text(i), "utf-8")
    return path


@pytest.mark.parametrize(
    "damage",
    [
        # cut short
        "UPDATE stories SET record = '{\"phase\": \"submitted\", \"task_id\": ' WHERE key = 'ad'",
        "UPDATE stories SET record = json_set(record, '$.phase', 'paused') WHERE key = 'ad'",  # unknown state
        "UPDATE stories SET record = NULL WHERE key = 'ad'",  # a live state without its record
    ],
    ids=["damaged", "unknown-state", "missing"],
)
def test_a_journal_row_that_cannot_be_read_needs_attention_and_sends_nothing(
    emu: Emulator, tmp_path: Path, damage: str
) -> None:
    story, out = one_story(tmp_path / "s"), tmp_path / "out"
    store = journal_store(out, "ad", shotscript.load(story).compile())
    store.save(TaskRecord(story="ad", fingerprint="x", submissions=1).advance("submitting"))
    store.journal.close()
    with sqlite3.connect(journal_path(out)) as db:
        db.execute(damage)
    proc = run("render", str(story), "--out", str(out))
    assert proc.returncode == 3, proc.stderr
    assert "cannot be read" in proc.stderr and "--resubmit" in proc.stderr and "Traceback" not in proc.stderr
    assert emu.stats()["create_requests"] == 0
    assert states(out) == {"ad": "needs-attention"}
    # The user checked: no task is this story's. Now, deliberately, one create.
    again = run("render", str(story), "--out", str(out), "--resubmit")
    assert again.returncode == 0, again.stderr
    assert emu.stats()["creates"] == 1


@pytest.mark.parametrize(
    "damage",
    [
        "UPDATE stories SET record = '{\"phase\": \"submitted\", \"task_id\": ' WHERE key = 'ad'",
        "UPDATE stories SET record = NULL WHERE key = 'ad'",
    ],
    ids=["damaged", "missing"],
)
def test_the_task_of_an_unreadable_row_can_be_named_and_is_followed(
    emu: Emulator, tmp_path: Path, damage: str
) -> None:
    story, out = one_story(tmp_path / "s"), tmp_path / "out"
    payload = shotscript.load(story).compile()
    store = journal_store(out, "ad", payload)
    store.save(TaskRecord(story="ad", fingerprint="x", submissions=1).advance("submitting"))
    store.journal.close()
    with sqlite3.connect(journal_path(out)) as db:
        db.execute(damage)
    task = emu.create_as(KEY, body=payload.body(), when="now")  # the task its create did make
    claimed = run("adopt", str(out), "ad", task)
    assert claimed.returncode == 0, claimed.stderr
    proc = run("render", str(story), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert states(out) == {"ad": "done"} and emu.stats()["create_requests"] == 0


@pytest.mark.parametrize("ledger_too", [False, True], ids=["journal", "journal-and-ledger"])
def test_disk_full_while_recording_the_task_id_then_the_rerun_fetches_the_paid_video(
    emu: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ledger_too: bool
) -> None:
    story, out = one_story(tmp_path / "s"), tmp_path / "out"
    save = Journal.save_record
    submitted = Ledger.submitted

    def full_disk_journal(self: Journal, key: str, fingerprint: str, record: TaskRecord) -> object:
        if record.phase == "submitted":
            raise OSError(errno.ENOSPC, "No space left on device")
        return save(self, key, fingerprint, record)

    def full_disk_ledger(self: Ledger, request: int, task_id: str) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(Journal, "save_record", full_disk_journal)
    if ledger_too:
        monkeypatch.setattr(Ledger, "submitted", full_disk_ledger)
    first = shotscript.render(story, out=out, err=io.StringIO())
    [result] = first.results
    assert result.state == "needs-attention" and result.task_id is None  # never "failed"
    assert emu.stats()["creates"] == 1
    monkeypatch.setattr(Journal, "save_record", save)
    monkeypatch.setattr(Ledger, "submitted", submitted)

    # --retry-failed or not, the rerun finds the paid task (ledger, else the task list).
    again = shotscript.render(story, out=out, retry_failed=True, err=io.StringIO())
    [result] = again.results
    assert again.code == 0 and result.state == "done" and result.video == out / "ad.mp4"
    assert emu.stats()["creates"] == 1 and emu.stats()["duplicate_creates"] == 0
    assert status(out)["stories"][0]["task_id"] == result.task_id


def test_a_ledger_that_cannot_be_read_refuses_to_send(
    emu: Emulator, tmp_path: Path, hermetic_env: Path
) -> None:
    hermetic_env.mkdir(parents=True, exist_ok=True)
    (hermetic_env / "ledger.sqlite").write_bytes(b"this is not a database, it is a damaged file" * 100)
    proc = run("render", str(one_story(tmp_path / "s")), "--out", str(tmp_path / "out"))
    assert proc.returncode == 1 and "cannot open the ledger" in proc.stderr
    assert "nothing was sent" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert emu.stats()["create_requests"] == 0
