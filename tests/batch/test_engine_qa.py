"""Bugs a QA run found in the engine, each reproduced against the emulator process."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.batch.batch_helpers import run, status, story_text
from tests.emulator_process import Emulator


def one_story(folder: Path, i: int = 1, name: str = "s") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.shot"
    path.write_text(story_text(i), "utf-8")
    return path


def task_of(folder: Path, stem: str = "s") -> str:
    return str(json.loads((folder / f"{stem}.json").read_text())["task_id"])


def test_another_requests_video_is_kept_aside_and_the_ledger_copies_the_right_one(
    emu: Emulator, tmp_path: Path
) -> None:
    story, a, b = one_story(tmp_path / "st"), tmp_path / "A", tmp_path / "B"
    assert run("render", str(story), "--out", str(a)).returncode == 0
    t1, v1 = task_of(a), (a / "s.mp4").read_bytes()
    other = run("render", str(story), "--out", str(a), "--model", "wan2.7-r2v")
    assert other.returncode == 0, other.stderr
    t2 = task_of(a)
    assert t2 != t1 and emu.stats()["creates"] == 2
    kept = a / f"s.{t1[:8]}.mp4"
    assert f"kept as {kept.name}" in other.stderr
    assert kept.read_bytes() == v1 and task_of(a, kept.stem) == t1
    third = run("render", str(story), "--out", str(b))
    assert third.returncode == 0, third.stderr
    assert emu.stats()["creates"] == 2
    assert f"same request as {kept}" in third.stderr
    side = json.loads((b / "s.json").read_text())
    assert side["task_id"] == t1 and side["model"].startswith("wan2.6")
    assert (b / "s.mp4").read_bytes() == v1


def test_a_recorded_video_that_changed_is_fetched_again_from_its_live_task(
    emu: Emulator, tmp_path: Path, hermetic_env: Path
) -> None:
    story, a, b = one_story(tmp_path / "st"), tmp_path / "A", tmp_path / "B"
    assert run("render", str(story), "--out", str(a)).returncode == 0
    t1, v1 = task_of(a), (a / "s.mp4").read_bytes()
    (a / "s.mp4").write_bytes(b"\0" * len(v1))  # same size, other bytes: only sha256 tells
    proc = run("render", str(story), "--out", str(b))
    assert proc.returncode == 0, proc.stderr
    assert "polled instead of paying again" in proc.stderr and emu.stats()["creates"] == 1
    assert (b / "s.mp4").read_bytes() == v1 and task_of(b) == t1
    # Journal and ledger lost: the sidecar's sha256 tells an edited video is not the request's.
    shutil.rmtree(hermetic_env)
    (b / "journal.sqlite").unlink()
    for suffix in ("-wal", "-shm"):
        (b / f"journal.sqlite{suffix}").unlink(missing_ok=True)
    (b / "s.mp4").write_bytes(b"\1" * len(v1))
    again = run("render", str(story), "--out", str(b))
    assert again.returncode == 0, again.stderr
    assert "sha256 differs" in again.stderr
    assert (b / "s.mp4").read_bytes() == v1 and emu.stats()["creates"] == 1


def test_new_takes_are_counted_in_the_estimate_and_the_budget_refuses_them(
    emu: Emulator, tmp_path: Path
) -> None:
    a, b, out = one_story(tmp_path / "st", 1, "a"), one_story(tmp_path / "st", 2, "b"), tmp_path / "e2"
    assert run("render", str(a), str(b), "--out", str(out)).returncode == 0
    assert emu.stats()["creates"] == 2
    proc = run("render", str(a), str(b), "--out", str(out), "--new-take", "--budget", "1")
    assert proc.returncode != 0 and "over the budget" in proc.stderr + proc.stdout, proc.stderr
    assert "2 new take" in proc.stdout + proc.stderr and "to send: 0 billed" not in proc.stdout + proc.stderr
    assert emu.stats()["create_requests"] == 2
    take = run("render", str(a), str(b), "--out", str(out), "--new-take")
    assert take.returncode == 0, take.stderr
    assert emu.stats()["creates"] == 4


def test_new_take_pays_for_a_request_rendered_here_under_another_key(emu: Emulator, tmp_path: Path) -> None:
    pet, loop = one_story(tmp_path / "st" / "seed", 1, "pet"), one_story(tmp_path / "st", 2, "loop")
    out = tmp_path / "D"  # pet's key is seed/pet in the first run, pet in the second
    assert run("render", str(pet), str(loop), "--out", str(out)).returncode == 0
    assert emu.stats()["creates"] == 2
    take = run("render", str(pet), "--out", str(out), "--new-take")
    assert take.returncode == 0, take.stderr
    assert "copy" not in take.stdout.split("·")[0], take.stdout
    assert emu.stats()["creates"] == 3
    assert "--new-take: paying for take 2" in take.stderr


def test_a_path_with_dot_dot_never_writes_outside_the_output_folder(emu: Emulator, tmp_path: Path) -> None:
    stories = tmp_path / "stories"
    one_story(stories / "seed", 1, "pet")
    x = one_story(stories / "wan27", 2, "x")
    out = tmp_path / "q" / "out"
    proc = run("render", str(stories / "wan27" / ".." / "seed" / "pet.shot"), str(x), "--out", str(out),
               "--backend", "preview")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert (out / "seed" / "pet.preview.mp4").is_file() and (out / "wan27" / "x.preview.mp4").is_file()
    outside = [p for p in tmp_path.rglob("*") if p.is_file() and not {out, stories} & set(p.parents)]
    assert outside == []
    assert {s["key"] for s in status(out)["stories"]} == {"seed/pet", "wan27/x"}


def test_no_key_leads_out_of_the_output_folder(tmp_path: Path) -> None:
    from shotscript.batch.plan import StoryFile, inside

    out = tmp_path / "out"
    assert inside(out, StoryFile("seed/pet", tmp_path).output(out))
    assert not inside(out, StoryFile("../seed/pet", tmp_path).output(out))
    assert not inside(out, out)


def test_folder_totals_say_what_the_ledger_says_was_spent_there(emu: Emulator, tmp_path: Path) -> None:
    story, out = one_story(tmp_path / "st"), tmp_path / "C"
    assert run("render", str(story), "--out", str(out)).returncode == 0
    take = run("render", str(story), "--out", str(out), "--new-take")
    assert take.returncode == 0, take.stderr
    spent = json.loads(run("ledger", "--json").stdout)["spent"]
    here = sum(line["billed_seconds"] for line in spent if line["folder"] == str(out.resolve()))
    totals = status(out)["totals"]
    assert totals["billed_seconds_all_takes"] == here == 2 * totals["billed_seconds"] > 0
    line = run("status", str(out)).stdout
    assert f"all takes into this folder: {here:g} s" in line
    assert json.loads((out / "report.json").read_text())["totals"]["billed_seconds_all_takes"] == here
    assert f"{here:g} s</b> (the ledger)" in (out / "report.html").read_text()


def test_the_python_api_calls_a_story_that_does_not_compile_an_error(emu: Emulator, tmp_path: Path) -> None:
    import io

    import shotscript

    bad = tmp_path / "st" / "bad.shot"
    bad.parent.mkdir()
    bad.write_text(story_text(1).replace("1280*720", "1280x720"), "utf-8")
    err = io.StringIO()
    shotscript.render([bad], out=tmp_path / "o", err=err)
    text = err.getvalue()
    assert "bad: error: does not compile:" in text and "warning: does not compile" not in text, text
    assert emu.stats()["create_requests"] == 0


def test_a_changed_video_of_an_expired_task_is_neither_handed_out_nor_paid_again(
    emu: Emulator, tmp_path: Path, hermetic_env: Path
) -> None:
    import sqlite3

    story, a, b = one_story(tmp_path / "st"), tmp_path / "A", tmp_path / "B"
    assert run("render", str(story), "--out", str(a)).returncode == 0
    (a / "s.mp4").write_bytes(b"\0" * (a / "s.mp4").stat().st_size)
    with sqlite3.connect(hermetic_env / "ledger.sqlite") as db:  # the service forgot the task: 25 h ago
        ago = "submitting_at = submitting_at - 9e4, submitted_at = submitted_at - 9e4"
        db.execute(f"UPDATE requests SET {ago}")
    proc = run("render", str(story), "--out", str(b))
    assert proc.returncode != 0 and "is changed or gone" in proc.stderr, proc.stderr
    assert "--new-take" in proc.stderr and "trying again" not in proc.stderr
    assert emu.stats()["create_requests"] == 1 and not (b / "s.mp4").exists()
    take = run("render", str(story), "--out", str(b), "--new-take")
    assert take.returncode == 0, take.stderr
    assert emu.stats()["creates"] == 2
