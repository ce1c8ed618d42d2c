"""wan2.7 goldens: stories compile to the official 2.7 request bodies, and the spec's Targets
examples work as written."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from PIL import Image

import shotscript
from shotscript.media.check import check_file, check_text
from tests.conftest import GOLDEN, ROOT, SHARED, STORIES
from tests.make_media import tone

OFFICIAL = STORIES / "wan27" / "official"


def reference(name: str) -> Path:
    """The official body: from ../shared when present (the source of truth), else our copy."""
    shared = SHARED / "reference" / "seed-payloads-wan27" / name
    return shared if shared.exists() else GOLDEN / "seed-payloads-wan27" / name


def golden(name: str) -> dict:  # type: ignore[type-arg]
    return json.loads(reference(f"{name}.json").read_text("utf-8"))


@pytest.mark.parametrize("suffix", [".shot", ".yaml"])
def test_first_frame_story_compiles_to_the_official_body(suffix: str) -> None:
    payload = shotscript.load(OFFICIAL / f"first-frame-en{suffix}").compile()
    want = golden("first-frame-en")
    assert payload.body() == want
    assert payload.input.prompt == want["input"]["prompt"]  # byte for byte
    assert payload.input.media is not None and payload.input.media[0].type == "first_frame"


def test_multi_subject_voice_yaml_compiles_to_the_official_body_byte_for_byte() -> None:
    payload = shotscript.load(OFFICIAL / "multi-subject-voice.yaml").compile()
    want = golden("multi-subject-voice")
    assert payload.body() == want
    assert payload.input.prompt == want["input"]["prompt"]
    assert payload.to_json() == json.dumps(want, ensure_ascii=False, indent=2)  # key order too


def test_multi_subject_voice_shot_differs_only_by_the_trailing_space() -> None:
    # Only YAML can express the official prompt's trailing space ("。 "): a .shot text line
    # ends at its last visible character. Everything else is equal.
    payload = shotscript.load(OFFICIAL / "multi-subject-voice.shot").compile()
    want = golden("multi-subject-voice")
    assert want["input"]["prompt"].endswith("。 ")
    want["input"]["prompt"] = want["input"]["prompt"].removesuffix(" ")
    assert payload.body() == want


@pytest.mark.parametrize("name", ["multi-subject-voice", "first-frame-en"])
def test_both_spellings_give_the_same_ast_up_to_the_trailing_space(name: str) -> None:
    dsl = shotscript.load(OFFICIAL / f"{name}.shot").to_dict()
    yaml = shotscript.load(OFFICIAL / f"{name}.yaml").to_dict()
    if name == "multi-subject-voice":
        segments = yaml["prompt"]["segments"]
        segments[-1]["text"] = segments[-1]["text"].removesuffix(" ")
    assert dsl == yaml


def test_the_official_bodies_retarget_to_26_with_every_difference_named() -> None:
    result = check_file(OFFICIAL / "multi-subject-voice.yaml", model="wan2.6-r2v-flash")
    codes = sorted(d.code for d in result.diagnostics if d.severity == "error")
    # two voices and prompt_extend: 2.6 has none of them
    assert codes == ["E501", "E501", "E501"]
    assert all("wan2.7-r2v" in d.message for d in result.diagnostics if d.code == "E501")


def _targets_blocks() -> list[tuple[str, str]]:
    spec = (ROOT / "docs" / "reference" / "language-spec.md").read_text("utf-8")
    section = spec[spec.index("## Targets"):]
    return [("yaml" if lang == "yaml" else "shot", body)
            for lang, body in re.findall(r"```(\w*)\n(.*?)```", section, flags=re.S)]


def _spec_refs(folder: Path) -> None:
    refs = folder / "refs"
    refs.mkdir()
    Image.new("RGB", (640, 360), "#334455").save(refs / "start.png")
    Image.new("RGB", (480, 640), "#aa5533").save(refs / "girl.jpg")
    tone(refs / "girl-voice.mp3", 2)


@pytest.mark.parametrize("spelling", ["shot", "yaml"])
def test_targets_examples_are_understood_as_written(spelling: str, tmp_path: Path) -> None:
    # The spec's Targets blocks show settings and cast only; as written they are a story
    # without text (E107, and W501 for each member), with a first frame beside a ratio
    # (W507) — nothing else: the end-of-line comments, voices and files are all understood.
    text = dict(_targets_blocks())[spelling]
    _spec_refs(tmp_path)
    name = f"targets.{spelling}"
    result = check_text(text, tmp_path / name, name)
    assert sorted(d.code for d in result.diagnostics) == ["E107", "W501", "W501", "W507"]
    # With one line of text added they compile to the 2.7 body the section describes.
    line = "@girl 和 @boy 走进画面。"
    extra = f"prompt {line}\n" if spelling == "shot" else f'prompt: "{line}"\n'
    (tmp_path / name).write_text(text + extra, "utf-8")
    payload = shotscript.load(tmp_path / name).compile()
    media = [m.body() for m in payload.input.media or ()]
    assert [m["type"] for m in media] == ["first_frame", "reference_image", "reference_video"]
    assert media[1]["reference_voice"] == "refs/girl-voice.mp3"
    assert media[2]["reference_voice"] == "https://example.com/boy.wav"
    assert payload.parameters == {"resolution": "720P", "ratio": "16:9", "duration": 5,
                                  "prompt_extend": False}
    assert payload.input.prompt == "图1 和 视频1 走进画面。"
    assert {r.name for r in payload.local_references} == {"first frame", "girl", "girl voice"}


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("zh", "夜晚的街道。镜头 1 [0-3s]: 图1走进画面。镜头 2 [3-5s]: 视频1转身。"),
     ("en", "A night street. Scene 1 [0-3s]: Image 1 walks in. Scene 2 [3-5s]: Video 1 turns.")],
)
def test_the_normative_27_prompts(lang: str, expected: str) -> None:
    texts = {"zh": ("夜晚的街道。", "@girl走进画面。", "@boy转身。"),
             "en": ("A night street.", "@girl walks in.", "@boy turns.")}[lang]
    story = (f"model wan2.7-r2v\nlang {lang}\ncast\n  girl image https://e.com/g.png\n"
             f"  boy video https://e.com/b.mp4\nintro {texts[0]}\n"
             f"shot 0-3s {texts[1]}\nshot 3-5s {texts[2]}\n")
    result = check_text(story, name="s.shot")
    assert result.payload is not None, result.diagnostics
    assert result.payload.input.prompt == expected


def test_shipped_official_stories_need_no_network(tmp_path: Path) -> None:
    # Copied elsewhere (no refs folder), they still compile: every reference is a URL.
    for p in OFFICIAL.iterdir():
        shutil.copy(p, tmp_path / p.name)
        assert shotscript.load(tmp_path / p.name).compile().local_references == ()
