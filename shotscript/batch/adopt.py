"""Claim a task for a story by hand: when the task list could not tell which task an
unanswered create made (needs-attention), the user who found it in the Model Studio console
says so, and the next render follows that task instead of paying for a new one.

Nothing is sent here. The claim is only a journal record; the next render polls the task and,
once it has SUCCEEDED, adopts it only if its prompt is this story's (as for a task found in
the list), so a wrong id costs nothing but a needs-attention message."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from shotscript.batch.journal import JournalError, open_journal
from shotscript.batch.lock import folder_lock
from shotscript.runtime.answers import valid_task_id

# States in which a story holds a task already: following another one would abandon it.
_HOLDING = ("submitted", "running", "downloading", "done")


@dataclass(frozen=True, slots=True)
class Adopted:
    """What `adopt` did: the story, its task now, and the state it left."""

    story: str
    task_id: str
    previous_state: str


def adopt(out_dir: Path, story: str, task_id: str) -> Adopted:
    """Record `task_id` as the task of `story` in the batch folder `out_dir` (JournalError if
    it cannot be: no journal, a render running, an unknown story, a task already held)."""
    if not valid_task_id(task_id):
        raise JournalError(f"{task_id!r} is not a task id (the console shows ids like 0385dc79-…)")
    journal = open_journal(out_dir, create=False)
    with journal, folder_lock(out_dir):
        # The key as `status` shows it, or the story's path under the folder (suffix and all).
        plain = story.removeprefix("./")
        rows = {r.key: r for r in journal.rows()}
        key = next((k for k in (plain, plain.rsplit(".", 1)[0]) if k in rows), plain)
        row = rows.get(key) or journal.latest(key)
        record = journal.record(key, row.fingerprint) if row is not None else None
        if row is None or record is None:
            raise JournalError(f"no story {key!r} with a render record in {journal.path} "
                               "(see `shotscript status`); nothing was sent for it")  # fmt: skip
        owner = journal.task_owner(task_id)
        if owner is not None and owner != key:
            raise JournalError(f"task {task_id} is story {owner!r}'s in this journal")
        if record.task_id == task_id and record.phase != "needs-attention" and not record.unreadable:
            raise JournalError(f"story {key!r} already follows task {task_id} ({record.phase})")
        if record.phase in _HOLDING and record.task_id and not record.unreadable:
            raise JournalError(f"story {key!r} already has task {record.task_id} ({record.phase}); "
                               "render it again, or with --new-take for another take")  # fmt: skip
        if record.unreadable:
            # Still unreadable (its request unknown), now naming the task: the next render
            # polls it and adopts it only if its prompt is the story's.
            claimed = record.model_copy(update={"task_id": task_id})
        else:  # the same request (its fingerprint kept): the next render resumes by polling
            claimed = record.advance("submitted", task_id=task_id, adopted=True, error=None,
                                     submissions=max(1, record.submissions))  # fmt: skip
        journal.save_record(key, row.fingerprint, claimed)
        return Adopted(story=key, task_id=task_id, previous_state=record.phase)
