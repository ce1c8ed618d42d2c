"""The journal's schema as numbered migrations, applied in order and recorded in the file."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from shotscript.runtime.sqlite_migrations import apply

# A snapshot, as m001 wrote it: a migration must not change when the live vocabulary
# (`runtime.record.State`) does.
_M001_STATES = (
    "queued",
    "uploading",
    "submitting",
    "submitted",
    "running",
    "downloading",
    "done",
    "failed",
    "needs-attention",
)


def m001_stories(db: sqlite3.Connection) -> None:
    """One row per story and request; every task id ever recorded; one row per run."""
    states = ", ".join(f"'{s}'" for s in _M001_STATES)
    _run(
        db,
        f"""
        CREATE TABLE stories (
            key TEXT NOT NULL,                -- the story's path under the batch folder, no suffix
            fingerprint TEXT NOT NULL,        -- of the compiled request, local files by content
            path TEXT NOT NULL,               -- the story file
            backend TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ({states})),
            current INTEGER NOT NULL DEFAULT 1,  -- part of the latest batch planned here
            same_as TEXT,                     -- key of an identical request, rendered once
            task_id TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,     -- runs that worked on this row
            submissions INTEGER NOT NULL DEFAULT 0,  -- creates sent, answered or not
            polls INTEGER NOT NULL DEFAULT 0,
            video TEXT,                       -- relative to the output folder
            estimate_seconds REAL,            -- billed seconds by the billing rules
            estimate_exact INTEGER,           -- 0: a video's length was unknown (upper bound)
            price REAL,                       -- per billed second
            currency TEXT,
            billed_seconds REAL,              -- from the service's usage
            usage TEXT,                       -- JSON
            timings TEXT NOT NULL DEFAULT '{{}}',  -- JSON: event -> epoch seconds
            error TEXT,                       -- JSON: kind, message, code, retryable, hint
            summary TEXT NOT NULL DEFAULT '{{}}',  -- JSON: title, prompt, shots, cast, …
            record TEXT,                      -- JSON: the runtime's TaskRecord
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            PRIMARY KEY (key, fingerprint)
        );
        CREATE INDEX stories_current ON stories (current, key);
        CREATE TABLE tasks (
            task_id TEXT PRIMARY KEY,
            key TEXT NOT NULL,
            fingerprint TEXT NOT NULL,
            seen_at REAL NOT NULL
        );
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            started_at REAL NOT NULL,
            ended_at REAL,
            pid INTEGER NOT NULL,
            backend TEXT,
            stories INTEGER,
            outcome TEXT
        );
        """,
    )


def m002_one_vocabulary(db: sqlite3.Connection) -> None:
    """Records written with the runtime's former phase names take the journal's; each row
    remembers the run that planned it last (a run works on its own rows only)."""
    _run(
        db,
        """
        UPDATE stories SET record = json_set(record, '$.phase',
            CASE json_extract(record, '$.phase')
                WHEN 'new' THEN 'queued' WHEN 'needs_attention' THEN 'needs-attention'
                ELSE json_extract(record, '$.phase') END)
        WHERE record IS NOT NULL AND json_valid(record);
        ALTER TABLE stories ADD COLUMN run INTEGER
        """,
    )


def _run(db: sqlite3.Connection, script: str) -> None:
    # Statement by statement: executescript() would commit the migration's transaction.
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)


MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (m001_stories, m002_one_vocabulary)


def migrate(db: sqlite3.Connection) -> list[str]:
    """Apply the migrations this file has not seen yet, each in its own transaction."""
    return apply(db, MIGRATIONS)
