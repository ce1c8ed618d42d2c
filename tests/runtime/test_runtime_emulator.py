"""Rendering for real against the emulator process: the happy path, faults, resumption.

Every test asserts the outcome and that nothing was paid for twice (`duplicate_creates`),
that no half-written file is left, and that the key is in no file written.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import av
import pytest
from emulator_process import Emulator
from rt_helpers import (
    TEST_KEY,
    files_containing,
    leftovers,
    local_ref,
    make_payload,
    make_png,
    render,
)

import shotscript
from shotscript.runtime import errors as E
from shotscript.runtime.backend import DashScopeBackend
from shotscript.runtime.client import DashScopeClient
from shotscript.runtime.events import Collect
from shotscript.runtime.lifecycle import RenderResult
from shotscript.runtime.record import MemoryRecordStore, RecordStore, TaskRecord, fingerprint
from shotscript.runtime.settings import settings_from_env
from tests.batch.journal_helpers import journal_store, journal_task_id

ROOT = Path(__file__).resolve().parents[2]
SMARTWATCH = ROOT / "stories" / "seed" / "smartwatch.shot"


def no_key_anywhere(*roots: Path) -> None:
    for root in roots:
        assert files_containing(root, TEST_KEY) == [], f"the API key leaked under {root}"


def assert_clean(emu: Emulator, out: Path, home: Path, *, creates: int | None = 1) -> dict:
    stats = emu.stats()
    assert stats["duplicate_creates"] == 0
    if creates is not None:
        assert stats["creates"] == creates
    assert leftovers(out) == []
    no_key_anywhere(out, home)
    return stats


def cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "shotscript", "render", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=dict(os.environ),
        timeout=timeout,
    )


# --- done -------------------------------------------------------------------------------


def test_smartwatch_renders_to_the_story_shape(emu: Emulator, tmp_path: Path, hermetic_env: Path) -> None:
    payload = shotscript.load(SMARTWATCH).compile()
    run = cli(str(SMARTWATCH), "--out", str(tmp_path))
    assert run.returncode == 0, run.stderr
    video = tmp_path / "smartwatch.mp4"
    assert run.stdout.strip() == str(video)
    with av.open(str(video)) as container:
        stream = container.streams.video[0]
        size = f"{stream.codec_context.width}*{stream.codec_context.height}"
        fps = float(stream.average_rate)
        duration = container.duration / av.time_base
    assert size == payload.meta.size == "1280*720"
    assert fps == pytest.approx(30)
    assert duration == pytest.approx(payload.duration, abs=0.1)

    sidecar = json.loads((tmp_path / "smartwatch.json").read_text("utf-8"))
    assert sidecar["task_id"] and sidecar["prompt"] == payload.input.prompt
    assert sidecar["request"] == payload.body()
    assert sidecar["request_ids"][0]["operation"] == "create"
    assert sidecar["request_ids"][0]["request_id"]
    assert sidecar["usage"] and sidecar["polls"] >= 1
    assert all(c["ok"] for c in sidecar["checks"].values())
    assert {"started", "submitted", "succeeded", "downloaded"} <= set(sidecar["timings"])
    assert TEST_KEY not in run.stdout + run.stderr
    assert_clean(emu, tmp_path, hermetic_env)

    again = cli(str(SMARTWATCH), "--out", str(tmp_path))  # up to date: nothing is sent
    assert again.returncode == 0 and "up to date" in again.stderr
    assert emu.stats()["create_requests"] == 1


def test_a_bad_story_prints_diagnostics_not_a_traceback(emu: Emulator, tmp_path: Path) -> None:
    story = tmp_path / "bad.shot"
    story.write_text("model wan2.6-r2v-flash\nduration 99\nprompt hello\n", "utf-8")
    run = cli(str(story), "--out", str(tmp_path))
    assert run.returncode == 1
    assert "Traceback" not in run.stderr and "error[" in run.stderr
    assert emu.stats()["create_requests"] == 0


# --- faults -------------------------------------------------------------------------------


def test_throttling_is_retried_after_retry_after(emu: Emulator, tmp_path: Path, hermetic_env: Path) -> None:
    emu.reset(faults="429=0.5", seed=1)
    result, events = render(make_payload(), tmp_path)
    assert isinstance(result, RenderResult), result
    stats = assert_clean(emu, tmp_path, hermetic_env)
    assert stats["faults"]["429"] >= 1
    retries = events.of("retry")
    assert retries and all(e.data["delay"] == 0.01 for e in retries)  # the header (1 s × scale), not back-off


# Seeds chosen so the first create meets the fault; the emulator then tosses a coin whether
# the task was created anyway. (kind, seed, create requests sent in all)
UNKNOWN_OUTCOMES = [
    ("500", 2, 1),  # the task was created behind the 500: adopted from the task list
    ("500", 6, 2),  # it was not: the list shows nothing, so one more create is safe
    ("reset", 2, 1),
    ("reset", 6, 2),
]


@pytest.mark.parametrize(("kind", "seed", "sent"), UNKNOWN_OUTCOMES)
def test_unknown_create_outcomes_are_reconciled_not_resent(
    emu: Emulator, tmp_path: Path, hermetic_env: Path, kind: str, seed: int, sent: int
) -> None:
    emu.reset(faults=f"{kind}=0.5", seed=seed)
    result, events = render(make_payload(), tmp_path)
    assert isinstance(result, RenderResult), result
    stats = assert_clean(emu, tmp_path, hermetic_env)
    assert stats["faults"][kind] >= 1
    assert stats["lists"] >= 1, "the first create met no fault: pick another seed"
    assert stats["create_requests"] == sent
    assert any("outcome unknown" in e.message for e in events.of("warning"))


def test_truncated_download_resumes(emu: Emulator, tmp_path: Path, hermetic_env: Path) -> None:
    emu.reset(faults="truncate=0.5", seed=2)  # seed 2: the first download is cut
    result, _ = render(make_payload(), tmp_path)
    assert isinstance(result, RenderResult), result
    stats = assert_clean(emu, tmp_path, hermetic_env)
    assert stats["faults"]["truncate"] >= 1 and stats["downloads"] >= 2
    with av.open(str(result.video)) as container:
        assert container.duration / av.time_base == pytest.approx(5, abs=0.1)


def test_failed_task(emu: Emulator, tmp_path: Path, hermetic_env: Path) -> None:
    emu.reset(faults="fail=1", seed=0)
    store = MemoryRecordStore()
    result, _ = render(make_payload(), tmp_path, store=store)
    assert isinstance(result, E.TaskFailedError | E.ServerError), result
    assert result.task_id
    assert not (tmp_path / "story.mp4").exists()
    assert_clean(emu, tmp_path, hermetic_env)
    record = store.load("story")
    assert record is not None and record.phase == "failed" and record.error


def test_bad_key(emu: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DASHSCOPE_API_KEY", "bad-key-0123456789")
    result, _ = render(make_payload(), tmp_path)
    assert isinstance(result, E.AuthenticationError)
    assert result.hint and "region" in result.hint
    assert "bad-key-0123456789" not in str(result)
    assert emu.stats()["creates"] == 0
    assert not (tmp_path / "story.mp4").exists()
    assert files_containing(tmp_path, "bad-key-0123456789") == []
    assert leftovers(tmp_path) == []


def test_bad_key_through_the_cli_is_one_clean_line(
    emu: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DASHSCOPE_API_KEY", "bad-key-0123456789")
    run = cli(str(SMARTWATCH), "--out", str(tmp_path))
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    assert "error: smartwatch: 401 InvalidApiKey" in run.stderr and "hint:" in run.stderr
    assert "bad-key-0123456789" not in run.stderr + run.stdout


def test_moderation_failure(emu: Emulator, tmp_path: Path, hermetic_env: Path) -> None:
    result, _ = render(make_payload(prompt="character1 dances. [[moderate]]"), tmp_path)
    assert isinstance(result, E.ContentModerationError), result
    assert result.code == "DataInspectionFailed" and not result.retryable
    assert not (tmp_path / "story.mp4").exists()
    assert_clean(emu, tmp_path, hermetic_env)


def test_missing_key_is_a_clean_error(emu: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DASHSCOPE_API_KEY")
    # Without a key, `auto` would draw a preview; asking for DashScope must fail cleanly.
    run = cli(str(SMARTWATCH), "--out", str(tmp_path), "--backend", "dashscope")
    assert run.returncode == 1 and "DASHSCOPE_API_KEY is not set" in run.stderr
    assert "Traceback" not in run.stderr


# --- uploads ------------------------------------------------------------------------------


def test_local_files_upload_once_and_are_reused(emu: Emulator, tmp_path: Path, hermetic_env: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    red = make_png(tmp_path / "a" / "ref.png", colour=(200, 0, 0))
    blue = make_png(tmp_path / "b" / "ref.png", colour=(0, 0, 200))  # same base name
    refs = (local_ref("red", "character1", red), local_ref("blue", "character2", blue))
    first, _ = render(make_payload(prompt="character1 meets character2.", references=refs), tmp_path / "o1")
    assert isinstance(first, RenderResult), first
    stats = emu.stats()
    assert stats["uploads"] == 2 and stats["policies"] == 1
    sent = json.loads(first.sidecar.read_text("utf-8"))["request"]["input"]["reference_urls"]
    assert len(set(sent)) == 2 and all(u.startswith("oss://") for u in sent)

    second, events = render(
        make_payload(prompt="character2 waves at character1.", references=refs), tmp_path / "o2"
    )
    assert isinstance(second, RenderResult), second
    stats = emu.stats()
    assert stats["uploads"] == 2 and stats["policies"] == 1  # reused from the cache
    assert [e.data["cached"] for e in events.of("upload")] == [True, True]
    assert_clean(emu, tmp_path, hermetic_env, creates=2)


# --- interruption and unknown outcomes --------------------------------------------------------


def test_ctrl_c_records_the_task_and_a_rerun_resumes(
    emu: Emulator, tmp_path: Path, hermetic_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHOTSCRIPT_POLL_SCALE", "1")  # a first wait of ~2 s: time to interrupt
    proc = subprocess.Popen(
        [sys.executable, "-m", "shotscript", "render", str(SMARTWATCH), "--out", str(tmp_path)],
        cwd=ROOT,
        env=dict(os.environ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if journal_task_id(tmp_path, "smartwatch"):
            break
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "run the same command again" in err
    record = journal_store(tmp_path, "smartwatch", shotscript.load(SMARTWATCH).compile()).load("smartwatch")
    assert record is not None and record.task_id and record.phase in ("submitted", "running")
    assert not (tmp_path / "smartwatch.mp4").exists()

    monkeypatch.setenv("SHOTSCRIPT_POLL_SCALE", "0.05")
    run = cli(str(SMARTWATCH), "--out", str(tmp_path))
    assert run.returncode == 0, run.stderr
    assert f"resuming task {record.task_id}" in run.stderr
    assert json.loads((tmp_path / "smartwatch.json").read_text("utf-8"))["task_id"] == record.task_id
    assert_clean(emu, tmp_path, hermetic_env)


def _crashed_while_submitting(store: RecordStore, payload, copies: int) -> list[str]:  # type: ignore[no-untyped-def]
    """Simulate a run that sent `copies` creates and died before any answer was recorded."""
    settings = settings_from_env(payload.meta.region)

    async def create() -> list[str]:
        async with DashScopeClient(settings) as client:
            return [
                (await client.create_task(payload.body(), oss_resolve=False)).task_id for _ in range(copies)
            ]

    ids = asyncio.run(create())
    record = TaskRecord(
        story="story",
        fingerprint=fingerprint(payload, {}),
        phase="submitting",
        submitting_at=time.time(),
        submissions=1,
    )
    store.save(record)
    return ids


def test_rerun_after_a_crash_mid_create_adopts_the_task(
    emu: Emulator, tmp_path: Path, hermetic_env: Path
) -> None:
    payload = make_payload()
    store = MemoryRecordStore()
    [task_id] = _crashed_while_submitting(store, payload, copies=1)
    result, _ = render(payload, tmp_path, store=store)
    assert isinstance(result, RenderResult), result
    assert result.task_id == task_id
    assert_clean(emu, tmp_path, hermetic_env, creates=1)


def test_rerun_after_a_crash_before_the_create_left_submits_once(
    emu: Emulator, tmp_path: Path, hermetic_env: Path
) -> None:
    payload = make_payload()
    store = MemoryRecordStore()
    _crashed_while_submitting(store, payload, copies=0)
    result, events = render(payload, tmp_path, store=store)
    assert isinstance(result, RenderResult), result
    assert any("no task from that create" in e.message for e in events.of("note"))
    assert_clean(emu, tmp_path, hermetic_env, creates=1)


def test_another_request_s_task_in_the_list_is_followed_to_its_end_never_adopted(
    emu: Emulator, tmp_path: Path, hermetic_env: Path
) -> None:
    payload = make_payload()
    # Another story's task, created just before: while it runs, the list cannot tell them
    # apart, so it is followed until it has SUCCEEDED and shows its prompt — not ours.
    other = make_payload(prompt="character1 climbs a mountain.")
    [other_id] = _crashed_while_submitting(MemoryRecordStore(), other, copies=1)
    store = MemoryRecordStore()
    store.save(
        TaskRecord(
            story="story",
            fingerprint=fingerprint(payload, {}),
            phase="submitting",
            submitting_at=time.time(),
            submissions=1,
        )
    )
    result, events = render(payload, tmp_path, store=store)
    assert isinstance(result, RenderResult), result
    assert result.task_id != other_id
    assert any("no task from that create" in e.message for e in events.of("note"))
    assert_clean(emu, tmp_path, hermetic_env, creates=2)


def test_ambiguous_task_list_needs_attention_until_the_user_resubmits(
    emu: Emulator, tmp_path: Path, hermetic_env: Path
) -> None:
    payload = make_payload()
    store = MemoryRecordStore()
    _crashed_while_submitting(store, payload, copies=2)
    result, _ = render(payload, tmp_path, store=store)
    assert isinstance(result, E.OutcomeUnknownError), result
    assert result.hint and "--resubmit" in result.hint
    record = store.load("story")
    assert record is not None and record.phase == "needs-attention"
    assert emu.stats()["creates"] == 2  # nothing more was sent

    again, _ = render(payload, tmp_path, store=store, resubmit=True)
    assert isinstance(again, RenderResult), again
    assert emu.stats()["creates"] == 3
    assert leftovers(tmp_path) == []
    no_key_anywhere(tmp_path, hermetic_env)


def test_needs_attention_exit_code(emu: Emulator, tmp_path: Path) -> None:
    payload = shotscript.load(SMARTWATCH).compile()
    settings = settings_from_env(payload.meta.region)

    async def create_twice() -> None:
        async with DashScopeClient(settings) as client:
            for _ in range(2):
                await client.create_task(payload.body(), oss_resolve=False)

    asyncio.run(create_twice())
    journal_store(tmp_path, "smartwatch", payload).save(
        TaskRecord(
            story="smartwatch",
            fingerprint=fingerprint(payload, {}),
            phase="submitting",
            submitting_at=time.time(),
            submissions=1,
        )
    )
    run = cli(str(SMARTWATCH), "--out", str(tmp_path))
    assert run.returncode == 3, run.stderr
    assert "Traceback" not in run.stderr and "--resubmit" in run.stderr
    assert emu.stats()["creates"] == 2


def test_cancel_a_recorded_pending_task(emu: Emulator, tmp_path: Path) -> None:
    emu.reset(gen_seconds=100.0)  # PENDING for 10 s: ample time to cancel, even on a loaded machine
    payload = make_payload()
    settings = settings_from_env(payload.meta.region)
    store = MemoryRecordStore()
    backend = DashScopeBackend(settings, store=store)

    async def create_then_cancel() -> tuple[str, str]:
        async with DashScopeClient(settings) as client:
            task_id = (await client.create_task(payload.body(), oss_resolve=False)).task_id
        store.save(TaskRecord(story="story", fingerprint="f", phase="submitted", task_id=task_id))
        return task_id, await backend.cancel(tmp_path / "story.mp4", Collect())  # type: ignore[return-value]

    created, canceled = asyncio.run(create_then_cancel())
    assert canceled.task_id == created and emu.stats()["cancels"] == 1
    record = store.load("story")
    assert record is not None and record.phase == "failed"
    assert record.error and record.error["kind"] == "task_canceled"


def test_cancel_of_a_finished_task_is_a_clean_error(emu: Emulator, tmp_path: Path) -> None:
    payload = shotscript.load(SMARTWATCH).compile()
    settings = settings_from_env(payload.meta.region)

    async def create() -> str:
        async with DashScopeClient(settings) as client:
            return (await client.create_task(payload.body(), oss_resolve=False)).task_id

    task_id = asyncio.run(create())
    record = TaskRecord(
        story="smartwatch", fingerprint=fingerprint(payload, {}), phase="running", task_id=task_id
    )
    journal_store(tmp_path, "smartwatch", payload).save(record)

    async def status() -> str:
        async with DashScopeClient(settings) as client:
            return (await client.get_task(task_id)).status

    deadline = time.monotonic() + 60
    while asyncio.run(status()) == "PENDING" and time.monotonic() < deadline:
        time.sleep(0.02)  # until the emulator says it is past PENDING
    run = cli(str(SMARTWATCH), "--out", str(tmp_path), "--cancel")
    assert run.returncode == 1
    assert "Traceback" not in run.stderr and "PENDING" in run.stderr
