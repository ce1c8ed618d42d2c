"""The sidecar document: pure parts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rt_helpers import TEST_KEY, make_payload

from shotscript.runtime.download import VideoProbe
from shotscript.runtime.sidecar import (
    build_sidecar,
    checks,
    sidecar_path,
    sidecar_text,
    spans,
    write_sidecar,
)

PROBE = VideoProbe(width=1280, height=720, fps=30.0, duration=5.0, codec="h264")


def document(**overrides: object) -> dict:
    args: dict = dict(
        story="s",
        sent=make_payload(),
        task_id="t-1",
        output={"end_time": "2026-02-01 12:00:00.000", "video_url": "https://signed?token=x"},
        usage={"duration": 5.0},
        request_ids=[{"operation": "create", "request_id": "r"}],
        requests=[{"operation": "poll", "status": 200, "request_id": "p"}],
        timings={
            "started": 10.0,
            "submitting": 11.0,
            "submitted": 11.5,
            "succeeded": 70.0,
            "downloaded": 71.0,
        },
        polls=9,
        probe=PROBE,
        video_path=Path("/x/s.mp4"),
        video_bytes=1234,
        resumes=0,
        base_url="http://127.0.0.1:1/api/v1",
    )
    args.update(overrides)
    return build_sidecar(**args)


def test_sidecar_fields() -> None:
    doc = document()
    assert doc["task_id"] == "t-1" and doc["video"] == "s.mp4"
    assert doc["prompt"] == make_payload().input.prompt
    assert doc["service_times"] == {"end_time": "2026-02-01 12:00:00.000"}
    assert doc["seconds"] == {"create": 0.5, "generate": 58.5, "completion_to_disk": 1.0, "total": 61.0}
    assert doc["output"]["width"] == 1280 and doc["polls"] == 9
    assert "signed" not in json.dumps(doc)  # the signed result URL is not kept


def test_spans_skip_what_did_not_happen() -> None:
    assert spans({"started": 1.0}) == {}
    assert spans({"uploading": 1.0, "submitting": 3.5}) == {"upload": 2.5}


@pytest.mark.parametrize(
    ("probe", "failing"),
    [
        (PROBE, set()),
        (VideoProbe(1920, 1080, 30.0, 5.0, "h264"), {"size"}),
        (VideoProbe(1280, 720, 24.0, 5.04, "h264"), {"fps"}),
        (VideoProbe(1280, 720, 30.0, 4.5, "h264"), {"duration"}),
    ],
)
def test_checks_against_the_story(probe: VideoProbe, failing: set[str]) -> None:
    got = checks(make_payload(), probe)
    assert {k for k, v in got.items() if not v["ok"]} == failing


def test_the_key_cannot_be_written(tmp_path: Path) -> None:
    # The guard never crashes a run (the video is paid for): it blanks the key out.
    doc = document(usage={"note": f"echo {TEST_KEY}"})
    assert TEST_KEY not in sidecar_text(doc, secret=TEST_KEY)
    write_sidecar(tmp_path / "s.json", doc, secret=TEST_KEY)
    written = (tmp_path / "s.json").read_text("utf-8")
    assert TEST_KEY not in written and json.loads(written)["usage"]["note"] == "echo ***"


def test_sidecar_is_written_beside_the_video(tmp_path: Path) -> None:
    path = sidecar_path(tmp_path / "s.mp4")
    write_sidecar(path, document(), secret=TEST_KEY)
    assert path.name == "s.json" and json.loads(path.read_text("utf-8"))["task_id"] == "t-1"
    assert path.stat().st_mode & 0o777 == 0o644
