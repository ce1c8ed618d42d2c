"""The two emitters over one story: tables of sizes, labels and fields, uploads, --model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from shotscript.cli import cli
from shotscript.compiler.dialects import dialect
from shotscript.compiler.driver import check_text
from shotscript.compiler.payload import Payload
from shotscript.compiler.prompt import markers
from shotscript.compiler.sizing import nearest_ratio, nearest_size, settle
from shotscript.facts.capabilities import capabilities

CAST = "cast\n  a image https://e.com/a.png\n"


def compiled(story: str, name: str = "s.shot") -> Payload:
    result = check_text(story, name=name)
    assert result.payload is not None, [d.message for d in result.diagnostics]
    return result.payload


# (settings, model, parameters sent besides duration, output size)
SIZES = [
    ("", "wan2.6-r2v-flash", {}, "1920*1080"),
    ("", "wan2.7-r2v", {}, "1920*1080"),
    ("size 1280*720\n", "wan2.7-r2v", {"resolution": "720P", "ratio": "16:9"}, "1280*720"),
    ("size 832*1104\n", "wan2.7-r2v", {"resolution": "720P", "ratio": "3:4"}, "832*1104"),
    ("resolution 720P\n", "wan2.6-r2v-flash", {"size": "1280*720"}, "1280*720"),
    ("ratio 4:3\n", "wan2.6-r2v-flash", {"size": "1632*1248"}, "1632*1248"),
    ("resolution 720P\nratio 4:3\n", "wan2.6-r2v-flash", {"size": "1088*832"}, "1088*832"),
    ("resolution 720P\n", "wan2.7-r2v", {"resolution": "720P"}, "1280*720"),
    ("ratio 9:16\n", "wan2.7-r2v", {"ratio": "9:16"}, "1080*1920"),
    ("resolution 720P\nratio 4:3\n", "wan2.7-r2v", {"resolution": "720P", "ratio": "4:3"}, "1104*832"),
]


@pytest.mark.parametrize(("settings", "model", "sent", "output"), SIZES)
def test_size_spellings_map_through_the_target_table(settings: str, model: str, sent: dict[str, str],
                                                     output: str) -> None:
    payload = compiled(f"model {model}\n{settings}{CAST}prompt @a 走路。\n")
    params = {k: v for k, v in payload.parameters.items() if k != "duration"}
    assert params == sent
    assert payload.meta.size == output
    pair = capabilities().protocol_of(model).pair_of(output)
    assert pair is not None and payload.meta.tier == pair[0]


def test_settle_is_the_inverse_of_the_table() -> None:
    for p in capabilities().protocols.values():
        for resolution, by_ratio in p.sizes.items():
            for ratio, size in by_ratio.items():
                assert settle(size, None, None, p).output == size
                assert settle(None, resolution, ratio, p).size == size


def test_nearest_fixes() -> None:
    p27 = capabilities().protocols["2.7"]
    assert nearest_size("1088*832", p27.all_sizes()) == "1104*832"
    assert nearest_size("1920x1080", p27.all_sizes()) == "1920*1080"
    assert nearest_ratio("21:9", p27) == "16:9"
    assert nearest_ratio("2:3", p27) == "3:4"


def test_27_numbers_images_and_videos_separately_in_cast_order() -> None:
    kinds = [("v1", "video"), ("i1", "image"), ("v2", "video"), ("i2", "image")]
    assert dialect("2.7").roles(kinds, "zh") == {"v1": "视频1", "i1": "图1", "v2": "视频2", "i2": "图2"}
    assert dialect("2.7").roles(kinds, "en") == {"v1": "Video 1", "i1": "Image 1", "v2": "Video 2",
                                                 "i2": "Image 2"}
    assert dialect("2.6").roles(kinds, "en") == {"v1": "character1", "i1": "character2", "v2": "character3",
                                                 "i2": "character4"}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_27_markers_parse_back_to_the_layout(lang: str) -> None:
    payload = compiled(f"model wan2.7-r2v\nlang {lang}\n{CAST}shot 0-2s @a a\nshot 2-7s b\nshot 7-15s c\n")
    assert markers(lang, payload.input.prompt, "2.7") == [(1, 0, 2), (2, 2, 7), (3, 7, 15)]
    assert payload.parameters["duration"] == 15


def test_27_never_sends_shot_type_or_audio_and_always_duration() -> None:
    payload = compiled(f"model wan2.7-r2v\naudio on\nshot_type multi\n{CAST}shot 0-3s @a a\nshot 3-5s b\n")
    assert payload.parameters == {"duration": 5}
    assert payload.meta.audio is True


def test_negative_prompt_goes_in_input_for_both() -> None:
    for model in ("wan2.6-r2v-flash", "wan2.7-r2v"):
        payload = compiled(f"model {model}\nnegative_prompt 模糊\n{CAST}prompt @a 走路。\n")
        assert payload.body()["input"]["negative_prompt"] == "模糊"


def test_local_voices_and_first_frames_are_uploaded_and_replaced(tmp_path: Path) -> None:
    from PIL import Image

    from tests.make_media import tone

    Image.new("RGB", (300, 300), "red").save(tmp_path / "a.png")
    Image.new("RGB", (640, 360), "blue").save(tmp_path / "start.png")
    tone(tmp_path / "a.mp3", 2)
    story = tmp_path / "s.shot"
    story.write_text("model wan2.7-r2v\nfirst_frame start.png\ncast\n  a image a.png voice a.mp3\n"
                     "  b video https://e.com/b.mp4 voice https://e.com/b.wav\n"
                     "prompt @a @b 走路。\n", "utf-8")
    result = check_text(story.read_text("utf-8"), story, "s.shot")
    assert result.payload is not None, result.diagnostics
    payload = result.payload
    assert {r.name: r.kind for r in payload.local_references} == {
        "first frame": "image", "a": "image", "a voice": "audio"}
    assert not payload.needs_oss_resolve
    sent = payload.with_uploads({"first frame": "oss://x/start.png", "a": "oss://x/a.png",
                                 "a voice": "oss://x/a.mp3"})
    assert sent.body()["input"]["media"] == [
        {"type": "first_frame", "url": "oss://x/start.png"},
        {"type": "reference_image", "url": "oss://x/a.png", "reference_voice": "oss://x/a.mp3"},
        {"type": "reference_video", "url": "https://e.com/b.mp4", "reference_voice": "https://e.com/b.wav"},
    ]
    assert sent.needs_oss_resolve
    assert sent.input.prompt == payload.input.prompt == "图1 视频1 走路。"
    # only a voice uploaded is enough for the header
    voice_only = payload.with_uploads({"a voice": "oss://x/a.mp3"})
    assert voice_only.needs_oss_resolve


def test_26_uploads_keep_working() -> None:
    payload = compiled(f"{CAST}prompt @a 走路。\n")
    assert payload.body()["input"] == {"prompt": "character1 走路。", "reference_urls": ["https://e.com/a.png"]}
    assert not payload.needs_oss_resolve
    assert payload.with_uploads({"a": "oss://k"}).input.reference_urls == ("oss://k",)


def test_yaml_unquoted_ratio_is_the_ratio() -> None:
    payload = compiled("model: wan2.7-r2v\nratio: 9:16\ncast:\n  a: {image: https://e.com/a.png}\n"
                       "prompt: \"@a 走路。\"\n", "s.yaml")
    assert payload.parameters["ratio"] == "9:16"


def test_model_flag_wins_over_the_story_and_the_folder(tmp_path: Path) -> None:
    (tmp_path / "shotscript.toml").write_text('model = "wan2.6-r2v"\n', "utf-8")
    story = tmp_path / "s.shot"
    story.write_text(f"model wan2.6-r2v-flash\n{CAST}prompt @a 走路。\n", "utf-8")
    runner = CliRunner()
    out = runner.invoke(cli, ["compile", str(story), "--model", "wan2.7-r2v"])
    assert out.exit_code == 0, out.output
    body = json.loads(out.stdout)
    assert body["model"] == "wan2.7-r2v" and "media" in body["input"]
    plain = json.loads(runner.invoke(cli, ["compile", str(story)]).stdout)
    assert plain["model"] == "wan2.6-r2v-flash"
    bad = runner.invoke(cli, ["check", str(story), "--model", "wan2.7-r2"])
    # An unknown --model is a usage error (exit 2) naming the models, not E401 at 1:1 of the file.
    assert bad.exit_code == 2 and "E401" not in bad.output and "wan2.7-r2v" in bad.output


def test_model_flag_reaches_a_story_set_in_virginia(tmp_path: Path) -> None:
    story = tmp_path / "s.shot"
    story.write_text("model wan2.6-r2v\nregion virginia\nduration 5\ncast\n  a video https://e.com/a.mp4\n"
                     "prompt @a 走路。\n", "utf-8")
    result = CliRunner().invoke(cli, ["check", str(story), "--model", "wan2.7-r2v"])
    assert result.exit_code == 1
    assert "s.shot:2:8: error[E403]" in result.output and "`region beijing`" in result.output


def test_a_local_first_frame_sets_the_output_ratio_but_not_what_is_sent(tmp_path: Path) -> None:
    from PIL import Image

    Image.new("RGB", (720, 1280), "red").save(tmp_path / "tall.png")
    Image.new("RGB", (480, 640), "red").save(tmp_path / "a.png")
    story = tmp_path / "s.shot"
    story.write_text("model wan2.7-r2v\nresolution 1080P\nfirst_frame tall.png\ncast\n  a image a.png\n"
                     "prompt @a 走。\n", "utf-8")
    result = check_text(story.read_text("utf-8"), story, "s.shot")
    assert result.payload is not None
    assert (result.payload.meta.size, result.payload.meta.ratio) == ("1080*1920", "9:16")
    assert result.payload.parameters == {"resolution": "1080P", "duration": 5}
    assert capabilities().protocols["2.7"].ratio_nearest(4 / 3, "720P") == "4:3"
