"""The batch journal: SQLite (WAL) in the output folder, one row per story and request.

A row is keyed by the story's place in the batch and the fingerprint of its compiled request
(local files by content, and the backend): an edited story is a new row, a rerun finds its
row again. The runtime's `TaskRecord` of each output lives in its row (`JournalStore`), so
the lifecycle's "never pay twice" bookkeeping and the batch's states are one and the same.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shotscript.batch import constants as C
from shotscript.batch.cost import billed_seconds_of, cost_of
from shotscript.batch.migrations import migrate
from shotscript.compiler.natural import natural_compare
from shotscript.runtime.record import LIVE_STATES, State, TaskRecord
from shotscript.runtime.sqlite_migrations import connect

# The runtime's states are the journal's: one vocabulary, `runtime.record.State`.
__all__ = ["LIVE_STATES", "Journal", "JournalError", "JournalRow", "JournalStore", "PlannedRow", "State"]


class JournalError(Exception):
    """The journal cannot be opened or locked; the message says why, for the user."""


@dataclass(frozen=True)
class PlannedRow:
    """What planning knows about one story, written to its row before anything is sent."""

    key: str
    fingerprint: str
    path: str
    backend: str
    summary: dict[str, Any]
    estimate_seconds: float | None = None
    estimate_exact: bool = True
    price: float | None = None
    currency: str | None = None
    same_as: str | None = None
    error: dict[str, Any] | None = None  # a story that does not compile is failed from the start


@dataclass(frozen=True)
class JournalRow:
    """One row of the journal, JSON columns decoded."""

    key: str
    fingerprint: str
    path: str
    backend: str
    state: State
    current: bool
    same_as: str | None
    task_id: str | None
    attempts: int
    submissions: int
    polls: int
    video: str | None
    estimate_seconds: float | None
    estimate_exact: bool
    price: float | None
    currency: str | None
    billed_seconds: float | None
    usage: dict[str, Any] | None
    timings: dict[str, float]
    error: dict[str, Any] | None
    summary: dict[str, Any]
    created_at: float
    updated_at: float
    record: str | None = field(default=None, repr=False)

    @property
    def cost(self) -> float | None:
        """What the story costs: as billed once done, nothing for previews and failed tasks,
        else as estimated; in cents (batch.cost)."""
        seconds, _ = billed_seconds_of(state=self.state, backend=self.backend, billed=self.billed_seconds,
                                       estimate=self.estimate_seconds)  # fmt: skip
        return cost_of(seconds, self.price, self.currency)

    def to_json(self) -> dict[str, Any]:
        """The row as `status --json` and report.json show it (the runtime record left out)."""
        data = {k: v for k, v in self.__dict__.items() if k != "record"}
        data["cost"] = self.cost
        return data


_COLUMNS = (
    "key, fingerprint, path, backend, state, current, same_as, task_id, attempts, submissions, polls, "
    "video, estimate_seconds, estimate_exact, price, currency, billed_seconds, usage, timings, error, "
    "summary, created_at, updated_at, record"
)


def _row(values: sqlite3.Row | tuple[Any, ...]) -> JournalRow:
    v = list(values)
    return JournalRow(
        key=v[0],
        fingerprint=v[1],
        path=v[2],
        backend=v[3],
        state=v[4],
        current=bool(v[5]),
        same_as=v[6],
        task_id=v[7],
        attempts=v[8],
        submissions=v[9],
        polls=v[10],
        video=v[11],
        estimate_seconds=v[12],
        estimate_exact=bool(v[13]) if v[13] is not None else True,
        price=v[14],
        currency=v[15],
        billed_seconds=v[16],
        usage=_loads(v[17]),
        timings=_loads(v[18]) or {},
        error=_loads(v[19]),
        summary=_loads(v[20]) or {},
        created_at=v[21],
        updated_at=v[22],
        record=v[23],
    )


def _loads(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def journal_path(folder: Path) -> Path:
    """Where the journal of an output folder lives."""
    return folder / C.JOURNAL_NAME


def open_journal(folder: Path, *, create: bool = True, secret: str | None = None) -> Journal:
    """The journal of an output folder: opened in WAL mode and migrated to the current schema.

    `create=False` refuses a folder without a journal (for `status`). `secret` (the API key)
    is blanked out of anything written, should an error message ever carry it.
    """
    path = journal_path(folder)
    if not create and not path.is_file():
        raise JournalError(f"no journal in {folder} ({C.JOURNAL_NAME} not found); render into it first")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        # NORMAL in WAL mode survives the process being killed at any instant; the one write
        # that must also survive a power cut ("submitting") is made FULL (see save_record).
        db = connect(path, synchronous="NORMAL")
        # Stories listed as people number them: v2 before v10.
        db.create_collation("natural_order", natural_compare)
        migrate(db)
    except sqlite3.DatabaseError as exc:
        raise JournalError(f"{path}: cannot open the journal: {exc}") from None
    except OSError as exc:
        raise JournalError(f"{folder}: {exc.strerror or exc}") from None
    return Journal(db, path, secret=secret)


class Journal:
    """Reads and writes of the journal; every method commits before it returns."""

    def __init__(self, db: sqlite3.Connection, path: Path, *, secret: str | None = None) -> None:
        self.db = db
        self.path = path
        self.secret = secret

    def close(self) -> None:
        """Close the connection."""
        self.db.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _dumps(self, value: Any) -> str | None:
        if value is None:
            return None
        text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
        if self.secret and self.secret in text:
            text = text.replace(self.secret, "***")
        return text

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # --- planning ------------------------------------------------------------------------------

    def plan(self, rows: Iterable[PlannedRow], run: int = 0) -> int:
        """Make `rows` run `run`'s work and each the current request of its story, in one
        transaction: new rows queued, known ones kept. Other stories of the folder stay as
        they are (a single story rendered into a batch's folder hides nothing)."""
        now = time.time()
        count = 0
        with self._transaction():
            for r in rows:
                count += 1
                self.db.execute(
                    "UPDATE stories SET current = 0 WHERE key = ? AND fingerprint != ?",
                    (r.key, r.fingerprint),
                )
                self.db.execute(
                    """
                    INSERT INTO stories (key, fingerprint, path, backend, state, current, same_as,
                        estimate_seconds, estimate_exact, price, currency, summary, error,
                        created_at, updated_at, run)
                    VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (key, fingerprint) DO UPDATE SET
                        path = excluded.path, current = 1, same_as = excluded.same_as, run = excluded.run,
                        estimate_seconds = excluded.estimate_seconds,
                        estimate_exact = excluded.estimate_exact, price = excluded.price,
                        currency = excluded.currency, summary = excluded.summary
                    """,
                    (
                        r.key,
                        r.fingerprint,
                        r.path,
                        r.backend,
                        "failed" if r.error else "queued",
                        r.same_as,
                        r.estimate_seconds,
                        int(r.estimate_exact),
                        r.price,
                        r.currency,
                        self._dumps(r.summary),
                        self._dumps(r.error),
                        now,
                        now,
                        run,
                    ),
                )
        return count

    # --- reading --------------------------------------------------------------------------------

    def row(self, key: str, fingerprint: str) -> JournalRow | None:
        """One row, or None."""
        found = self.db.execute(
            f"SELECT {_COLUMNS} FROM stories WHERE key = ? AND fingerprint = ?", (key, fingerprint)
        ).fetchone()
        return _row(found) if found else None

    def rows(self, *, current_only: bool = True) -> Iterator[JournalRow]:
        """Rows by key (the current batch's, or every row ever written), read lazily."""
        where = "WHERE current = 1" if current_only else ""
        order = "key COLLATE natural_order, updated_at"
        cursor = self.db.execute(f"SELECT {_COLUMNS} FROM stories {where} ORDER BY {order}")
        for values in cursor:
            yield _row(values)

    def work(self, run: int) -> list[tuple[str, str, str, str]]:
        """(key, fingerprint, path, state) of a run's rows that are not copies."""
        return list(
            self.db.execute(
                "SELECT key, fingerprint, path, state FROM stories "
                "WHERE run = ? AND same_as IS NULL ORDER BY key COLLATE natural_order",
                (run,),
            )
        )

    def run_rows(self, run: int) -> Iterator[JournalRow]:
        """The rows a run planned, by key, read lazily."""
        query = f"SELECT {_COLUMNS} FROM stories WHERE run = ? ORDER BY key COLLATE natural_order"
        cursor = self.db.execute(query, (run,))
        for values in cursor:
            yield _row(values)

    def counts(self, run: int | None = None) -> dict[str, int]:
        """How many rows of a run (or current rows) are in each state."""
        where, args = ("run = ?", (run,)) if run is not None else ("current = 1", ())
        query = f"SELECT state, COUNT(*) FROM stories WHERE {where} GROUP BY state"
        return dict(self.db.execute(query, args).fetchall())

    def rendered_as(self, fingerprint: str, other_than: str) -> str | None:
        """Another story of this folder whose video is this very request, if any."""
        found = self.db.execute(
            "SELECT key FROM stories WHERE fingerprint = ? AND key != ? AND state = 'done' "
            "AND video IS NOT NULL ORDER BY current DESC, updated_at DESC LIMIT 1",
            (fingerprint, other_than),
        ).fetchone()
        return str(found[0]) if found else None

    def done_with(self, backend: str) -> int:
        """How many stories a backend has rendered into this folder."""
        found = self.db.execute(
            "SELECT COUNT(*) FROM stories WHERE backend = ? AND state = 'done'", (backend,)
        )
        return int(found.fetchone()[0])

    def task_ids(self) -> frozenset[str]:
        """Every task id this journal ever recorded (never to be adopted by another story)."""
        return frozenset(r[0] for r in self.db.execute("SELECT task_id FROM tasks"))

    def task_owner(self, task_id: str) -> str | None:
        """The story whose task `task_id` is in this journal, or None."""
        found = self.db.execute("SELECT key FROM tasks WHERE task_id = ?", (task_id,)).fetchone()
        return str(found[0]) if found else None

    def record(self, key: str, fingerprint: str) -> TaskRecord | None:
        """The runtime's record kept in a row; None if the row never started. A row that cannot
        be read — a damaged record, another version's, a live state without a record — fails
        closed: an `unreadable` record, which is reconciled and never submitted."""
        found = self.db.execute(
            "SELECT record, state, task_id FROM stories WHERE key = ? AND fingerprint = ?", (key, fingerprint)
        ).fetchone()
        if found is None:
            return None
        text, state, task_id = found
        record = _record(text)
        if record is not None:
            return record
        if text is None and state in ("queued", "failed", "done"):
            return None  # never started here (a failure to compile, a copy of another story's video)
        return unreadable_record(key, task_id, f"its journal row ({state}) cannot be read")

    def latest(self, key: str) -> JournalRow | None:
        """The most recently written row of a story that holds a record, whatever its request."""
        found = self.db.execute(
            f"SELECT {_COLUMNS} FROM stories WHERE key = ? AND record IS NOT NULL "
            "ORDER BY updated_at DESC LIMIT 1",
            (key,),
        ).fetchone()
        return _row(found) if found else None

    def latest_record(self, key: str) -> TaskRecord | None:
        """The most recently written record of a story, whatever its request (fails closed)."""
        found = self.db.execute(
            "SELECT record, task_id FROM stories WHERE key = ? AND record IS NOT NULL "
            "ORDER BY updated_at DESC LIMIT 1",
            (key,),
        ).fetchone()
        if found is None:
            return None
        return _record(found[0]) or unreadable_record(key, found[1], "its journal record cannot be read")

    # --- writing ------------------------------------------------------------------------------

    def save_record(self, key: str, fingerprint: str, record: TaskRecord) -> State:
        """Keep the runtime's record in its row (durably before returning); the row's new state."""
        state = record.phase
        now = time.time()
        values = (
            state,
            record.task_id,
            record.submissions,
            record.polls,
            self._dumps(record.timings),
            self._dumps(record.error),
            self._dumps(record.model_dump(mode="json")),
            now,
            key,
            fingerprint,
        )
        if state == "submitting":
            # A create is about to leave: this evidence must outlive even a power cut.
            self.db.execute("PRAGMA synchronous=FULL")
        try:
            with self._transaction():
                # A row the plan did not make (a record saved outside a batch) starts empty.
                self.db.execute(
                    "INSERT OR IGNORE INTO stories (key, fingerprint, path, backend, created_at, updated_at) "
                    "VALUES (?, ?, '', '', ?, ?)",
                    (key, fingerprint, now, now),
                )
                self.db.execute(
                    """
                    UPDATE stories SET state = ?, task_id = ?, submissions = ?, polls = ?,
                        timings = json_patch(timings, ?), error = ?, record = ?, updated_at = ?
                    WHERE key = ? AND fingerprint = ?
                    """,
                    values,
                )
                if record.task_id:
                    self.db.execute(
                        "INSERT OR IGNORE INTO tasks VALUES (?, ?, ?, ?)",
                        (record.task_id, key, fingerprint, now),
                    )
        finally:
            if state == "submitting":
                self.db.execute("PRAGMA synchronous=NORMAL")
        return state

    def update(self, key: str, fingerprint: str, **changes: Any) -> None:
        """Set columns of one row (JSON columns given as Python values; timings merged)."""
        allowed = {
            "state", "task_id", "attempts", "video", "billed_seconds", "usage", "error", "timings",
            "polls", "same_as",
        }  # fmt: skip
        unknown = set(changes) - allowed
        if unknown:
            raise ValueError(f"not journal columns: {sorted(unknown)}")
        sets: list[str] = []
        values: list[object] = []
        for name, value in changes.items():
            if name == "timings":
                sets.append("timings = json_patch(timings, ?)")
                values.append(self._dumps(value))
            elif name in ("usage", "error"):
                sets.append(f"{name} = ?")
                values.append(self._dumps(value))
            else:
                sets.append(f"{name} = ?")
                values.append(value)
        sets.append("updated_at = ?")
        values.append(time.time())
        self.db.execute(
            f"UPDATE stories SET {', '.join(sets)} WHERE key = ? AND fingerprint = ?",
            (*values, key, fingerprint),
        )

    def started(self, key: str, fingerprint: str) -> None:
        """Count one more run working on a row."""
        self.db.execute(
            "UPDATE stories SET attempts = attempts + 1, updated_at = ? WHERE key = ? AND fingerprint = ?",
            (time.time(), key, fingerprint),
        )

    # --- runs --------------------------------------------------------------------------------

    def run_started(self, backend: str, stories: int) -> int:
        """Note the start of a render run; its id."""
        cursor = self.db.execute(
            "INSERT INTO runs (started_at, pid, backend, stories) VALUES (?, ?, ?, ?)",
            (time.time(), os.getpid(), backend, stories),
        )
        return int(cursor.lastrowid or 0)

    def run_counted(self, run_id: int, stories: int) -> None:
        """Note how many stories a run planned."""
        self.db.execute("UPDATE runs SET stories = ? WHERE id = ?", (stories, run_id))

    def run_ended(self, run_id: int, outcome: str) -> None:
        """Note how a render run ended."""
        self.db.execute(
            "UPDATE runs SET ended_at = ?, outcome = ? WHERE id = ?", (time.time(), outcome, run_id)
        )

    def last_run(self) -> dict[str, Any] | None:
        """The most recent run: when, which backend, how it ended (None while it runs)."""
        found = self.db.execute(
            "SELECT id, started_at, ended_at, pid, backend, stories, outcome "
            "FROM runs ORDER BY id DESC LIMIT 1"
        ).fetchone()
        if found is None:
            return None
        names = ("id", "started_at", "ended_at", "pid", "backend", "stories", "outcome")
        return dict(zip(names, found, strict=True))


def _record(text: str | None) -> TaskRecord | None:
    if not text:
        return None
    try:
        return TaskRecord.model_validate_json(text)
    except ValueError:  # damaged, or another version's (RecordError is one)
        return None


def unreadable_record(key: str, task_id: str | None, why: str) -> TaskRecord:
    """What is known of a story whose record cannot be read: that a task may exist."""
    error = {
        "kind": "needs_attention",
        "message": f"{key}: {why}; a task may exist, so nothing is sent until it is found",
        "retryable": False,
    }
    return TaskRecord(story=key, fingerprint="", phase="needs-attention", task_id=task_id, unreadable=True,
                      error=error)  # fmt: skip


class JournalStore:
    """The runtime's `RecordStore` for one output of a batch: the record in its journal row."""

    def __init__(
        self,
        journal: Journal,
        key: str,
        fingerprint: str,
        *,
        on_save: Callable[[str, State], None] | None = None,
    ) -> None:
        self.journal = journal
        self.key = key
        self.fingerprint = fingerprint
        self.on_save = on_save

    def load(self, story: str) -> TaskRecord | None:
        """This request's record; else the story's latest one (an edit abandons its task), unless
        that one cannot be read (another request's: this one may be sent)."""
        found = self.journal.record(self.key, self.fingerprint)
        if found is not None:
            return found
        latest = self.journal.latest_record(self.key)
        return None if latest is None or latest.unreadable else latest

    def save(self, record: TaskRecord) -> None:
        """Write the record into the row, durably, and tell the runner the new state."""
        state = self.journal.save_record(self.key, self.fingerprint, record)
        if self.on_save is not None:
            self.on_save(self.key, state)
