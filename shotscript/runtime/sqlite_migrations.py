"""A SQLite store of ours (the ledger, a folder's journal): opened one way, and its numbered
migrations applied once each."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Literal

Migration = Callable[[sqlite3.Connection], None]


def connect(path: Path, *, synchronous: Literal["NORMAL", "FULL"]) -> sqlite3.Connection:
    """Open a store in WAL mode with a 10 s busy timeout; `synchronous` as its writes need."""
    # isolation_level=None: each statement commits unless a transaction is opened explicitly.
    db = sqlite3.connect(path, isolation_level=None, timeout=10.0)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute(f"PRAGMA synchronous={synchronous}")
    db.execute("PRAGMA busy_timeout=10000")
    return db


def apply(db: sqlite3.Connection, migrations: Sequence[Migration]) -> list[str]:
    """Apply the migrations `db` has not seen yet, each in its own transaction; their names."""
    # Write only when needed: a reader (`status`) must not wait for a running render's lock.
    query = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_migrations'"
    if db.execute(query).fetchone() is None:
        db.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at REAL NOT NULL)")
    done = {row[0] for row in db.execute("SELECT name FROM _migrations")}
    applied = []
    for migration in migrations:
        name = migration.__name__
        if name in done:
            continue
        db.execute("BEGIN IMMEDIATE")
        try:
            # Another process may have migrated between the read above and this lock.
            if db.execute("SELECT 1 FROM _migrations WHERE name = ?", (name,)).fetchone() is None:
                migration(db)
                db.execute("INSERT INTO _migrations VALUES (?, ?)", (name, time.time()))
                applied.append(name)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
    return applied
