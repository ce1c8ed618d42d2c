"""A wan2.7 story with a local image, a local voice and a local first frame renders on the
emulator (a real process on 127.0.0.1) to an MP4 of the size its resolution and first frame
ask for; every local file is uploaded (the emulator refuses `oss://` URLs without
`X-DashScope-OssResourceResolve`, so success also shows the header was sent)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from PIL import Image

import shotscript
from shotscript.runtime.download import probe_video
from tests.conftest import STORIES, hermetic
from tests.emulator_process import start_emulator

KEY = "sk-test-wan27-render-5d1f"


def story(tmp_path: Path, first_frame: str) -> Path:
    refs = tmp_path / "refs"
    refs.mkdir()
    for name in ("girl.png", "girl-voice.wav", "street.jpg"):
        shutil.copy(STORIES / "wan27" / "refs" / name, refs / name)
    Image.new("RGB", (720, 1280), "#203040").save(refs / "tall.png")
    path = tmp_path / "opener.shot"
    path.write_text(
        f"model wan2.7-r2v\nresolution 720P\nduration 3\nfirst_frame refs/{first_frame}\n"
        "cast\n  girl image refs/girl.png voice refs/girl-voice.wav\n"
        "shot 0-1s 路灯亮起。\nshot 1-3s @girl走进画面,说:“晚上好。”\n", "utf-8")
    return path


# The first frame's shape decides the output's ratio (the nearest of the table at 720P).
@pytest.mark.parametrize(("first_frame", "size"), [("street.jpg", "1280*720"), ("tall.png", "720*1280")])
def test_local_image_voice_and_first_frame_render_on_the_emulator(
    first_frame: str, size: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hermetic(monkeypatch, tmp_path / "home", KEY)
    path = story(tmp_path, first_frame)
    assert shotscript.load(path).compile().meta.size == size  # what the sidecar expects
    with start_emulator("--time-scale", "0.01") as emu:
        monkeypatch.setenv("DASHSCOPE_HTTP_BASE_URL", emu.base_url)
        monkeypatch.setenv("SHOTSCRIPT_POLL_SCALE", "0.05")
        outcome = shotscript.render([path], out=tmp_path / "out", backend="dashscope")
        assert outcome.code == 0, [r.reason for r in outcome]
        [result] = outcome.results
        assert result.video is not None
        video = probe_video(result.video)
        assert video.size == size and round(video.duration) == 3
        stats = emu.stats()
        assert stats["uploads"] == 3  # the first frame, the image and the voice
        assert len(emu.tasks()) == 1
    sidecar = json.loads(result.video.with_suffix(".json").read_text("utf-8"))
    assert sidecar["checks"]["size"] == {"expected": size, "actual": size, "ok": True}
    media = sidecar["request"]["input"]["media"]  # the body as sent, after the uploads
    assert [m["type"] for m in media] == ["first_frame", "reference_image"]
    assert all(m["url"].startswith("oss://") for m in media)
    assert media[1]["reference_voice"].startswith("oss://")
    assert sidecar["request"]["parameters"] == {"resolution": "720P", "duration": 3}
