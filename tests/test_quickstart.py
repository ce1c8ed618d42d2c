"""The quick start's main job, as a fresh user runs it: no key, the shipped stories, playable
MP4s of the right shape and a report."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from shotscript.compiler.driver import find_stories
from shotscript.media.check import check_file
from shotscript.runtime.download import probe_video
from tests.conftest import STORIES


def test_render_the_shipped_stories_without_a_key(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DASHSCOPE_API_KEY"}
    out = tmp_path / "renders"
    proc = subprocess.run(
        [sys.executable, "-m", "shotscript", "render", str(STORIES), "--out", str(out)],
        capture_output=True, text=True, env=env, cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "rendering offline previews" in proc.stderr
    assert "Traceback" not in proc.stderr
    stories = find_stories([STORIES])
    videos = sorted(out.rglob("*.mp4"))
    assert videos, "no video written"
    shapes = {}
    for story in stories:
        result = check_file(story)
        assert result.payload is not None
        shapes[(result.payload.meta.size, result.payload.duration)] = story
    probed = {(p.size, round(p.duration)) for p in map(probe_video, videos)}
    assert probed == set(shapes)  # twins share one video; every shape asked for is there
    assert (out / "report.html").exists() and (out / "report.json").exists()
