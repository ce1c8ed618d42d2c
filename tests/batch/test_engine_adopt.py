"""`shotscript adopt`: the user names the task the task list could not tell apart, and the next
render follows it instead of paying again — adopted only if its prompt is the story's."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

import shotscript
from shotscript.batch.adopt import adopt
from shotscript.batch.journal import JournalError
from tests.batch.batch_helpers import KEY, run, story_text
from tests.emulator_process import Emulator

COLLEAGUE = "sk-test-colleague-same-account-0002"


def story(folder: Path, i: int = 7, name: str = "ad") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.shot"
    path.write_text(story_text(i), "utf-8")
    return path


def ambiguous(emu: Emulator, tmp_path: Path) -> tuple[Path, Path, str, str]:
    """A story left needing attention: its create got a 500 (the task was made), and a
    colleague sent the very same request at that moment. (stories, out, ours, theirs)"""
    emu.reset(accounts={"team": [KEY, COLLEAGUE]})
    emu.create_as(COLLEAGUE, when="next_create")
    emu.fail_next_create("500", created=True)
    stories, out = tmp_path / "s", tmp_path / "out"
    story(stories)
    outcome = shotscript.render(stories, out=out, err=io.StringIO())
    [result] = outcome.results
    assert result.state == "needs-attention" and "shotscript adopt" in str(result.error)
    [theirs] = emu.stats()["injected"]
    [ours] = [t["task_id"] for t in emu.tasks() if t["task_id"] != theirs]
    return stories, out, ours, theirs


def test_an_adopted_task_is_followed_and_nothing_is_paid_again(emu: Emulator, tmp_path: Path) -> None:
    stories, out, ours, _ = ambiguous(emu, tmp_path)
    done = adopt(out, "ad", ours)
    assert (done.story, done.task_id, done.previous_state) == ("ad", ours, "needs-attention")
    outcome = shotscript.render(stories, out=out, err=io.StringIO())
    [result] = outcome.results
    assert outcome.code == 0 and result.state == "done" and result.task_id == ours
    assert (out / "ad.mp4").is_file()
    stats = emu.stats()
    assert stats["create_requests"] == 1 and stats["duplicate_creates"] == 0


def test_a_task_of_another_prompt_is_not_adopted(emu: Emulator, tmp_path: Path) -> None:
    stories, out, _, _ = ambiguous(emu, tmp_path)
    other = shotscript.load(story(tmp_path / "other", 99, "mural")).compile().body()  # type: ignore[attr-defined]
    mural = emu.create_as(COLLEAGUE, body=other, when="now")
    adopt(out, "ad", mural)
    err = io.StringIO()
    outcome = shotscript.render(stories, out=out, err=err)
    [result] = outcome.results
    assert result.state == "needs-attention" and result.task_id != mural
    said = f"task {mural}, adopted (from the task list or `shotscript adopt`), was another request"
    assert said in err.getvalue()
    assert not (out / "ad.mp4").exists()
    assert emu.stats()["create_requests"] == 1  # a wrong claim costs nothing


@pytest.mark.parametrize(
    ("story_key", "task", "message"),
    [
        ("ad", "../etc", "is not a task id"),
        ("nope", "0385dc79-5ff8-4d82-bcb6-000000000001", "no story 'nope'"),
    ],
)
def test_claims_that_cannot_be_recorded_say_why(
    emu: Emulator, tmp_path: Path, story_key: str, task: str, message: str
) -> None:
    _, out, _, _ = ambiguous(emu, tmp_path)
    with pytest.raises(JournalError, match=message):
        adopt(out, story_key, task)


def test_a_task_of_another_story_or_a_story_that_is_done_is_refused(emu: Emulator, tmp_path: Path) -> None:
    stories, out = tmp_path / "s", tmp_path / "out"
    story(stories, 1, "one")
    story(stories, 2, "two")
    outcome = shotscript.render(stories, out=out, err=io.StringIO())
    one, two = sorted(outcome.results, key=lambda r: r.key)
    assert one.task_id and two.task_id
    with pytest.raises(JournalError, match="story 'one''s"):
        adopt(out, "two", one.task_id)
    with pytest.raises(JournalError, match="already"):
        adopt(out, "two", "0385dc79-5ff8-4d82-bcb6-000000000001")


def test_the_command_line(emu: Emulator, tmp_path: Path) -> None:
    _, out, ours, _ = ambiguous(emu, tmp_path)
    refused = run("adopt", str(out), "ad", "../x")
    assert refused.returncode == 1 and refused.stderr.startswith("error: ")
    assert "Traceback" not in refused.stderr
    claimed = run("adopt", str(out), "ad.shot", ours)
    assert claimed.returncode == 0, claimed.stderr
    assert f"ad: task {ours} recorded (was needs-attention)" in claimed.stdout
