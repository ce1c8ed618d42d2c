"""The facts package: the bottom stage, its data tables and the billing rule."""

from __future__ import annotations

import ast

import pytest

from shotscript.facts.billing import billed_input_seconds, input_video_cap
from shotscript.facts.capabilities import capabilities
from shotscript.facts.errors import error_code
from shotscript.facts.prices import price, region_prices
from shotscript.facts.service import is_upload_url, lifetimes, output_fps, quotas
from tests.conftest import ROOT

FACTS = ROOT / "shotscript" / "facts"


def test_facts_import_no_other_stage() -> None:
    for path in FACTS.glob("*.py"):
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("shotscript"):
                assert node.module.startswith("shotscript.facts"), (path.name, node.module)
            if isinstance(node, ast.Import):
                assert not any(a.name.startswith("shotscript") and not a.name.startswith("shotscript.facts")
                               for a in node.names), path.name


@pytest.mark.parametrize(
    ("model", "protocol"),
    [("wan2.6-r2v-flash", "2.6"), ("wan2.6-r2v", "2.6"), ("wan2.7-r2v", "2.7"),
     ("wan2.7-r2v-2026-06-12", "2.7")],
)
def test_models_map_to_protocols(model: str, protocol: str) -> None:
    assert capabilities().models[model].protocol == protocol


def test_regions_of_wan27() -> None:
    caps = capabilities()
    assert [r for r, reg in caps.regions.items() if "wan2.7-r2v" in reg.models] == ["beijing", "singapore"]


@pytest.mark.parametrize(
    ("resolution", "ratio", "size27", "size26"),
    [("720P", "16:9", "1280*720", "1280*720"), ("720P", "4:3", "1104*832", "1088*832"),
     ("1080P", "3:4", "1248*1648", "1248*1632"), ("1080P", "1:1", "1440*1440", "1440*1440")],
)
def test_size_tables(resolution: str, ratio: str, size27: str, size26: str) -> None:
    caps = capabilities()
    assert caps.protocols["2.7"].size_of(resolution, ratio) == size27
    assert caps.protocols["2.6"].size_of(resolution, ratio) == size26
    assert caps.protocols["2.7"].pair_of(size27) == (resolution, ratio)


def test_durations_per_target() -> None:
    caps = capabilities()
    assert caps.durations("wan2.7-r2v", "beijing") == tuple(range(2, 16))
    assert caps.durations("wan2.7-r2v", "singapore", videos=True) == tuple(range(2, 11))
    assert caps.durations("wan2.6-r2v", "virginia") == (5, 10)
    assert caps.durations("wan2.6-r2v-flash", "beijing") == tuple(range(2, 11))


def test_media_limits_per_protocol() -> None:
    p26, p27 = capabilities().protocols["2.6"], capabilities().protocols["2.7"]
    assert (p26.media["image"].max_side, p27.media["image"].max_side) == (5000, 8000)
    assert p27.media["image"].max_bytes == 20 * 1024 * 1024
    assert p27.media["video"].max_side == 4096
    voice = p27.media["audio"]
    assert (voice.extensions, voice.min_seconds, voice.max_seconds) == (("wav", "mp3"), 1, 10)
    assert voice.max_bytes == 15 * 1024 * 1024
    assert "audio" not in p26.media


# (reference videos, images, cap per video under 2.6, under 2.7) — wan27-r2v-api.md "Billing"
@pytest.mark.parametrize(
    ("videos", "images", "cap26", "cap27"),
    [(1, 0, 5.0, 5.0), (2, 1, 5 / 3, 2.5), (3, 0, 5 / 3, 5 / 3), (4, 1, 1.0, 1.25), (5, 0, 1.0, 1.0)],
)
def test_input_video_cap(videos: int, images: int, cap26: float, cap27: float) -> None:
    protocols = capabilities().protocols
    assert input_video_cap(protocols["2.6"], videos, images) == pytest.approx(cap26)
    assert input_video_cap(protocols["2.7"], videos, images) == pytest.approx(cap27)


def test_billed_input_seconds_counts_unknown_lengths_at_the_cap() -> None:
    p27 = capabilities().protocols["2.7"]
    assert billed_input_seconds([None, 1.0], 3, p27) == pytest.approx(3.5)
    assert billed_input_seconds([], 3, p27) == 0


@pytest.mark.parametrize(
    ("code", "http", "retry"),
    [("InvalidParameter", 400, "no"), ("BadRequest.InputDownloadFailed", 415, "no"),
     ("BadRequest.Whatever", 400, "no"), ("InternalError.Algo", 500, "yes"),
     ("Throttling.AllocationQuota", 429, "pause"), ("Throttling.RateQuota", 429, "yes")],
)
def test_error_codes(code: str, http: int, retry: str) -> None:
    found = error_code(code)
    assert found is not None and (found.http, found.retry) == (http, retry)
    assert error_code("NoSuchCode") is None


def test_prices_by_region() -> None:
    assert price("wan2.7-r2v", "beijing", "720P") == 0.6
    assert price("wan2.7-r2v", "singapore", "1080P") == 1.100886
    assert price("wan2.6-r2v-flash", "beijing", "1080P", audio=False) == 0.25
    assert price("wan2.6-r2v", "singapore", "720P") is None  # not found: unknown, not guessed
    assert price("wan2.7-r2v", "mars", "720P") is None
    beijing = region_prices("beijing")
    assert beijing is not None and beijing.source and beijing.date


def test_service_facts() -> None:
    assert output_fps() == 30
    assert (quotas().concurrency, quotas().create_rps, quotas().poll_rps) == (5, 5.0, 20.0)
    assert is_upload_url("oss://dashscope-instant/x.png") and not is_upload_url("https://x/y.png")
    # "Task ids live 24 hours", `video_url` "valid 24 hours", an upload "lives 48 hours".
    life = lifetimes()
    assert (life.task_seconds, life.result_url_seconds, life.upload_seconds) == (86400, 86400, 172800)


def test_story_prices_per_region() -> None:
    import shotscript
    from shotscript.media.billing import payload_input_seconds, payload_prices
    from tests.conftest import STORIES

    p27 = shotscript.load(STORIES / "wan27" / "official" / "multi-subject-voice.yaml").compile()
    assert payload_prices(p27) == {"beijing": 0.6, "singapore": 0.733924}
    # one reference video among five references: 5 s cap under 2.7 (2.6 would cap it at 1 s)
    assert payload_input_seconds(p27, [None]) == 5.0
    p26 = shotscript.load(STORIES / "seed" / "multi-character.shot").compile()
    assert payload_prices(p26) == {"beijing": 0.3, "singapore": None}  # flash, 720P, with sound
    assert payload_input_seconds(p26, [None, None]) == 2.5
