"""What a rerun does, given what the last run recorded; records survive atomically."""

from __future__ import annotations

import json

import pytest
from rt_helpers import make_payload

from shotscript.runtime.record import (
    MemoryRecordStore,
    RecordError,
    State,
    TaskRecord,
    fingerprint,
    resume_action,
)

FP = "abc"


def rec(phase: State, task_id: str | None = None, fp: str = FP) -> TaskRecord:
    return TaskRecord(story="s", fingerprint=fp, phase=phase, task_id=task_id)


# (record, output exists, resubmit, new take, expected)
CASES = [
    (None, False, False, False, "submit"),
    (rec("done", "t", fp="other"), True, False, False, "submit"),  # the story changed
    (rec("queued"), False, False, False, "submit"),
    (rec("uploading"), False, False, False, "submit"),
    (rec("submitting"), False, False, False, "reconcile"),  # a create may be out there
    (rec("submitting"), False, True, False, "submit"),  # unless the user asks to pay again
    (rec("submitted", "t"), False, False, False, "poll"),
    (rec("running", "t"), False, False, False, "poll"),
    (rec("downloading", "t"), False, False, False, "poll"),
    (rec("done", "t"), True, False, False, "skip"),
    (rec("done", "t"), False, False, False, "poll"),  # the video was deleted: fetch again
    (rec("done", "t"), True, False, True, "submit"),
    (rec("failed", "t"), False, False, False, "submit"),
    (rec("needs-attention"), False, False, False, "reconcile"),
    (rec("needs-attention"), False, True, False, "submit"),
    (rec("needs-attention", "t"), False, False, False, "poll"),
]


@pytest.mark.parametrize(("record", "exists", "resubmit", "new_take", "expected"), CASES)
def test_resume_action(
    record: TaskRecord | None, exists: bool, resubmit: bool, new_take: bool, expected: str
) -> None:
    got = resume_action(record, fingerprint=FP, output_exists=exists, resubmit=resubmit, new_take=new_take)
    assert got == expected


def test_advance_notes_the_first_time_a_phase_is_entered() -> None:
    r = rec("queued").advance("submitting", timings={"submitting": 5.0})
    r2 = r.advance("submitting")
    assert r2.timings["submitting"] == 5.0 and r2.phase == "submitting"


def test_memory_store_keeps_history() -> None:
    store = MemoryRecordStore()
    store.save(rec("submitting"))
    store.save(rec("submitted", "t"))
    assert [r.phase for r in store.history] == ["submitting", "submitted"]


def test_fingerprint_follows_request_and_file_content() -> None:
    p = make_payload()
    assert fingerprint(p, {}) == fingerprint(make_payload(), {})
    assert fingerprint(p, {}) != fingerprint(make_payload(prompt="other"), {})
    assert fingerprint(p, {"a": "1"}) != fingerprint(p, {"a": "2"})


def test_a_record_read_back_is_the_record_written() -> None:
    record = TaskRecord(story="s", fingerprint=FP, submissions=2, request_ids=[{"create": "r1"}],
                        uploads={"girl": "oss://x"}, error={"kind": "api"}).advance("submitted", task_id="t")
    assert TaskRecord.model_validate_json(json.dumps(record.model_dump())) == record


def test_a_record_of_a_newer_version_keeps_what_it_knows() -> None:
    text = json.dumps({"story": "s", "fingerprint": FP, "phase": "running", "task_id": "t", "colour": "red",
                       "timings": {"running": 5}})
    record = TaskRecord.model_validate_json(text)
    assert record.phase == "running" and record.task_id == "t" and record.timings == {"running": 5.0}


@pytest.mark.parametrize(
    "change",
    [{"phase": "paused"}, {"task_id": 7}, {"submissions": "2"}, {"submissions": True}, {"polls": 1.5},
     {"adopted": "yes"}, {"request_ids": {"a": 1}}, {"request_ids": ["r1"]}, {"uploads": {"girl": 1}},
     {"timings": {"running": "now"}}, {"error": "boom"}, {"updated_at": None}, {"story": None}],
    ids=lambda change: next(iter(change)),
)
def test_a_mistyped_record_is_refused(change: dict[str, object]) -> None:
    # Refused, the journal fails closed: the story needs attention and nothing is sent.
    good = TaskRecord(story="s", fingerprint=FP).model_dump()
    with pytest.raises(RecordError):
        TaskRecord.model_validate_json(json.dumps({**good, **change}))


@pytest.mark.parametrize("text", ['{"phase": "submitted", "task_id": ', "[]", '{"story": "s"}'])
def test_a_damaged_record_is_a_value_error(text: str) -> None:
    with pytest.raises(ValueError):
        TaskRecord.model_validate_json(text)
