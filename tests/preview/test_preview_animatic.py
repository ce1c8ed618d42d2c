"""The animatic of each seed story, probed: size, rate, length, sound, and cuts where the story says."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import av
import pytest
from PIL import Image, ImageChops, ImageStat

from shotscript.compiler.payload import Payload
from shotscript.media.probe import probe
from shotscript.preview import AnimaticResult, render_animatic
from shotscript.preview import animatic as animatic_module
from shotscript.preview.fonts import latin_fonts
from shotscript.preview.layout import layout_for

SEEDS = ("smartwatch", "silent-dance", "multi-character", "pet")


@dataclass
class Decoded:
    """What decoding a rendered animatic showed."""

    result: AnimaticResult
    width: int
    height: int
    rate: float
    frames: int
    video_seconds: float
    audio_seconds: float | None
    samples: dict[int, Image.Image]  # frame index -> picture, for the frames a test needs
    keyframes: set[int]  # frame indices of the keyframes


def _frames_to_sample(payload: Payload) -> set[int]:
    """Middle of each shot, and the last frame before / first frame of each cut."""
    wanted = {0, payload.duration * 30 - 1}
    for shot in payload.meta.shots:
        wanted |= {(shot.start + shot.end) * 15, shot.start * 30, max(shot.start * 30 - 1, 0)}
        wanted.add(shot.end * 30 - 2)
    return wanted


@pytest.fixture(scope="module")
def rendered(seeds: dict[str, Payload], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Decoded]:
    """Each seed rendered once and decoded once (the slow part, shared by the tests)."""
    out_dir = tmp_path_factory.mktemp("animatics")
    decoded = {}
    for name in SEEDS:
        payload = seeds[name]
        result = render_animatic(payload, out_dir / f"{name}.mp4")
        wanted = _frames_to_sample(payload)
        with av.open(str(result.path)) as container:
            stream = container.streams.video[0]
            audio = container.streams.audio
            keyframes = {
                round(p.pts * stream.time_base * 30)
                for p in container.demux(stream)
                if p.is_keyframe and p.pts is not None
            }
            container.seek(0)
            samples = {}
            count = 0
            for i, frame in enumerate(container.decode(stream)):
                count += 1
                if i in wanted:
                    samples[i] = frame.to_image()
            decoded[name] = Decoded(
                result=result,
                width=stream.width,
                height=stream.height,
                rate=float(stream.average_rate),
                frames=count,
                video_seconds=float(stream.duration * stream.time_base),
                audio_seconds=float(audio[0].duration * audio[0].time_base) if audio else None,
                samples=samples,
                keyframes=keyframes,
            )
    return decoded


def _difference(a: Image.Image, b: Image.Image, box: tuple[int, int, int, int] | None = None) -> float:
    """Mean absolute pixel difference (0–255) of two frames, optionally within a box."""
    if box:
        a, b = a.crop(box), b.crop(box)
    return sum(ImageStat.Stat(ImageChops.difference(a, b)).mean) / 3


@pytest.mark.parametrize("name", SEEDS)
def test_size_rate_and_length_are_the_story_s(
    name: str, seeds: dict[str, Payload], rendered: dict[str, Decoded]
) -> None:
    payload, got = seeds[name], rendered[name]
    width, height = (int(v) for v in payload.meta.size.split("*"))
    assert (got.width, got.height) == (width, height)
    assert got.rate == 30
    assert got.frames == payload.duration * 30 == got.result.frames
    assert abs(got.video_seconds - payload.duration) < 1 / 30


@pytest.mark.parametrize("name", SEEDS)
def test_sound_exactly_when_the_story_has_sound(
    name: str, seeds: dict[str, Payload], rendered: dict[str, Decoded]
) -> None:
    payload, got = seeds[name], rendered[name]
    assert (got.audio_seconds is not None) is payload.meta.audio
    if got.audio_seconds is not None:
        assert abs(got.audio_seconds - payload.duration) < 1 / 30


@pytest.mark.parametrize("name", SEEDS)
def test_each_shot_looks_different_from_the_one_before(
    name: str, seeds: dict[str, Payload], rendered: dict[str, Decoded]
) -> None:
    shots = seeds[name].meta.shots
    middles = [rendered[name].samples[(s.start + s.end) * 15] for s in shots]
    for before, after in itertools.pairwise(middles):
        assert _difference(before, after) > 1.0


@pytest.mark.parametrize("name", SEEDS)
def test_cuts_fall_where_the_story_says(
    name: str, seeds: dict[str, Payload], rendered: dict[str, Decoded]
) -> None:
    payload, samples = seeds[name], rendered[name].samples
    width, height = (int(v) for v in payload.meta.size.split("*"))
    above_timeline = (0, 0, width, layout_for(width, height).strip[0])
    shots = payload.meta.shots
    for shot in shots:
        middle = samples[(shot.start + shot.end) * 15]
        # First and last frames of the shot show its card (only the playhead band moves) ...
        assert _difference(samples[shot.start * 30], middle, above_timeline) < 0.5
        assert _difference(samples[shot.end * 30 - 2], middle, above_timeline) < 0.5
    for before, after in itertools.pairwise(shots):
        # ... and the frame just before a cut still shows the shot before it.
        last = samples[after.start * 30 - 1]
        assert _difference(last, samples[(before.start + before.end) * 15], above_timeline) < 0.5
        assert _difference(last, samples[after.start * 30], above_timeline) > 1.0


@pytest.mark.parametrize("name", SEEDS)
def test_keyframes_exactly_at_cuts(
    name: str, seeds: dict[str, Payload], rendered: dict[str, Decoded]
) -> None:
    assert rendered[name].keyframes == {s.start * 30 for s in seeds[name].meta.shots}


def test_playhead_moves_within_a_shot(seeds: dict[str, Payload], rendered: dict[str, Decoded]) -> None:
    payload = seeds["pet"]
    samples = rendered["pet"].samples
    lay = layout_for(1920, 1080)
    band = (0, lay.strip[0], 1920, lay.strip[1])
    shot = payload.meta.shots[0]
    assert _difference(samples[shot.start * 30], samples[(shot.start + shot.end) * 15], band) > 1.0


def test_the_result_probes_as_the_service_would_see_it(rendered: dict[str, Decoded]) -> None:
    info = probe(rendered["pet"].result.path)
    assert (info.kind, info.container, info.codec) == ("video", "mp4", "h264")
    assert (info.width, info.height, info.fps, info.mode) == (1920, 1080, 30.0, "yuv420p")


def test_result_reports_the_font(rendered: dict[str, Decoded]) -> None:
    result = rendered["smartwatch"].result
    assert result.font
    assert result.text_omitted is not result.cjk_font


def test_portrait_size_with_local_thumbnails(tmp_path: Path, local_refs: Payload) -> None:
    out = tmp_path / "portrait.mp4"
    result = render_animatic(local_refs, out)
    assert result.missing_thumbnails == ()
    with av.open(str(out)) as container:
        stream = container.streams.video[0]
        assert (stream.width, stream.height) == (720, 1280)
        frame = next(container.decode(stream)).to_image()
    lay = layout_for(720, 1280)
    colours = {c for _, c in frame.crop(lay.thumbs).getcolors(1 << 20) or []}
    assert any(r > 150 and g < 90 and b < 90 for r, g, b in colours), "red image thumbnail"
    assert any(g > 150 and r < 90 and b < 100 for r, g, b in colours), "green video frame"


def test_writes_atomically(
    tmp_path: Path, seeds: dict[str, Payload], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "story.mp4"
    out.write_bytes(b"previous render")

    def broken(*args: object, **kwargs: object) -> None:
        path = args[3]
        assert isinstance(path, Path)
        path.write_bytes(b"half a file")
        raise RuntimeError("encoder died")

    monkeypatch.setattr(animatic_module, "_encode", broken)
    with pytest.raises(RuntimeError):
        render_animatic(seeds["silent-dance"], out)
    assert out.read_bytes() == b"previous render"
    assert [p.name for p in tmp_path.iterdir()] == ["story.mp4"]


def test_missing_local_reference_still_renders(tmp_path: Path, local_refs: Payload) -> None:
    refs = tuple(r.model_copy(update={"path": tmp_path / "gone.png"}) for r in local_refs.meta.references)
    payload = local_refs.model_copy(update={"meta": local_refs.meta.model_copy(update={"references": refs})})
    result = render_animatic(payload, tmp_path / "out.mp4")
    assert set(result.missing_thumbnails) == {"anna", "rex"}
    assert result.path.stat().st_size > 0


def test_renders_without_a_cjk_font(tmp_path: Path, seeds: dict[str, Payload]) -> None:
    result = render_animatic(seeds["silent-dance"], tmp_path / "latin.mp4", fonts=latin_fonts())
    assert not result.cjk_font and result.text_omitted
    assert probe(result.path).duration == 5.0


def test_sound_is_quiet_with_a_tone_at_each_cut(
    seeds: dict[str, Payload], rendered: dict[str, Decoded]
) -> None:
    from array import array

    peaks: dict[int, float] = {}  # tenth of a second -> peak level
    with av.open(str(rendered["smartwatch"].result.path)) as container:
        stream = container.streams.audio[0]
        for frame in container.decode(stream):
            samples = array("f", bytes(frame.planes[0])[: frame.samples * 4])
            start = float(frame.pts * stream.time_base)
            for i in range(0, len(samples), 480):
                tenth = round((start + i / frame.sample_rate) * 10)
                level = max(abs(v) for v in samples[i : i + 480])
                peaks[tenth] = max(peaks.get(tenth, 0.0), level)
    cuts = {s.start * 10 for s in seeds["smartwatch"].meta.shots}
    assert max(peaks.values()) < 0.1  # quiet
    for cut in cuts:
        assert max(peaks.get(cut, 0), peaks.get(cut + 1, 0)) > 0.01
    between = [level for tenth, level in peaks.items() if all(abs(tenth - c) > 3 for c in cuts)]
    assert between and max(between) < 0.002  # silence between cuts
