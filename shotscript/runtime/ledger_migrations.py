"""The ledger's schema as numbered migrations, applied in order and recorded in the file."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from shotscript.runtime.sqlite_migrations import apply


def m001_requests(db: sqlite3.Connection) -> None:
    """Every create ever sent (one row per take of a request) and every video it paid for."""
    for statement in (
        """
        CREATE TABLE requests (
            id INTEGER PRIMARY KEY,
            fingerprint TEXT NOT NULL,      -- body, local files by content, model, region, URL, account
            take INTEGER NOT NULL,          -- 1, 2, …: another take is a deliberate --new-take
            model TEXT NOT NULL,
            region TEXT NOT NULL,
            base_url TEXT NOT NULL,
            account TEXT NOT NULL,          -- a one-way tag of the key, never the key
            folder TEXT NOT NULL,           -- the output folder it was rendered into
            key TEXT NOT NULL,              -- the video's name there
            tier TEXT,
            audio INTEGER,
            state TEXT NOT NULL,            -- submitting, submitted, done, failed
            task_id TEXT,                   -- not unique: an emulator reset reuses ids
            submitting_at REAL NOT NULL,    -- written before the create leaves
            submitted_at REAL,
            ended_at REAL,
            billed_seconds REAL,            -- from the service's usage
            UNIQUE (fingerprint, take)
        )
        """,
        "CREATE INDEX requests_day ON requests (submitting_at)",
        "CREATE INDEX requests_task ON requests (task_id)",
        """
        CREATE TABLE videos (
            id INTEGER PRIMARY KEY,
            request INTEGER NOT NULL REFERENCES requests (id),
            path TEXT NOT NULL,             -- absolute
            sha256 TEXT NOT NULL,
            size INTEGER NOT NULL,
            recorded_at REAL NOT NULL
        )
        """,
        "CREATE INDEX videos_request ON videos (request)",
    ):
        db.execute(statement)


MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (m001_requests,)


def migrate(db: sqlite3.Connection) -> list[str]:
    """Apply the migrations this file has not seen yet, each in its own transaction."""
    return apply(db, MIGRATIONS)
