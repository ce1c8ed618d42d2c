"""`render` with no key draws the offline preview; `preview` is its short form."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from shotscript.cli import cli
from shotscript.runtime.download import probe_video
from tests.conftest import STORIES


def _run(*args: str, key: str | None = None) -> tuple[int, str]:
    env = {"DASHSCOPE_API_KEY": key} if key else {"DASHSCOPE_API_KEY": ""}
    result = CliRunner().invoke(cli, list(args), env=env)
    return result.exit_code, result.stderr


def test_render_without_a_key_writes_a_preview_and_says_so(tmp_path: Path) -> None:
    code, err = _run("render", str(STORIES / "seed" / "silent-dance.shot"), "--out", str(tmp_path))
    assert code == 0, err
    assert "DASHSCOPE_API_KEY is not set: rendering offline previews" in err
    video = tmp_path / "silent-dance.preview.mp4"
    probe = probe_video(video)
    assert (probe.size, round(probe.fps), round(probe.duration, 2)) == ("1280*720", 30, 5.0)
    sidecar = json.loads((tmp_path / "silent-dance.preview.json").read_text())
    assert sidecar["backend"] == "preview"
    assert all(c["ok"] for c in sidecar["checks"].values())


def test_preview_is_skipped_when_up_to_date_and_redrawn_with_force(tmp_path: Path) -> None:
    story = str(STORIES / "seed" / "pet.yaml")
    assert _run("preview", story, "--out", str(tmp_path))[0] == 0
    first = (tmp_path / "pet.preview.mp4").stat().st_mtime_ns
    code, err = _run("preview", story, "--out", str(tmp_path))
    assert code == 0 and "up to date" in err
    assert (tmp_path / "pet.preview.mp4").stat().st_mtime_ns == first
    assert _run("preview", story, "--out", str(tmp_path), "--force")[0] == 0
    assert (tmp_path / "pet.preview.mp4").stat().st_mtime_ns != first


def test_explicit_preview_backend_ignores_the_key(tmp_path: Path) -> None:
    secret = "sk-" + "q" * 30
    code, err = _run("render", str(STORIES / "seed" / "smartwatch.shot"), "--out", str(tmp_path),
                     "--backend", "preview", key=secret)
    assert code == 0 and "not set" not in err
    for f in (p for p in tmp_path.rglob("*") if p.is_file()):
        assert secret not in f.read_bytes().decode("latin-1")


def test_without_a_cjk_font_one_warning_says_how_to_redraw(tmp_path: Path, monkeypatch) -> None:
    import shotscript.preview.animatic as animatic
    import shotscript.preview.fonts as fonts

    stories = [str(STORIES / "seed" / "pet.yaml"), str(STORIES / "seed" / "smartwatch.shot")]
    for module in (fonts, animatic):  # a machine without a CJK font
        if hasattr(module, "system_fonts"):
            monkeypatch.setattr(module, "system_fonts", fonts.latin_fonts)
    code, err = _run("preview", *stories, "--out", str(tmp_path))
    assert code == 0 and err.count("no CJK font found") == 1, err  # once per run, not per story
    assert "`preview --force` or `render --new-take`" in err
