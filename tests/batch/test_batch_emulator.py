"""Batches against the real emulator process (127.0.0.1): faults, kill -9, resume, retries,
budget, dry runs, status, and the API key nowhere on disk or screen."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

from tests.batch.batch_helpers import KEY, ROOT, command, run, states, status, story_text, write_stories
from tests.emulator_process import Emulator

FAULTS = "429=0.04*3,500=0.05,reset=0.05,truncate=0.15,fail=0.15"


def no_key_anywhere(out: Path, *texts: str) -> None:
    for path in out.rglob("*"):
        if path.is_file():
            assert KEY.encode() not in path.read_bytes(), f"the API key leaked into {path}"
    for text in texts:
        assert KEY not in text


def test_fifty_stories_with_faults_each_created_once(emu: Emulator, tmp_path: Path) -> None:
    emu.reset(faults=FAULTS, seed=5, max_running=10, create_rps=10.0)
    stories, out = tmp_path / "stories", tmp_path / "renders"
    write_stories(stories, 50, per_folder=10)
    (stories / "broken").mkdir()
    (stories / "broken" / "size.shot").write_text(story_text(900).replace("1280*720", "1280x720"), "utf-8")
    (stories / "broken" / "moderated.shot").write_text(story_text(901, extra=" [[moderate]]"), "utf-8")

    proc = run("render", str(stories), "--out", str(out), "--concurrency", "10", "--submit-rate", "9")
    assert proc.returncode == 1, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    stats = emu.stats()
    faults = stats["faults"]
    assert faults["429"] and faults["500"] + faults["reset"] and faults["truncate"] and faults["fail"], faults

    rows = status(out)["stories"]
    assert len(rows) == 52
    by_state: dict[str, list[dict[str, object]]] = {}
    for r in rows:
        by_state.setdefault(str(r["state"]), []).append(r)
    assert set(by_state) <= {"done", "failed"}, {k: len(v) for k, v in by_state.items()}
    failed = {str(r["key"]): r for r in by_state["failed"]}
    # Every renderable story is done: what failed is the broken story, the one moderation
    # refuses, and tasks the service itself ended FAILED — each with its reason.
    assert failed["broken/size"]["error"]["kind"] == "story"  # type: ignore[index]
    assert "E405" in failed["broken/size"]["error"]["message"]  # type: ignore[index]
    assert failed["broken/moderated"]["error"]["kind"] == "content_moderation"  # type: ignore[index]
    for key, r in failed.items():
        error = r["error"]
        assert isinstance(error, dict) and error["message"], key
        if key != "broken/size":
            assert r["task_id"] and error.get("task_id") == r["task_id"], (key, error)
    # Each request paid for once: one create per story that got a task. A create may be sent
    # again only when the task list showed its first try FAILED (a 500 after the task was made,
    # then the task failed: nothing was billed, and the list cannot show the failed task to be
    # ours) — so every second create follows a failed task, and none is billable.
    with_task = [r for r in rows if r["task_id"]]
    assert stats["billable_duplicate_creates"] == 0
    assert stats["creates"] == len(with_task) + stats["duplicate_creates"] == 51 + stats["duplicate_creates"]
    assert stats["tasks"].get("FAILED", 0) == len(failed) - 1 + stats["duplicate_creates"]
    for r in by_state["done"]:
        assert (out / f"{r['key']}.mp4").is_file() and (out / "thumbs" / f"{r['key']}.jpg").is_file()
        assert r["billed_seconds"] == 10.0  # 5 s of video + the URL video at its 5-second cap

    report = json.loads((out / "report.json").read_text("utf-8"))
    assert report["totals"]["stories"] == 52 and report["totals"]["failed"] == len(failed)
    assert {s["key"] for s in report["stories"] if s["reason"]} == set(failed)
    assert (out / "report.html").is_file()
    assert str(out / "report.html") in proc.stdout
    for key in failed:
        assert key in proc.stderr  # the summary table names every failure
    no_key_anywhere(out, proc.stdout, proc.stderr)

    # The same command again: done stories are skipped, failures stay failed, nothing is sent.
    again = run("render", str(stories), "--out", str(out), "--concurrency", "10")
    assert again.returncode == 1
    assert emu.stats()["create_requests"] == stats["create_requests"]
    assert states(out) == {str(r["key"]): str(r["state"]) for r in rows}


def test_ctrl_c_stops_cleanly_and_the_rerun_resumes(emu: Emulator, tmp_path: Path) -> None:
    emu.reset(time_scale=0.05)  # 3-6 s tasks: the interrupt comes while they run
    stories, out = tmp_path / "stories", tmp_path / "renders"
    write_stories(stories, 4)
    env = {**__import__("os").environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        command("render", str(stories), "--out", str(out)),
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and emu.stats()["creates"] < 4:
        time.sleep(0.1)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 130, stderr
    assert "interrupted" in stderr and "run the same command again" in stderr and "Traceback" not in stderr
    assert set(states(out).values()) <= {"submitting", "submitted", "running"}
    final = run("render", str(stories), "--out", str(out))
    assert final.returncode == 0, final.stderr
    assert emu.stats()["creates"] == 4 and emu.stats()["duplicate_creates"] == 0


def test_retry_failed_and_edited_stories(emu: Emulator, tmp_path: Path) -> None:
    emu.reset(faults="fail=1")
    stories, out = tmp_path / "stories", tmp_path / "renders"
    write_stories(stories, 4)
    first = run("render", str(stories), "--out", str(out))
    assert first.returncode == 1
    rows = {r["key"]: r for r in status(out)["stories"]}
    assert {r["state"] for r in rows.values()} == {"failed"}
    retryable = {k for k, r in rows.items() if r["error"]["retryable"]}  # InternalError; not "no reason"
    assert emu.stats()["creates"] == 4

    assert run("render", str(stories), "--out", str(out)).returncode == 1  # failures stay failed
    assert emu.stats()["creates"] == 4

    emu.reset(faults="")
    retried = run("render", str(stories), "--out", str(out), "--retry-failed")
    after = states(out)
    assert {k for k, s in after.items() if s == "done"} == retryable, retried.stderr
    assert emu.stats()["creates"] == len(retryable)
    assert retried.returncode == (1 if len(retryable) < 4 else 0)

    # An edited story is a new request: one new task, for it alone.
    edited = stories / "part0" / "story000.shot"
    edited.write_text(story_text(0, extra=" At sunset."), "utf-8")
    before = emu.stats()["creates"]
    run("render", str(stories), "--out", str(out))
    assert states(out)["part0/story000"] == "done"
    assert emu.stats()["creates"] == before + 1
    every = status(out)  # the earlier version stays in the journal, out of the current batch
    assert len(every["stories"]) == 4
    assert len(json.loads(run("status", str(out), "--json", "--all").stdout)["stories"]) == 5


def test_dry_run_and_budget_send_nothing(emu: Emulator, tmp_path: Path) -> None:
    stories, out = tmp_path / "stories", tmp_path / "renders"
    write_stories(stories, 3)
    dry = run("render", str(stories), "--out", str(out), "--dry-run", "--budget", "100")
    assert dry.returncode == 0, dry.stderr
    assert (
        "3 new" in dry.stdout and "≤ 30 billed s ≈ ¥9.00" in dry.stdout and "within the budget" in dry.stdout
    )
    assert not out.exists()
    over = run("render", str(stories), "--out", str(out), "--budget", "5")
    assert over.returncode == 1 and "over the budget of ¥5.00; nothing was sent" in over.stderr
    assert "Traceback" not in over.stderr
    assert emu.stats()["create_requests"] == 0 and emu.stats()["polls"] == 0
    # Within the budget it renders; later, stories already paid for do not count again.
    assert run("render", str(stories), "--out", str(out), "--budget", "9").returncode == 0
    assert run("render", str(stories), "--out", str(out), "--budget", "0").returncode == 0


def test_status_and_clean_errors(emu: Emulator, tmp_path: Path) -> None:
    stories, out = tmp_path / "stories", tmp_path / "renders"
    write_stories(stories, 2)
    assert run("render", str(stories), "--out", str(out)).returncode == 0
    table = run("status", str(out))
    assert table.returncode == 0 and "part0/story000" in table.stdout and "done" in table.stdout
    assert "2 stories: 2 done, 0 failed" in table.stdout and "last run: finished" in table.stdout
    document = status(out)
    assert document["totals"]["done"] == 2 and document["last_run"]["outcome"] == "finished"
    assert {"key", "state", "task_id", "attempts", "timings", "usage", "cost", "error"} <= set(
        document["stories"][0]
    )

    missing = run("status", str(tmp_path / "nowhere"))
    assert missing.returncode == 1 and "no journal" in missing.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    nothing = run("render", str(empty), "--out", str(out))
    assert nothing.returncode == 2 and "no story files" in nothing.stderr
    prices = tmp_path / "p.toml"
    prices.write_text("[prices", "utf-8")
    bad = run("render", str(stories), "--out", str(out), "--prices", str(prices))
    assert bad.returncode == 1 and "not valid TOML" in bad.stderr
    nokey = run("render", str(stories), "--out", str(tmp_path / "o2"), "--backend", "dashscope",
                env={"DASHSCOPE_API_KEY": ""})  # fmt: skip
    assert nokey.returncode == 1 and "DASHSCOPE_API_KEY is not set" in nokey.stderr
    paid = {p: p.read_bytes() for p in out.rglob("*.mp4")}
    beside = run("render", str(stories), "--out", str(out), "--backend", "preview")  # no longer over them
    assert beside.returncode == 0, beside.stderr
    assert {p: p.read_bytes() for p in paid} == paid  # the paid videos are untouched
    assert all(p.with_name(p.name.replace(".mp4", ".preview.mp4")).is_file() for p in paid)
    for proc in (missing, nothing, bad, nokey, beside):
        assert "Traceback" not in proc.stderr


def test_previews_render_a_batch_offline(tmp_path: Path) -> None:
    stories, out = tmp_path / "stories", tmp_path / "previews"
    write_stories(stories, 2)
    proc = run("render", str(stories), "--out", str(out), env={"DASHSCOPE_API_KEY": ""})
    assert proc.returncode == 0, proc.stderr
    assert "rendering offline previews" in proc.stderr and "nothing is billed" in proc.stderr
    rows = status(out)["stories"]
    assert {r["state"] for r in rows} == {"done"} and {r["backend"] for r in rows} == {"preview"}
    assert all((out / f"{r['key']}.preview.mp4").is_file() for r in rows)
    assert not list(out.rglob("story000.mp4"))  # the name of a paid video is never a preview's


def test_a_request_rendered_under_another_name_is_copied_not_paid_again(
    emu: Emulator, tmp_path: Path
) -> None:
    stories, out = tmp_path / "stories", tmp_path / "renders"
    write_stories(stories, 2)
    assert run("render", str(stories), "--out", str(out)).returncode == 0  # keys part0/story00N
    assert emu.stats()["creates"] == 2
    # The sub-folder alone: its keys are story00N now, but the requests are the same.
    again = run("render", str(stories / "part0"), "--out", str(out))
    assert again.returncode == 0, again.stderr
    assert emu.stats()["creates"] == 2 and emu.stats()["create_requests"] == 2
    rows = status(out)["stories"]  # every story of the folder, the earlier batch's too
    assert {(r["key"], r["same_as"], r["state"]) for r in rows} == {
        ("part0/story000", None, "done"),
        ("part0/story001", None, "done"),
        ("story000", "part0/story000", "done"),
        ("story001", "part0/story001", "done"),
    }
    assert (out / "story000.mp4").read_bytes() == (out / "part0" / "story000.mp4").read_bytes()


def test_a_story_edited_into_a_copy_keeps_its_own_paid_video_aside(emu: Emulator, tmp_path: Path) -> None:
    stories, out = tmp_path / "stories", tmp_path / "renders"
    stories.mkdir()
    (stories / "a.shot").write_text(story_text(1), "utf-8")
    (stories / "b.shot").write_text(story_text(2), "utf-8")
    assert run("render", str(stories), "--out", str(out)).returncode == 0
    paid = (out / "b.mp4").read_bytes()
    task_b = json.loads((out / "b.json").read_text("utf-8"))["task_id"]
    (stories / "b.shot").write_text(story_text(1), "utf-8")  # now the same request as a
    again = run("render", str(stories), "--out", str(out))
    assert again.returncode == 0, again.stderr
    assert f"kept as b.{task_b[:8]}.mp4" in again.stderr
    assert (out / "b.mp4").read_bytes() == (out / "a.mp4").read_bytes()  # the copy of a's video
    aside = out / f"b.{task_b[:8]}.mp4"
    assert aside.read_bytes() == paid  # b's own paid video, not overwritten
    assert json.loads((out / f"b.{task_b[:8]}.json").read_text("utf-8"))["task_id"] == task_b
    assert emu.stats()["creates"] == 2  # nothing paid again
    # The ledger follows the video it moved.
    with sqlite3.connect(Path(os.environ["SHOTSCRIPT_HOME"]) / "ledger.sqlite") as db:
        paths = {row[0] for row in db.execute(
            "SELECT v.path FROM videos v JOIN requests r ON r.id = v.request WHERE r.task_id = ?", (task_b,)
        )}  # fmt: skip
    assert paths == {str(aside.resolve())}
