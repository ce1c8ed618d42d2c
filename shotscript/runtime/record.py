"""What is known about one story's render, and where it is kept between runs."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol, assert_never, get_args

from shotscript.compiler.payload import Payload
from shotscript.runtime.errors import OutcomeUnknownError

if TYPE_CHECKING:
    from pydantic import TypeAdapter

# The one vocabulary of a story's render, spelled once: the runtime's phases are the journal's
# states. "submitting" is written *before* the create is sent, so a crash or a cut connection
# leaves evidence that a task may exist; "submitted" is written the moment a task id is known.
State = Literal[
    "queued",
    "uploading",
    "submitting",
    "submitted",
    "running",
    "downloading",
    "done",
    "failed",
    "needs-attention",
]
STATES: tuple[State, ...] = get_args(State)
# States in which a task may exist on the service and still be billed.
LIVE_STATES: tuple[State, ...] = ("submitting", "submitted", "running", "downloading")
Phase = State  # the name the runtime used; one vocabulary


class RecordError(ValueError):
    """A stored record that is not a `TaskRecord` (damaged, or another version's)."""


@dataclass(slots=True)
class TaskRecord:
    """One story's render state: enough to resume without paying twice.

    A slotted dataclass inside; pydantic reads it back at the edge (`model_validate_json`,
    strictly), loaded only then. The methods keep pydantic's names for the callers; a damaged
    record is refused and the caller fails closed."""

    story: str
    fingerprint: str  # of the request as compiled (local files by content): a changed story
    # is a different request
    phase: State = "queued"
    task_id: str | None = None
    submitting_at: float | None = None  # wall-clock time the create was (about to be) sent
    submissions: int = 0  # creates sent for this fingerprint, even unanswered ones
    adopted: bool = False  # the task id came from the task list, not from a create's answer
    request_ids: list[dict[str, Any]] = field(default_factory=list)
    uploads: dict[str, str] = field(default_factory=dict)  # cast name -> oss:// URL
    timings: dict[str, float] = field(default_factory=dict)  # event -> epoch seconds
    polls: int = 0
    error: dict[str, Any] | None = None
    updated_at: float = 0.0
    # Made by a store for a record it could not read (damaged, another version's): a task may
    # exist, so the story is reconciled, never submitted on a guess.
    unreadable: bool = False

    def advance(self, phase: State, **changes: Any) -> TaskRecord:
        """A copy in a new phase, with the time of entering it noted."""
        now = time.time()
        timings = {**self.timings, **changes.pop("timings", {})}
        timings.setdefault(phase, now)
        return self.model_copy(update={"phase": phase, "timings": timings, "updated_at": now, **changes})

    def model_copy(self, *, update: dict[str, Any] | None = None) -> TaskRecord:
        """A copy with some fields replaced (shallow, as pydantic's)."""
        return dataclasses.replace(self, **(update or {}))

    def model_dump(self, mode: str = "json") -> dict[str, Any]:
        """The record as JSON-ready data (every field; a deep copy)."""
        return dataclasses.asdict(self)

    @classmethod
    def model_validate_json(cls, text: str | bytes) -> TaskRecord:
        """Read a stored record; RecordError (a ValueError) unless every field has its type.

        Unknown keys are ignored (a newer version's); a missing or mistyped field, or an unknown
        phase, refuses the whole record (strictly: `"2"` is no count, `true` no number)."""
        from pydantic import ValidationError

        try:
            return _reader().validate_json(text, strict=True)
        except ValidationError as exc:
            raise RecordError(f"not a record: {exc.errors()[0]['msg']}") from None


@functools.cache
def _reader() -> TypeAdapter[TaskRecord]:
    # pydantic is the edge's reader, loaded only when a record is read back: a first render
    # writes records and never pays for importing it before its first create.
    from pydantic import TypeAdapter

    return TypeAdapter(TaskRecord)


class RecordStore(Protocol):
    """Where task records live: the output folder's SQLite journal (`batch.journal`), or memory."""

    def load(self, story: str) -> TaskRecord | None:
        """The record of a story, or None if it was never rendered."""
        ...

    def save(self, record: TaskRecord) -> None:
        """Persist a record durably before returning (the caller relies on it)."""
        ...


class MemoryRecordStore:
    """Records in a dict (tests, previews)."""

    def __init__(self) -> None:
        self.records: dict[str, TaskRecord] = {}
        self.history: list[TaskRecord] = []

    def load(self, story: str) -> TaskRecord | None:
        """The record of a story, or None."""
        return self.records.get(story)

    def save(self, record: TaskRecord) -> None:
        """Keep the record, and every earlier version of it in `history`."""
        self.records[record.story] = record
        self.history.append(record)


def fingerprint(payload: Payload, file_digests: dict[str, str]) -> str:
    """A stable hash of the request as compiled, local files counted by content."""
    data = {"body": payload.body(), "files": dict(sorted(file_digests.items()))}
    text = json.dumps(data, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


Action = Literal["submit", "reconcile", "poll", "skip"]


def resume_action(
    record: TaskRecord | None,
    *,
    fingerprint: str,
    output_exists: bool,
    resubmit: bool = False,
    new_take: bool = False,
) -> Action:
    """What a (re)run should do first, given what the last run left behind."""
    if record is not None and record.unreadable:
        # Fail closed: whatever it said, a create may have been sent.
        return "submit" if resubmit else ("poll" if record.task_id else "reconcile")
    if record is None or record.fingerprint != fingerprint:
        return "submit"  # never rendered, or the story changed: a different request
    if new_take:
        return "submit"
    match record.phase:
        case "queued" | "uploading":
            return "submit"  # no create was ever sent
        case "submitting":
            # A create may have gone out: find its task before anything is sent again.
            return "submit" if resubmit else "reconcile"
        case "needs-attention":
            if resubmit:
                return "submit"
            return "reconcile" if record.task_id is None else "poll"
        case "submitted" | "running" | "downloading":
            return "poll"
        case "done":
            return "skip" if output_exists else "poll"
        case "failed":
            # "failed" is only written when no task of this story can still be billed (the
            # task FAILED, or the create was refused): trying again is an honest new request.
            return "submit"
        case _:
            assert_never(record.phase)


class UnreadableRecordError(OutcomeUnknownError):
    """A story's record cannot be read and no task of it could be found: only the user can say
    whether its create made one (trying again within the run cannot tell more)."""

    kind = "unreadable_record"
