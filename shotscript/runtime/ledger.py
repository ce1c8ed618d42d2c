"""The ledger of money spent, per user: every create ever sent, from any folder, and every video
it paid for. SQLite (WAL) in the state directory, numbered migrations, opened by `open_ledger`.

A row is written durably *before* a create leaves (keyed by the request's fingerprint: body,
local files by content, model, region, base URL and account), its task id the moment it is
known, and each downloaded video (path, sha256, size) once it is in place. Before paying, the
engine looks the fingerprint up: the same request is never paid twice by accident.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import json
import os
import sqlite3
import sys
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shotscript.compiler.payload import Payload
from shotscript.facts.service import lifetimes
from shotscript.runtime import constants as C
from shotscript.runtime.ledger_migrations import migrate
from shotscript.runtime.sqlite_migrations import connect

LEDGER_NAME = "ledger.sqlite"


class LedgerError(Exception):
    """The ledger cannot be opened or written; the message says why, for the user."""


def state_home(environ: Mapping[str, str] | None = None) -> Path:
    """Where per-user state lives: `$SHOTSCRIPT_HOME`, else the platform's user data folder."""
    env = os.environ if environ is None else environ
    if env.get(C.ENV_HOME):
        return Path(env[C.ENV_HOME]).expanduser()
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "shotscript"
    if sys.platform == "win32":
        return Path(env.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local") / "shotscript"
    return Path(env.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "shotscript"


def request_key(payload: Payload, digests: Mapping[str, str], *, base_url: str, account: str) -> str:
    """The ledger's fingerprint of a request: what is sent, to whom, on whose account."""
    data = {
        "body": payload.body(),
        "files": dict(sorted(digests.items())),
        "model": payload.model,
        "region": payload.meta.region,
        "base_url": base_url,
        "account": account,
    }
    text = json.dumps(data, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def billed_from_usage(usage: Mapping[str, Any] | None) -> float | None:
    """Billed seconds from a usage block: `duration`, else input plus output seconds."""
    if not usage:
        return None
    total = usage.get("duration")
    if isinstance(total, int | float) and not isinstance(total, bool):
        return float(total)
    parts = [usage.get("input_video_duration"), usage.get("output_video_duration")]
    numbers = [float(p) for p in parts if isinstance(p, int | float) and not isinstance(p, bool)]
    return sum(numbers) if numbers else None


@dataclass(frozen=True)
class Spend:
    """One create in the ledger."""

    id: int
    fingerprint: str
    take: int
    state: str
    task_id: str | None
    submitting_at: float
    submitted_at: float | None
    folder: str
    key: str
    model: str

    def live(self, now: float) -> bool:
        """Whether its task may still be polled (the service forgets tasks after a day)."""
        since = self.submitted_at or self.submitting_at
        return self.state != "failed" and now - since < lifetimes().task_seconds


@dataclass(frozen=True)
class Video:
    """A downloaded video the ledger knows."""

    request: int
    task_id: str | None
    path: Path
    sha256: str
    size: int


_SPEND = "id, fingerprint, take, state, task_id, submitting_at, submitted_at, folder, key, model"


def folder_spent(folder: Path, home: Path | None = None) -> float | None:
    """What the ledger says was billed into `folder` over every take (None: no ledger to ask)."""
    path = (home if home is not None else state_home()) / LEDGER_NAME
    if not path.is_file():
        return None
    try:
        with open_ledger(path.parent) as ledger:
            return ledger.spent_in(folder)
    except (LedgerError, sqlite3.Error):
        return None  # the folder's own figures still stand; `shotscript ledger` says why


def open_ledger(home: Path | None = None) -> Ledger:
    """The ledger of the state directory, in WAL mode, migrated to the current schema."""
    folder = home if home is not None else state_home()
    path = folder / LEDGER_NAME
    try:
        folder.mkdir(parents=True, exist_ok=True)
        # Every write that records money is FULL: it must outlive a power cut.
        db = connect(path, synchronous="FULL")
        migrate(db)
    except sqlite3.DatabaseError as exc:
        raise LedgerError(f"{path}: cannot open the ledger: {exc}") from None
    except OSError as exc:
        raise LedgerError(f"{folder}: {exc.strerror or exc}") from None
    return Ledger(db, path)


class Ledger:
    """Reads and writes of the ledger; every method commits before it returns."""

    def __init__(self, db: sqlite3.Connection, path: Path) -> None:
        self.db = db
        self.path = path

    def close(self) -> None:
        """Close the connection."""
        self.db.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # --- reading ---------------------------------------------------------------------------

    def latest(self, fingerprint: str) -> Spend | None:
        """The most recent take of a request, or None if it was never sent."""
        found = self.db.execute(
            f"SELECT {_SPEND} FROM requests WHERE fingerprint = ? ORDER BY take DESC LIMIT 1", (fingerprint,)
        ).fetchone()
        return Spend(*found) if found else None

    def videos(self, fingerprint: str) -> list[Video]:
        """Videos downloaded for a request, the most recent first."""
        rows = self.db.execute(
            "SELECT v.request, r.task_id, v.path, v.sha256, v.size FROM videos v "
            "JOIN requests r ON r.id = v.request WHERE r.fingerprint = ? ORDER BY v.id DESC",
            (fingerprint,),
        ).fetchall()
        return [Video(r[0], r[1], Path(r[2]), r[3], r[4]) for r in rows]

    def task_ids_except(self, fingerprint: str) -> frozenset[str]:
        """Task ids of every other request: never to be adopted for this one."""
        rows = self.db.execute(
            "SELECT task_id FROM requests WHERE task_id IS NOT NULL AND fingerprint != ?", (fingerprint,)
        )
        return frozenset(r[0] for r in rows)

    def spent(self) -> list[dict[str, Any]]:
        """Creates per day (UTC) and folder: tasks, billed seconds, and what each was."""
        rows = self.db.execute(
            """
            SELECT date(submitting_at, 'unixepoch') AS day, folder, COUNT(*),
                SUM(CASE WHEN task_id IS NOT NULL THEN 1 ELSE 0 END),
                COALESCE(SUM(billed_seconds), 0), model, tier, audio, region
            FROM requests GROUP BY day, folder, model, tier, audio, region ORDER BY day, folder
            """
        ).fetchall()
        names = ("day", "folder", "creates", "tasks", "billed_seconds", "model", "tier", "audio", "region")
        return [dict(zip(names, r, strict=True)) for r in rows]

    def spent_in(self, folder: Path) -> float:
        """Billed seconds of every take the ledger knows as sent into `folder`."""
        row = self.db.execute(
            "SELECT COALESCE(SUM(billed_seconds), 0) FROM requests WHERE folder = ?", (str(folder.resolve()),)
        ).fetchone()
        return float(row[0])

    # --- writing ---------------------------------------------------------------------------

    def submitting(
        self,
        fingerprint: str,
        payload: Payload,
        *,
        base_url: str,
        account: str,
        out_path: Path,
        new_take: bool,
    ) -> int:
        """Note, durably, that a create of this request is about to leave; the row's id.

        A take whose create made no task (refused, or proved absent) is reused; `new_take` or a
        take that made a task starts the next take."""
        now = time.time()
        with self._transaction():
            last = self.latest(fingerprint)
            if last is not None and last.task_id is None and last.state == "submitting" and not new_take:
                self.db.execute("UPDATE requests SET submitting_at = ? WHERE id = ?", (now, last.id))
                return last.id
            take = (last.take + 1) if last is not None else 1
            cursor = self.db.execute(
                """
                INSERT INTO requests (fingerprint, take, model, region, base_url, account, folder, key,
                    tier, audio, state, submitting_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'submitting', ?)
                """,
                (
                    fingerprint, take, payload.model, payload.meta.region, base_url, account,
                    str(out_path.parent.resolve()), out_path.stem, payload.meta.tier, int(payload.meta.audio),
                    now,
                ),
            )
            return int(cursor.lastrowid or 0)

    def submitted(self, request: int, task_id: str) -> None:
        """The task id of a create, the moment it is known."""
        self.db.execute(
            "UPDATE requests SET task_id = ?, state = 'submitted', submitted_at = ? WHERE id = ?",
            (task_id, time.time(), request),
        )

    def adopted(self, fingerprint: str, task_id: str, payload: Payload, *, base_url: str, account: str,
                out_path: Path) -> int:  # fmt: skip
        """A task of this request found elsewhere (the task list, a sidecar): known from now on."""
        found = self.db.execute(
            "SELECT id FROM requests WHERE task_id = ? AND fingerprint = ? ORDER BY id DESC LIMIT 1",
            (task_id, fingerprint),
        ).fetchone()
        if found:
            return int(found[0])
        request = self.submitting(
            fingerprint, payload, base_url=base_url, account=account, out_path=out_path, new_take=False
        )
        self.submitted(request, task_id)
        return request

    def ended(self, task_id: str, state: str, billed_seconds: float | None = None) -> None:
        """A task ended: done (with the seconds billed) or failed (nothing billed)."""
        self.db.execute(
            "UPDATE requests SET state = ?, ended_at = ?, billed_seconds = COALESCE(?, billed_seconds) "
            "WHERE id = (SELECT MAX(id) FROM requests WHERE task_id = ?)",
            (state, time.time(), billed_seconds, task_id),
        )

    def refused(self, request: int) -> None:
        """The create was refused: no task exists, nothing is billed."""
        query = "UPDATE requests SET state = 'failed', ended_at = ? WHERE id = ?"
        self.db.execute(query, (time.time(), request))

    def video(self, task_id: str, path: Path, sha256: str, size: int) -> None:
        """A video of a task is in place."""
        found = self.db.execute("SELECT MAX(id) FROM requests WHERE task_id = ?", (task_id,)).fetchone()
        if found is None or found[0] is None:
            return
        self.db.execute(
            "INSERT INTO videos (request, path, sha256, size, recorded_at) VALUES (?, ?, ?, ?, ?)",
            (found[0], str(path.resolve()), sha256, size, time.time()),
        )

    def moved(self, task_id: str, old: Path, new: Path) -> None:
        """A video of a task was moved (kept aside): its rows follow it."""
        self.db.execute(
            "UPDATE videos SET path = ? WHERE path = ? "
            "AND request IN (SELECT id FROM requests WHERE task_id = ?)",
            (str(new.resolve()), str(old.resolve()), task_id),
        )


@contextlib.asynccontextmanager
async def request_lock(home: Path, fingerprint: str) -> AsyncIterator[None]:
    """Hold one request's lock (any process of this user): from looking it up in the ledger
    until its task id is recorded. The kernel releases it even after kill -9."""
    folder = home / "locks"
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / f"{fingerprint}.lock", os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                await asyncio.sleep(0.05)  # another render of this request is sending it
        yield
    finally:
        os.close(fd)
