"""The 2.7 protocol: `input.media` items, resolution × ratio, voices, first frames, usage."""

from __future__ import annotations

import copy
import json
import wave
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from shotscript.emulator.media import make_mp4
from shotscript.facts.capabilities import capabilities
from tests.emulator.emulator_helpers import create, created_id, wait_for
from tests.emulator.test_emulator_downloads import probe
from tests.emulator.test_emulator_uploads import RESOLVE, uploaded
from tests.emulator_process import Emulator

SEEDS = Path(__file__).resolve().parents[1] / "golden" / "seed-payloads-wan27"
MODEL = "wan2.7-r2v"
PROTOCOL = capabilities().protocol_of(MODEL)


def seed27(name: str = "multi-subject-voice") -> dict[str, Any]:
    """One of the official wan2.7 request bodies."""
    return json.loads((SEEDS / f"{name}.json").read_text("utf-8"))  # type: ignore[no-any-return]


def image_body(n: int = 1, **params: Any) -> dict[str, Any]:
    """A small 2.7 body with `n` reference images."""
    media = [{"type": "reference_image", "url": f"https://example.com/r{i}.png"} for i in range(n)]
    return {"model": MODEL, "input": {"prompt": "图1在跳舞", "media": media}, "parameters": params}


def succeeded(api: httpx.Client, body: dict[str, Any], **headers: str) -> dict[str, Any]:
    answer = wait_for(api, created_id(api, body, **headers))
    assert answer["output"]["task_status"] == "SUCCEEDED", answer
    return answer


def error_of(response: httpx.Response) -> tuple[int, str, str]:
    body = response.json()
    assert set(body) == {"code", "message", "request_id"}, body
    return response.status_code, body["code"], body["message"]


def test_official_bodies_run_to_succeeded_with_2_7_usage(api: httpx.Client) -> None:
    voices = succeeded(api, seed27("multi-subject-voice"))
    # 1 reference video among 5 references: 2.7 divides the 5 s by the videos only (2.6: 1 s)
    assert voices["usage"] == {
        "duration": 15.0,
        "input_video_duration": 5.0,
        "output_video_duration": 10,
        "ratio": "16:9",
        "SR": 720,
        "video_count": 1,
    }
    assert voices["output"]["orig_prompt"] == seed27()["input"]["prompt"]  # the trailing space kept
    frame = succeeded(api, seed27("first-frame-en"))
    assert frame["usage"]["input_video_duration"] == 0.0 and frame["usage"]["ratio"] == "16:9"
    assert "size" not in frame["usage"]


@pytest.mark.parametrize(("resolution", "ratio"), [("720P", "4:3"), ("1080P", "3:4"), ("720P", "9:16")])
def test_the_mp4_has_the_size_of_the_resolution_and_ratio(
    api: httpx.Client, tmp_path: Path, resolution: str, ratio: str
) -> None:
    answer = succeeded(api, image_body(resolution=resolution, ratio=ratio, duration=2))
    path = tmp_path / "out.mp4"
    path.write_bytes(httpx.get(answer["output"]["video_url"]).content)
    info = probe(path)
    assert info["size"] == PROTOCOL.size_of(resolution, ratio)  # e.g. 1104*832, not 2.6's 1088*832
    assert info["seconds"] == 2 and info["audio"] == ["aac"]  # 2.7 always has sound
    assert answer["usage"]["ratio"] == ratio and answer["usage"]["SR"] == int(resolution[:-1])


def test_defaults_are_1080p_16_9_five_seconds(api: httpx.Client) -> None:
    answer = succeeded(api, image_body())
    assert answer["usage"] == {
        "duration": 5.0,
        "input_video_duration": 0.0,
        "output_video_duration": 5,
        "ratio": "16:9",
        "SR": 1080,
        "video_count": 1,
    }


def video(url: str = "https://example.com/v.mp4") -> dict[str, str]:
    return {"type": "reference_video", "url": url}


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(body: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target = body
        for name in parents:
            target = target[int(name)] if isinstance(target, list) else target[name]
        if value is KeyError:
            del target[last]
        elif isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value

    return change


def _media(*items: Any) -> Callable[[dict[str, Any]], None]:
    return _set("input.media", list(items))


IMG = {"type": "reference_image", "url": "https://example.com/a.png"}
FRAME = {"type": "first_frame", "url": "https://example.com/f.png"}

REFUSED = [
    ("no media", _set("input.media", KeyError), 400, "InvalidParameter", "input.media"),
    ("2.6 references only", lambda b: b["input"].update(reference_urls=["https://e.com/a.png"], media=None)
     or b["input"].pop("media"), 400, "InvalidParameter", "legacy"),
    ("empty media", _media(), 400, "InvalidParameter", "input.media"),
    ("media not a list", _set("input.media", "https://e.com/a.png"), 400, "InvalidParameter", "input.media"),
    ("item not an object", _media("https://e.com/a.png"), 400, "InvalidParameter", "media[0]"),
    ("unknown type", _media({"type": "last_frame", "url": "https://e.com/a.png"}), 400, "InvalidParameter",
     "type"),
    ("no url", _media({"type": "reference_image"}), 400, "InvalidParameter", "media[0].url"),
    ("first frame only", _media(FRAME), 400, "InvalidParameter", "1 to 5"),
    ("six images", _media(*[IMG] * 6), 400, "InvalidParameter", "1 to 5"),
    ("six references", _media(*[IMG] * 3, *[video()] * 3), 400, "InvalidParameter", "1 to 5"),
    ("two first frames", _media(IMG, FRAME, FRAME), 400, "InvalidParameter", "first_frame"),
    ("bad resolution", _set("parameters.resolution", "4K"), 400, "InvalidParameter",
     "Invalid parameter: resolution"),
    ("bad ratio", _set("parameters.ratio", "21:9"), 400, "InvalidParameter", "Invalid parameter: ratio"),
    ("16 seconds", _set("parameters.duration", 16), 400, "InvalidParameter", "duration"),
    ("11 seconds with a video", lambda b: (_media(IMG, video())(b), b["parameters"].update(duration=11)),
     400, "InvalidParameter", "with a reference video"),
    ("no prompt", _set("input.prompt", KeyError), 400, "InvalidParameter", "input.prompt"),
    ("prompt_extend not a bool", _set("parameters.prompt_extend", "yes"), 400, "InvalidParameter",
     "prompt_extend"),
    ("data: URI for a video", _media({"type": "reference_video", "url": "data:video/mp4;base64,AAAA"}), 400,
     "InvalidURL", ""),
    ("ftp reference", _media({"type": "reference_image", "url": "ftp://e.com/a.png"}), 400, "InvalidURL", ""),
    ("a video named as an image", _media({"type": "reference_image", "url": "https://e.com/a.mp4"}), 415,
     "BadRequest.UnsupportedFileFormat", "image"),
    ("a voice that is no audio", _media({**IMG, "reference_voice": "https://e.com/v.txt"}), 415,
     "BadRequest.UnsupportedFileFormat", "audio"),
    ("oss without the header", _media({**IMG, "url": "oss://dashscope-instant/x/a.png"}), 400,
     "InvalidParameter", "X-DashScope-OssResourceResolve"),
    ("an unknown model", _set("model", "wan2.7-r2v-flash"), 404, "ModelNotFound", ""),
]  # fmt: skip


@pytest.mark.parametrize(
    ("change", "status", "code", "said"), [r[1:] for r in REFUSED], ids=[r[0] for r in REFUSED]
)
def test_what_the_service_refuses_at_creation(
    api: httpx.Client, emulator: Emulator, change: Callable[[dict[str, Any]], None], status: int, code: str,
    said: str,
) -> None:  # fmt: skip
    body = image_body(resolution="720P", ratio="16:9", duration=5)
    change(body)
    response = create(api, body)
    got_status, got_code, message = error_of(response)
    assert (got_status, got_code) == (status, code), message
    assert said.lower() in message.lower() or (said == "legacy" and "wan2.6" in message), message
    assert emulator.stats()["creates"] == 0


ACCEPTED = [
    ("15 s without a video", _set("parameters.duration", 15)),
    ("10 s with a video", lambda b: (_media(IMG, video())(b), b["parameters"].update(duration=10))),
    ("five videos", _media(*[video()] * 5)),
    ("five references and a first frame", _media(FRAME, *[IMG] * 4, video())),
    ("a data: URI image", _media({"type": "reference_image", "url": "data:image/png;base64,iVBORw0KGgo="})),
    ("a URL without extension", _media({"type": "reference_video", "url": "https://e.com/clip?id=3"})),
    ("a voice on a first frame (unused)", _media(IMG, {**FRAME, "reference_voice": "https://e.com/v.wav"})),
    ("SDK extras", lambda b: b["input"].update(extend_prompt=True, function="video-synthesis")),
]


@pytest.mark.parametrize("change", [a[1] for a in ACCEPTED], ids=[a[0] for a in ACCEPTED])
def test_edges_the_service_accepts(api: httpx.Client, change: Callable[[dict[str, Any]], None]) -> None:
    body = image_body(duration=5)
    change(body)
    assert create(api, body).status_code == 200, create(api, body).text


def test_long_prompts_are_cut_at_5000_characters(api: httpx.Client) -> None:
    body = image_body(duration=2)
    body["input"]["prompt"] = "图1" + "跳" * 6000
    answer = succeeded(api, body)
    assert len(answer["output"]["orig_prompt"]) == PROTOCOL.limit("prompt_chars") == 5000


def test_2_6_fields_are_ignored_by_default_or_refused(api: httpx.Client, emulator: Emulator) -> None:
    body = image_body(resolution="720P", ratio="1:1", duration=2)
    body["parameters"].update(size="1920*1080", shot_type="multi", audio=True)
    answer = succeeded(api, body)
    assert answer["usage"]["ratio"] == "1:1" and answer["usage"]["SR"] == 720  # size had no say
    emulator.reset(legacy_fields="refuse")
    status, code, message = error_of(create(api, body))
    assert (status, code) == (400, "InvalidParameter") and "parameters.size" in message
    emulator.reset(legacy_fields="ignore")


def test_2_6_requests_still_work_beside_2_7(api: httpx.Client) -> None:
    legacy = {"model": "wan2.6-r2v", "input": {"prompt": "character1 dances", "media": [IMG]}}
    status, code, message = error_of(create(api, legacy))  # a 2.6 model reads reference_urls only
    assert (status, code) == (400, "InvalidParameter") and "reference_urls" in message


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Local media: images 2.7 takes and 2.6 does not, voices, a short video."""
    folder = tmp_path_factory.mktemp("media27")
    Image.new("RGB", (6000, 800), (20, 90, 160)).save(folder / "wide.png")  # 2.7: ≤ 8000 px
    Image.new("RGB", (2000, 240), (20, 90, 160)).save(folder / "strip.png")  # aspect 8.3 > 8
    Image.new("RGB", (800, 600), (200, 90, 16)).save(folder / "frame43.png")
    for name, seconds in (("voice.wav", 2), ("long.wav", 12)):
        with wave.open(str(folder / name), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(8000)
            w.writeframes(b"\0\0" * 8000 * seconds)
    make_mp4(folder / "clip.mp4", 320, 240, 2, audio=False)
    return {p.name: p for p in folder.iterdir()}


def test_uploads_are_checked_with_the_2_7_limits(api: httpx.Client, files: dict[str, Path]) -> None:
    wide = uploaded(api, files["wide.png"], model=MODEL)
    voice = uploaded(api, files["voice.wav"], model=MODEL)
    body = image_body(duration=2)
    body["input"]["media"] = [{"type": "reference_image", "url": wide, "reference_voice": voice}]
    succeeded(api, body, **RESOLVE)
    for bad, item in (
        ("strip.png", lambda url: {"type": "reference_image", "url": url}),
        ("long.wav", lambda url: {"type": "reference_image", "url": wide, "reference_voice": url}),
    ):
        body["input"]["media"] = [item(uploaded(api, files[bad], model=MODEL))]
        answer = wait_for(api, created_id(api, body, **RESOLVE))
        assert answer["output"]["code"] == "InvalidParameter.DataInspection", (bad, answer)
    for_26 = copy.deepcopy(body)
    for_26["input"]["media"] = [{"type": "reference_image", "url": uploaded(api, files["wide.png"])}]
    answer = wait_for(api, created_id(api, for_26, **RESOLVE))  # uploaded for wan2.6-r2v-flash
    assert answer["output"]["code"] == "InvalidParameter.DataInspection"


def test_a_first_frame_sets_the_ratio(api: httpx.Client, files: dict[str, Path], tmp_path: Path) -> None:
    frame = uploaded(api, files["frame43.png"], model=MODEL)
    body = image_body(resolution="720P", ratio="16:9", duration=2)
    body["input"]["media"].insert(0, {"type": "first_frame", "url": frame})
    answer = succeeded(api, body, **RESOLVE)
    assert answer["usage"]["ratio"] == "4:3"  # the first frame's, not the 16:9 asked for
    path = tmp_path / "framed.mp4"
    path.write_bytes(httpx.get(answer["output"]["video_url"]).content)
    assert probe(path)["size"] == "1104*832"


def test_input_video_billing_divides_by_videos_only(api: httpx.Client, files: dict[str, Path]) -> None:
    clip = uploaded(api, files["clip.mp4"], model=MODEL)
    body = image_body(1, duration=2)
    body["input"]["media"] += [video(clip), video("https://example.com/v.mp4")]
    usage = succeeded(api, body, **RESOLVE)["usage"]
    # cap 5 / 2 videos = 2.5 s each (2.6 would be 5 / 3 references): the 2 s clip + 2.5 s unknown
    assert usage["input_video_duration"] == 4.5 and usage["duration"] == 6.5


def test_same_story_twice_is_a_duplicate_even_through_reuploads(
    api: httpx.Client, emulator: Emulator, files: dict[str, Path]
) -> None:
    def body_with(upload: str) -> dict[str, Any]:
        body = image_body(duration=2)
        body["input"]["media"] = [{"type": "reference_image", "url": upload, "reference_voice": voice}]
        return body

    voice = uploaded(api, files["voice.wav"], model=MODEL)
    created_id(api, body_with(uploaded(api, files["wide.png"], model=MODEL)), **RESOLVE)
    implicit = body_with(uploaded(api, files["wide.png"], model=MODEL))
    implicit["parameters"].update(resolution="1080P", ratio="16:9", prompt_extend=True)  # the defaults
    created_id(api, implicit, **RESOLVE)
    assert emulator.stats()["duplicate_creates"] == 1
