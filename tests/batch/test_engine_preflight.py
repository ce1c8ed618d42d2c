"""Preflight before paying, and previews that never replace a paid video."""

from __future__ import annotations

import io
import json
import shutil
from collections import namedtuple
from pathlib import Path

import pytest

import shotscript
from tests.batch.batch_helpers import run, status, story_text
from tests.emulator_process import Emulator


def one_story(folder: Path, name: str = "ad") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.shot"
    path.write_text(story_text(3), "utf-8")
    return path


def test_a_250_character_name_is_refused_before_any_create(emu: Emulator, tmp_path: Path) -> None:
    story = one_story(tmp_path / "s", "x" * 250)
    assert run("check", str(story)).returncode == 0  # the story itself is fine
    proc = run("render", str(story), "--out", str(tmp_path / "out"))
    assert proc.returncode == 1, proc.stderr
    assert "could never be saved" in proc.stderr and "too long" in proc.stderr, proc.stderr
    assert "shorter name" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert emu.stats()["create_requests"] == 0


@pytest.mark.parametrize("planted", ["ad.mp4.part", "ad.mp4", "ad.json"])
def test_a_symlink_where_the_result_goes_is_refused_and_the_outside_file_untouched(
    emu: Emulator, tmp_path: Path, planted: str
) -> None:
    out, outside = tmp_path / "out", tmp_path / "precious.txt"
    outside.write_text("keep me", "utf-8")
    out.mkdir()
    (out / planted).symlink_to(outside)
    proc = run("render", str(one_story(tmp_path / "s")), "--out", str(out))
    assert proc.returncode == 1 and "symbolic link" in proc.stderr, proc.stderr
    assert outside.read_text("utf-8") == "keep me"
    assert emu.stats()["create_requests"] == 0


def test_too_little_free_space_is_refused_before_any_create(
    emu: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage(10**9, 10**9 - 10**6, 10**6))
    outcome = shotscript.render(one_story(tmp_path / "s"), out=tmp_path / "out", err=io.StringIO())
    [result] = outcome.results
    assert outcome.code == 1 and result.state == "failed"
    assert result.error is not None and "no space left" in result.error["message"]
    assert emu.stats()["create_requests"] == 0


def test_a_render_without_a_key_after_a_real_one_keeps_the_paid_video(emu: Emulator, tmp_path: Path) -> None:
    story, out = one_story(tmp_path / "s"), tmp_path / "out"
    assert run("render", str(story), "--out", str(out)).returncode == 0
    video, sidecar = (out / "ad.mp4").read_bytes(), (out / "ad.json").read_bytes()
    task_id = json.loads(sidecar)["task_id"]
    preview = run("render", str(story), "--out", str(out), env={"DASHSCOPE_API_KEY": ""})
    assert preview.returncode == 0, preview.stderr
    assert "rendering offline previews" in preview.stderr
    assert preview.stdout.strip() == str(out / "ad.preview.mp4")
    assert (out / "ad.mp4").read_bytes() == video and (out / "ad.json").read_bytes() == sidecar
    assert json.loads((out / "ad.preview.json").read_text())["backend"] == "preview"
    # The paid task is still known: with the key again, nothing is sent, the video is there.
    again = run("render", str(story), "--out", str(out))
    assert again.returncode == 0, again.stderr
    assert emu.stats()["create_requests"] == 1
    assert any(r["task_id"] == task_id for r in status(out, every=True)["stories"])
