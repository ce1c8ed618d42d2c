"""The preview backend: an animatic MP4 of a compiled story, one title card per shot."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
from av.video.reformatter import VideoReformatter
from PIL import Image

from shotscript.compiler.payload import Payload, ShotTiming
from shotscript.facts.service import output_fps
from shotscript.preview.cards import CAST_COLOURS, CardPainter, Cast
from shotscript.preview.fonts import Fonts, system_fonts
from shotscript.preview.layout import Layout, layout_for, parse_size
from shotscript.preview.soundtrack import SAMPLE_RATE, chunks, soundtrack
from shotscript.preview.thumbnails import load_thumbnail, reference_path

FPS = output_fps()  # what the service generates
# Static cards compress to almost nothing, so the fastest presets lose little; crf 20 keeps
# small text crisp. Only the playhead band moves, and it moves in a straight line: one
# reference frame, no B-frames, the cheapest motion search and no lookahead cost about a
# third less CPU than `veryfast` alone for files ~12 % larger (`ultrafast` would be 2.7×).
X264_OPTIONS = {
    "preset": "veryfast",
    "crf": "20",
    "tune": "stillimage",
    "x264-params": "ref=1:bframes=0:me=dia:subme=1:trellis=0:rc-lookahead=0:sync-lookahead=0:no-mbtree=1",
}
# BT.709 for HD, tagged on the stream, so players show the card colours as drawn.
_COLOUR_TAGS = {"colorspace": 1, "color_primaries": 1, "color_trc": 1, "color_range": 1}


@dataclass(frozen=True)
class AnimaticResult:
    """What was written, and what a reader of the preview should know about it."""

    path: Path
    width: int
    height: int
    fps: int
    frames: int
    duration: int
    audio: bool
    font: str  # family of the face the story text was drawn with
    cjk_font: bool
    text_omitted: bool  # characters the font lacked were replaced by "…"
    missing_thumbnails: tuple[str, ...]  # cast names whose local file could not be read
    seconds: float  # wall time spent rendering


def render_animatic(
    payload: Payload,
    out_path: Path,
    *,
    story_dir: Path | None = None,
    fonts: Fonts | None = None,
) -> AnimaticResult:
    """Write the animatic of `payload` to `out_path` (atomically: temp file, then rename)."""
    started = time.perf_counter()
    out_path = Path(out_path)
    width, height = parse_size(payload.meta.size)
    layout = layout_for(width, height)
    fonts = fonts or system_fonts()
    if story_dir is None and payload.meta.story_path is not None:
        story_dir = payload.meta.story_path.parent
    cast = _cast(payload, story_dir)
    painter = CardPainter(payload, layout, fonts, cast)
    frames = payload.duration * FPS
    tmp = out_path.with_name(f".{out_path.stem}.{os.getpid()}.part.mp4")
    try:
        _encode(payload, painter, layout, tmp, frames)
        os.replace(tmp, out_path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    return AnimaticResult(
        path=out_path,
        width=width,
        height=height,
        fps=FPS,
        frames=frames,
        duration=payload.duration,
        audio=payload.meta.audio,
        font=fonts.text.family,
        cjk_font=fonts.cjk,
        text_omitted=painter.omitted_text,
        missing_thumbnails=tuple(n for n, c in cast.items() if c.local and c.thumbnail is None),
        seconds=time.perf_counter() - started,
    )


def shot_frames(shots: tuple[ShotTiming, ...], frames: int) -> Iterator[tuple[ShotTiming, int, int]]:
    """(shot, first frame, end frame) covering 0…frames exactly, in order, even if shots do not."""
    ordered = sorted(shots, key=lambda s: s.start)
    for i, shot in enumerate(ordered):
        first = 0 if i == 0 else min(shot.start * FPS, frames)
        end = frames if i == len(ordered) - 1 else min(ordered[i + 1].start * FPS, frames)
        if end > first:
            yield shot, first, end


def _cast(payload: Payload, story_dir: Path | None) -> dict[str, Cast]:
    cast = {}
    for i, ref in enumerate(payload.meta.references):
        path = reference_path(ref, story_dir)
        cast[ref.name] = Cast(
            ref=ref,
            colour=CAST_COLOURS[i % len(CAST_COLOURS)],
            thumbnail=load_thumbnail(path, ref.kind) if path is not None else None,
            local=path is not None,
        )
    return cast


def _encode(payload: Payload, painter: CardPainter, layout: Layout, path: Path, frames: int) -> None:
    with av.open(str(path), "w", format="mp4", options={"movflags": "+faststart"}) as out:
        video = out.add_stream("libx264", rate=FPS, options=X264_OPTIONS)
        video.width, video.height, video.pix_fmt = layout.width, layout.height, "yuv420p"
        # Keyframes only at cuts: a periodic one inside a still shot re-encodes the card and
        # makes it visibly "pop".
        video.codec_context.gop_size = max(frames, 1)
        # Frame threads keep both cores busy; PyAV's default (slice threads) leaves one idle.
        video.codec_context.thread_type = "FRAME"
        video.codec_context.thread_count = 0
        for name, value in _COLOUR_TAGS.items():
            setattr(video.codec_context, name, value)
        audio = None
        pcm: Iterator[tuple[int, bytes]] = iter(())
        if payload.meta.audio:
            audio = out.add_stream("aac", rate=SAMPLE_RATE, layout="mono")
            cuts = [s.start for s in payload.meta.shots]
            pcm = chunks(soundtrack(payload.duration, cuts))
        pending = next(pcm, None)
        # One converter for every band: a fresh one per frame costs more than the conversion.
        reformatter = VideoReformatter()
        for shot, first, end in shot_frames(payload.meta.shots, frames):
            card = painter.card(shot)
            played = painter.played(card)
            planes = _yuv_planes(card, reformatter)
            for i in range(first, end):
                band = painter.strip(card, played, i / FPS)
                frame = _frame(planes, band, layout, reformatter)
                frame.pts = i
                if i == first:
                    # A keyframe at every cut: seeking to a shot lands exactly on it.
                    frame.pict_type = av.video.frame.PictureType.I
                out.mux(video.encode(frame))
                # Keep the sound interleaved with the picture, up to the end of this frame.
                while audio is not None and pending and pending[0] < (i + 1) * SAMPLE_RATE // FPS:
                    out.mux(audio.encode(_audio_frame(*pending)))
                    pending = next(pcm, None)
        out.mux(video.encode(None))
        if audio is not None:
            while pending:
                out.mux(audio.encode(_audio_frame(*pending)))
                pending = next(pcm, None)
            out.mux(audio.encode(None))


def _yuv_planes(image: Image.Image, reformatter: VideoReformatter) -> list[bytearray]:
    """A card as yuv420p plane buffers (each row padded as a new frame's planes are)."""
    frame = _to_yuv(image, reformatter)
    return [bytearray(bytes(p)) for p in frame.planes]


def _to_yuv(image: Image.Image, reformatter: VideoReformatter) -> av.VideoFrame:
    return reformatter.reformat(
        av.VideoFrame.from_image(image), format="yuv420p", dst_colorspace="ITU709", dst_color_range="MPEG"
    )


def _frame(
    planes: list[bytearray], band: Image.Image, layout: Layout, reformatter: VideoReformatter
) -> av.VideoFrame:
    """The card's planes with the playhead band converted and written over its rows."""
    y0, _ = layout.strip
    strip = _to_yuv(band, reformatter)
    frame = av.VideoFrame(layout.width, layout.height, "yuv420p")
    for k, (base, src, dst) in enumerate(zip(planes, strip.planes, frame.planes, strict=True)):
        row = y0 if k == 0 else y0 // 2  # chroma planes have half the rows
        if src.line_size == dst.line_size:
            start = row * dst.line_size
            base[start : start + src.buffer_size] = bytes(src)
        else:  # never seen (same width, same alignment), but stay correct if it happens
            data = bytes(src)
            for r in range(src.height):
                at = (row + r) * dst.line_size
                base[at : at + src.width] = data[r * src.line_size : r * src.line_size + src.width]
        dst.update(base)
    return frame


def _audio_frame(start: int, data: bytes) -> av.AudioFrame:
    samples = len(data) // 4
    frame = av.AudioFrame(format="fltp", layout="mono", samples=samples)
    plane = frame.planes[0]
    plane.update(data + bytes(plane.buffer_size - len(data)))
    frame.sample_rate = SAMPLE_RATE
    frame.time_base = Fraction(1, SAMPLE_RATE)
    frame.pts = start
    return frame
