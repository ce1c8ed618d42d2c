"""Cards at every size the API accepts: they draw, and what they show sits where it should."""

from __future__ import annotations

import itertools

import pytest
from PIL import Image, ImageChops

from shotscript.compiler.payload import Payload
from shotscript.facts.capabilities import capabilities
from shotscript.preview.animatic import _cast, shot_frames
from shotscript.preview.cards import CardPainter
from shotscript.preview.fonts import latin_fonts, system_fonts
from shotscript.preview.layout import layout_for, parse_size

ALL_SIZES = [s for sizes in capabilities().tiers.values() for s in sizes]


@pytest.mark.parametrize("size", ALL_SIZES)
def test_layout_fits_inside_the_frame(size: str) -> None:
    width, height = parse_size(size)
    lay = layout_for(width, height)
    for box in (lay.header, lay.body, lay.thumbs, lay.bar):
        assert 0 <= box[0] < box[2] <= width and 0 <= box[1] < box[3] <= height
    assert lay.strip[0] % 2 == 0 and lay.strip[1] % 2 == 0
    assert lay.strip[0] < lay.bar[1] < lay.bar[3] < lay.strip[1] <= height
    assert lay.body[3] < lay.strip[0]  # text never overlaps the redrawn band


@pytest.mark.parametrize("size", ALL_SIZES)
def test_cards_draw_at_every_size(size: str, seeds: dict[str, Payload]) -> None:
    payload = seeds["multi-character"]
    payload = payload.model_copy(update={"meta": payload.meta.model_copy(update={"size": size})})
    width, height = parse_size(size)
    painter = CardPainter(payload, layout_for(width, height), system_fonts(), _cast(payload, None))
    card = painter.card(payload.meta.shots[0])
    assert card.size == (width, height)
    band = painter.strip(card, painter.played(card), 4.0)
    assert band.size == (width, painter.layout.strip[1] - painter.layout.strip[0])


def test_strip_only_changes_the_band(seeds: dict[str, Payload]) -> None:
    payload = seeds["smartwatch"]
    painter = CardPainter(payload, layout_for(1280, 720), system_fonts(), _cast(payload, None))
    card = painter.card(payload.meta.shots[0])
    played = painter.played(card)
    early, late = painter.strip(card, played, 0.5), painter.strip(card, played, 2.5)
    assert ImageChops.difference(early, late).getbbox() is not None
    y0, y1 = painter.layout.strip
    assert ImageChops.difference(card.crop((0, y0, 1280, y1)), early).getbbox() is not None


def test_thumbnails_show_local_media(local_refs: Payload) -> None:
    painter = CardPainter(local_refs, layout_for(720, 1280), latin_fonts(), _cast(local_refs, None))
    card = painter.card(local_refs.meta.shots[1])  # mentions only @rex, the red image
    colours = [c for _, c in card.crop(painter.layout.thumbs).getcolors(1 << 20) or []]
    assert any(r > 150 and g < 90 and b < 90 for r, g, b in colours)
    assert not any(g > 150 and r < 90 and b < 100 for r, g, b in colours)


def test_long_text_is_shrunk_and_cut_to_fit(seeds: dict[str, Payload]) -> None:
    payload = seeds["silent-dance"]
    shot = payload.meta.shots[0].model_copy(update={"text": "跳舞。" * 500})
    painter = CardPainter(payload, layout_for(1280, 720), system_fonts(), _cast(payload, None))
    card = painter.card(shot)
    y0 = painter.layout.strip[0]
    below_text = card.crop((0, painter.layout.body[3] + 1, 1280, y0))
    # Nothing but background (and perhaps the missing-font note) between text and timeline.
    assert len(below_text.getcolors(1 << 20) or []) < 64


def test_shot_frames_cover_the_whole_video_once(seeds: dict[str, Payload]) -> None:
    for payload in seeds.values():
        frames = payload.duration * 30
        spans = [(a, b) for _, a, b in shot_frames(payload.meta.shots, frames)]
        assert spans[0][0] == 0 and spans[-1][1] == frames
        assert all(b == c for (_, b), (c, _) in itertools.pairwise(spans))


def test_frames_of_a_gappy_story_are_still_covered(seeds: dict[str, Payload]) -> None:
    shots = seeds["pet"].meta.shots
    gappy = (shots[0].model_copy(update={"start": 1}), shots[2])  # 1-2 s and 4-6 s of 10 s
    spans = [(s.index, a, b) for s, a, b in shot_frames(gappy, 300)]
    assert spans == [(1, 0, 120), (3, 120, 300)]


def test_image_is_rgb(seeds: dict[str, Payload]) -> None:
    payload = seeds["pet"]
    painter = CardPainter(payload, layout_for(1920, 1080), system_fonts(), _cast(payload, None))
    assert painter.card(payload.meta.shots[0]).mode == "RGB"
    assert isinstance(painter.card(payload.meta.shots[0]), Image.Image)


def test_empty_text_and_no_cast_still_draw(seeds: dict[str, Payload]) -> None:
    payload = seeds["smartwatch"]
    painter = CardPainter(payload, layout_for(1280, 720), system_fonts(), _cast(payload, None))
    shot = payload.meta.shots[1].model_copy(update={"text": "", "cast": ()})
    assert painter.card(shot).size == (1280, 720)


def test_fallback_fonts_note_what_they_could_not_draw(seeds: dict[str, Payload]) -> None:
    payload = seeds["smartwatch"]
    painter = CardPainter(payload, layout_for(1280, 720), latin_fonts(), _cast(payload, None))
    painter.card(payload.meta.shots[1])
    assert painter.omitted_text
