"""What is known about one story's render, and where it is kept between runs."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, assert_never, get_args

from shotscript.compiler.payload import Payload
from shotscript.runtime.errors import OutcomeUnknownError

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

    A plain dataclass (pydantic took ~50 ms to load and build before the first create); the
    methods keep pydantic's names for the callers, and `model_validate_json` checks every field
    as strictly as the model did, so a damaged record is refused (the caller fails closed)."""

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
        phase, refuses the whole record."""
        data = json.loads(text)
        if not isinstance(data, dict):
            raise RecordError("a record is a JSON object")
        values: dict[str, Any] = {}
        for name, check in _FIELDS.items():
            if name not in data:
                if name in ("story", "fingerprint"):
                    raise RecordError(f"a record needs `{name}`")
                continue
            ok, value = check(data[name])
            if not ok:
                raise RecordError(f"`{name}` of a record is {data[name]!r}")
            values[name] = value
        return cls(**values)


Check = Callable[[Any], tuple[bool, Any]]


def _of(*types: type) -> Check:
    # bool is an int in Python, never in a record: `True` is no count.
    return lambda v: (isinstance(v, types) and not (isinstance(v, bool) and bool not in types), v)


def _number(optional: bool) -> Check:
    def check(v: Any) -> tuple[bool, Any]:
        if v is None:
            return optional, v
        good = isinstance(v, int | float) and not isinstance(v, bool)
        return good, float(v) if good else v

    return check


def _mapping(values: tuple[type, ...], optional: bool = False) -> Check:
    def check(v: Any) -> tuple[bool, Any]:
        if v is None:
            return optional, v
        if not isinstance(v, dict) or not all(isinstance(k, str) for k in v):
            return False, v
        if values == (float,):
            good = all(isinstance(x, int | float) and not isinstance(x, bool) for x in v.values())
            return good, {k: float(x) for k, x in v.items()} if good else v
        return values == () or all(isinstance(x, values) for x in v.values()), v

    return check


def _phase(v: Any) -> tuple[bool, Any]:
    return v in STATES, v


def _request_ids(v: Any) -> tuple[bool, Any]:
    good = isinstance(v, list) and all(isinstance(x, dict) and all(isinstance(k, str) for k in x) for x in v)
    return good, v


_FIELDS: dict[str, Check] = {
    "story": _of(str),
    "fingerprint": _of(str),
    "phase": _phase,
    "task_id": _of(str, type(None)),
    "submitting_at": _number(optional=True),
    "submissions": _of(int),
    "adopted": _of(bool),
    "request_ids": _request_ids,
    "uploads": _mapping((str,)),
    "timings": _mapping((float,)),
    "polls": _of(int),
    "error": _mapping((), optional=True),
    "updated_at": _number(optional=False),
    "unreadable": _of(bool),
}


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
