"""Reading and seeding an output folder's journal from tests (what a crashed run left)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from shotscript.batch.journal import JournalStore, journal_path, open_journal
from shotscript.batch.plan import request_fingerprint
from shotscript.compiler.payload import Payload


def journal_store(out: Path, key: str, payload: Payload, backend: str = "dashscope") -> JournalStore:
    """The record store the engine uses for `key`'s request in `out` (opened afresh)."""
    return JournalStore(open_journal(out), key, request_fingerprint(payload, backend))


def journal_task_id(out: Path, key: str) -> str | None:
    """The task id recorded for a story, read without locking (None before there is one)."""
    path = journal_path(out)
    if not path.is_file():
        return None
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5) as db:
            found = db.execute(
                "SELECT task_id FROM stories WHERE key = ? AND task_id IS NOT NULL", (key,)
            ).fetchone()
    except sqlite3.Error:
        return None  # not created yet
    return str(found[0]) if found else None


def journal_states(out: Path) -> dict[str, str]:
    """key -> state of the current rows, read without locking ({} before the journal exists)."""
    path = journal_path(out)
    if not path.is_file():
        return {}
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5) as db:
            return dict(db.execute("SELECT key, state FROM stories WHERE current = 1").fetchall())
    except sqlite3.Error:
        return {}
