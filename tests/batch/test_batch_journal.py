"""The SQLite journal: migrations, WAL, rows per story and request, the runtime's records,
durability across kill -9, the folder lock, and no secret ever written."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from shotscript.batch.journal import (
    JournalError,
    JournalStore,
    PlannedRow,
    open_journal,
)
from shotscript.batch.lock import folder_busy, folder_lock
from shotscript.batch.migrations import _M001_STATES, MIGRATIONS
from shotscript.runtime.record import STATES, TaskRecord
from tests.batch.batch_helpers import KEY, ROOT


def row(key: str, fp: str = "fp1", **changes: object) -> PlannedRow:
    values: dict[str, object] = {
        "key": key, "fingerprint": fp, "path": f"stories/{key}.shot", "backend": "dashscope",
        "summary": {"title": key, "prompt": "p"}, "estimate_seconds": 10.0, "price": 0.3, "currency": "CNY",
    }  # fmt: skip
    values.update(changes)
    return PlannedRow(**values)  # type: ignore[arg-type]


def test_migrations_run_once_and_are_recorded(tmp_path: Path) -> None:
    with open_journal(tmp_path) as journal:
        names = [r[0] for r in journal.db.execute("SELECT name FROM _migrations")]
        assert names == [m.__name__ for m in MIGRATIONS] == ["m001_stories", "m002_one_vocabulary"]
        assert journal.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with open_journal(tmp_path) as journal:  # reopening applies nothing again
        assert journal.db.execute("SELECT COUNT(*) FROM _migrations").fetchone()[0] == 2


def test_one_vocabulary_of_states_which_the_first_migration_s_snapshot_still_matches() -> None:
    assert STATES == _M001_STATES
    assert "needs-attention" in STATES and "needs_attention" not in STATES


def test_a_database_rejects_unknown_states(tmp_path: Path) -> None:
    with open_journal(tmp_path) as journal:
        journal.plan([row("a")])
        with pytest.raises(sqlite3.IntegrityError):
            journal.update("a", "fp1", state="lost")


def test_plan_keeps_known_rows_and_an_edited_story_is_a_new_row(tmp_path: Path) -> None:
    with open_journal(tmp_path) as journal:
        assert journal.plan([row("a"), row("b")]) == 2
        journal.update("a", "fp1", state="done", billed_seconds=10.0)
        journal.plan([row("a"), row("b", "fp2")])  # b was edited
        current = {(r.key, r.fingerprint): r.state for r in journal.rows()}
        assert current == {("a", "fp1"): "done", ("b", "fp2"): "queued"}
        every = {(r.key, r.fingerprint, r.current) for r in journal.rows(current_only=False)}
        assert ("b", "fp1", False) in every and len(every) == 3
        run = journal.run_started("dashscope", 1)
        journal.plan([row("a")], run)  # a rendered alone: b stays the folder's, outside the run
        assert [r.key for r in journal.rows()] == ["a", "b"]
        assert [r.key for r in journal.run_rows(run)] == ["a"] and [w[0] for w in journal.work(run)] == ["a"]
        assert journal.counts(run) == {"done": 1}
        assert journal.row("a", "fp1").billed_seconds == 10.0  # type: ignore[union-attr]


def test_a_story_that_does_not_compile_is_failed_from_the_start(tmp_path: Path) -> None:
    error = {"kind": "story", "message": "a.shot:3:1: error[E104]: unknown setting", "retryable": False}
    with open_journal(tmp_path) as journal:
        journal.plan([row("a", "invalid-1", error=error, estimate_seconds=None)])
        [r] = journal.rows()
        assert r.state == "failed" and r.error == error


def test_records_are_kept_in_their_row_with_every_task_id(tmp_path: Path) -> None:
    with open_journal(tmp_path) as journal:
        journal.plan([row("a"), row("b")])
        seen: list[tuple[str, str]] = []
        store = JournalStore(journal, "a", "fp1", on_save=lambda k, s: seen.append((k, s)))
        assert store.load("a") is None
        record = TaskRecord(story="a", fingerprint="rt1")
        store.save(record.advance("submitting", submissions=1))
        store.save(record.advance("submitted", task_id="task-1", submissions=1))
        assert seen == [("a", "submitting"), ("a", "submitted")]
        loaded = store.load("a")
        assert loaded is not None and loaded.task_id == "task-1" and loaded.phase == "submitted"
        r = journal.row("a", "fp1")
        assert r is not None and r.state == "submitted" and r.task_id == "task-1" and r.submissions == 1
        assert {"submitting", "submitted"} <= set(r.timings)
        # A later failed task and a resubmission: the old task id stays known to the batch.
        store.save(
            TaskRecord(story="a", fingerprint="rt1", submissions=2).advance("submitted", task_id="task-2")
        )
        assert journal.task_ids() == {"task-1", "task-2"}


def test_load_falls_back_to_the_story_s_last_record(tmp_path: Path) -> None:
    with open_journal(tmp_path) as journal:
        journal.plan([row("a"), row("a", "fp2")])
        JournalStore(journal, "a", "fp1").save(
            TaskRecord(story="a", fingerprint="old").advance("running", task_id="t")
        )
        # The edited request finds the earlier record (the runtime then abandons its task).
        found = JournalStore(journal, "a", "fp2").load("a")
        assert found is not None and found.fingerprint == "old"


def test_the_api_key_is_never_written(tmp_path: Path) -> None:
    with open_journal(tmp_path, secret=KEY) as journal:
        journal.plan([row("a")])
        leak = {"kind": "api", "message": f"401 InvalidApiKey: key {KEY} refused", "retryable": False}
        journal.update("a", "fp1", error=leak)
        JournalStore(journal, "a", "fp1").save(
            TaskRecord(story="a", fingerprint="x", error=leak).advance("failed")
        )
        assert "***" in (journal.row("a", "fp1").error or {})["message"]  # type: ignore[union-attr]
    data = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
    assert KEY.encode() not in data


def test_the_folder_lock_keeps_a_second_render_out(tmp_path: Path) -> None:
    assert folder_busy(tmp_path) is None
    with folder_lock(tmp_path):
        assert folder_busy(tmp_path) == str(os.getpid())
        code = textwrap.dedent(
            f"""
            from pathlib import Path
            from shotscript.batch.journal import JournalError
            from shotscript.batch.lock import folder_lock
            try:
                with folder_lock(Path({str(tmp_path)!r})):
                    print("locked")
            except JournalError as exc:
                print("refused:", exc)
            """
        )
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT).stdout
        assert out.startswith("refused: another render is working in") and str(os.getpid()) in out
    assert folder_busy(tmp_path) is None


def test_status_needs_a_journal(tmp_path: Path) -> None:
    with pytest.raises(JournalError, match="no journal"):
        open_journal(tmp_path / "nothing", create=False)


def test_a_write_survives_kill_9_the_instant_after_it_returns(tmp_path: Path) -> None:
    """The process is killed right after `save` returns: the row is there, intact."""
    code = textwrap.dedent(
        f"""
        import os, signal
        from pathlib import Path
        from shotscript.batch.journal import JournalStore, PlannedRow, open_journal
        from shotscript.runtime.record import TaskRecord
        journal = open_journal(Path({str(tmp_path)!r}))
        planned = PlannedRow(key="a", fingerprint="fp", path="a.shot", backend="dashscope", summary={{}})
        journal.plan([planned])
        for i in range(50):
            JournalStore(journal, "a", "fp").save(
                TaskRecord(story="a", fingerprint="rt", submissions=i).advance("submitting"))
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT)
    assert proc.returncode == -signal.SIGKILL
    with open_journal(tmp_path) as journal:
        r = journal.row("a", "fp")
        assert r is not None and r.state == "submitting" and r.submissions == 49
        assert journal.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
