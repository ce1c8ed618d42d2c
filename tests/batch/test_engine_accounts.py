"""Reconciling per account: the task list holds every key's tasks; only a task shown to be
ours (its prompt and result, once it has SUCCEEDED) is adopted."""

from __future__ import annotations

import io
from pathlib import Path

import shotscript
from tests.batch.batch_helpers import KEY, story_text
from tests.emulator_process import Emulator

COLLEAGUE = "sk-test-colleague-same-account-0001"


def one_story(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "ad.shot"
    path.write_text(story_text(7), "utf-8")
    return path


def test_another_key_s_same_model_task_while_ours_is_unknown_is_not_adopted(
    emu: Emulator, tmp_path: Path
) -> None:
    emu.reset(accounts={"team": [KEY, COLLEAGUE]})
    # A colleague's task of the same model appears right when our create meets a 500 that
    # made nothing: the list shows one candidate, created at that very moment.
    emu.create_as(COLLEAGUE, prompt="character1 paints a mural in the rain.", when="next_create")
    emu.fail_next_create("500", created=False)
    outcome = shotscript.render(one_story(tmp_path / "s"), out=tmp_path / "out", err=io.StringIO())
    [result] = outcome.results
    [theirs] = emu.stats()["injected"]
    assert outcome.code == 0 and result.state == "done"
    assert result.task_id != theirs  # followed to SUCCEEDED: another prompt, not ours
    stats = emu.stats()
    assert stats["create_requests"] == 2 and stats["creates"] == 1 and stats["duplicate_creates"] == 0


def test_ours_is_found_among_the_account_s_tasks_by_its_prompt(emu: Emulator, tmp_path: Path) -> None:
    emu.reset(accounts={"team": [KEY, COLLEAGUE]})
    emu.create_as(COLLEAGUE, prompt="character1 paints a mural in the rain.", when="next_create")
    emu.fail_next_create("reset", created=True)  # ours was made; the answer was lost
    outcome = shotscript.render(one_story(tmp_path / "s"), out=tmp_path / "out", err=io.StringIO())
    [result] = outcome.results
    [theirs] = emu.stats()["injected"]
    assert outcome.code == 0 and result.state == "done" and result.task_id != theirs
    assert emu.stats()["create_requests"] == 1  # adopted: nothing sent again


def test_the_same_request_from_another_key_is_ambiguous_and_needs_attention(
    emu: Emulator, tmp_path: Path
) -> None:
    emu.reset(accounts={"team": [KEY, COLLEAGUE]})
    emu.create_as(COLLEAGUE, when="next_create")  # the very same body, sent by a colleague
    emu.fail_next_create("500", created=True)
    err = io.StringIO()
    outcome = shotscript.render(one_story(tmp_path / "s"), out=tmp_path / "out", err=err)
    [result] = outcome.results
    [theirs] = emu.stats()["injected"]
    assert outcome.code == 3 and result.state == "needs-attention" and result.task_id is None
    assert result.error is not None and theirs in result.error["message"]  # the candidate ids
    assert "--resubmit" in str(result.error.get("hint"))  # and what to run
    assert emu.stats()["create_requests"] == 1  # nothing more was sent
