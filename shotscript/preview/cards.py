"""One title card per shot (number, time range, text, cast thumbnails, timeline), with Pillow."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from PIL import Image, ImageDraw

from shotscript.compiler.payload import Payload, Reference, ShotTiming
from shotscript.preview.fonts import Font, Fonts
from shotscript.preview.highlight import Span, mention_spans
from shotscript.preview.layout import Box, Layout
from shotscript.preview.wrap import Line, wrap

RGB = tuple[int, int, int]

BACKGROUND: RGB = (17, 19, 25)
TEXT: RGB = (236, 238, 242)
MUTED: RGB = (148, 154, 166)
TRACK: RGB = (44, 48, 58)
PLAYHEAD: RGB = (255, 255, 255)
# One accent per shot (cycled) and one colour per cast member, in cast order.
SHOT_ACCENTS: tuple[RGB, ...] = (
    (255, 122, 89), (76, 201, 240), (181, 228, 140), (249, 199, 79),
    (199, 125, 255), (241, 91, 181), (144, 224, 239), (255, 209, 102),
)  # fmt: skip
CAST_COLOURS: tuple[RGB, ...] = (
    (255, 183, 77), (100, 210, 255), (255, 138, 190), (160, 230, 120), (200, 160, 255),
)  # fmt: skip
# Body text sizes tried, largest first, until the shot text fits (px at a 1080-px short side).
BODY_SIZES = (80, 72, 64, 56, 50, 44, 38, 33, 28, 24, 21)
MISSING_FONT_NOTE = "[n chars]: text this machine has no font for (install fonts-wqy-zenhei)"


@dataclass(frozen=True)
class Cast:
    """A cast member as a card shows it: its reference, colour and thumbnail (if local)."""

    ref: Reference
    colour: RGB
    thumbnail: Image.Image | None
    local: bool


class CardPainter:
    """Draws the static card of each shot and the moving playhead strip of each frame."""

    def __init__(self, payload: Payload, layout: Layout, fonts: Fonts, cast: Mapping[str, Cast]) -> None:
        self.payload = payload
        self.layout = layout
        self.fonts = fonts
        self.cast = cast
        self.omitted_text = False  # some story text could not be drawn with the fonts at hand

    def card(self, shot: ShotTiming) -> Image.Image:
        """The full card of a shot, timeline included, without the playhead."""
        lay = self.layout
        image = Image.new("RGB", (lay.width, lay.height), BACKGROUND)
        draw = ImageDraw.Draw(image)
        accent = SHOT_ACCENTS[(shot.index - 1) % len(SHOT_ACCENTS)]
        omitted = self._header(draw, shot, accent)
        members = [self.cast[n] for n in shot.cast if n in self.cast]
        body = lay.body if members else _union(lay.body, lay.thumbs)
        omitted |= self._body(draw, shot, body, accent)
        if members:
            self._thumbnails(image, draw, members)
        if omitted:
            self.omitted_text = True
            note_font = self._label(22)
            draw.text((body[0], body[3]), MISSING_FONT_NOTE, font=note_font, fill=MUTED, anchor="ld")
        self._timeline(draw, shot)
        return image

    def strip(self, card: Image.Image, played: Image.Image, t: float) -> Image.Image:
        """The timeline band of `card` at time `t`: bar filled up to a playhead."""
        lay = self.layout
        y0, y1 = lay.strip
        band = card.crop((0, y0, lay.width, y1))
        x = self.x_at(t)
        if x > lay.bar[0]:
            top, bottom = lay.bar[1] - y0, lay.bar[3] - y0 + 1
            band.paste(played.crop((lay.bar[0], top, x, bottom)), (lay.bar[0], top))
        draw = ImageDraw.Draw(band)
        half = lay.px(3)
        draw.rectangle((x - half // 2, 0, x - half // 2 + half - 1, y1 - y0), fill=PLAYHEAD)
        head = lay.bar[1] - y0
        w = lay.px(13)
        draw.polygon([(x - w, 0), (x + w, 0), (x, head)], fill=PLAYHEAD)
        return band

    def played(self, card: Image.Image) -> Image.Image:
        """The timeline band of `card` as it looks once played (brighter), to paste from."""
        y0, y1 = self.layout.strip
        band = card.crop((0, y0, self.layout.width, y1))
        return Image.blend(band, Image.new("RGB", band.size, PLAYHEAD), 0.28)

    def x_at(self, t: float) -> int:
        """Timeline x of time `t` seconds."""
        left, _, right, _ = self.layout.bar
        duration = max(self.payload.duration, 1)
        return round(left + (right - left) * min(max(t / duration, 0.0), 1.0))

    def _header(self, draw: ImageDraw.ImageDraw, shot: ShotTiming, accent: RGB) -> bool:
        """Draw shot number, time range, title and facts; return whether the title lost characters."""
        lay = self.layout
        left, top, right, bottom = lay.header
        total = len(self.payload.meta.shots)
        small, big = self._label(34), self._label(86)
        draw.text((left, top), f"SHOT {shot.index} OF {total}", font=small, fill=accent)
        span = f"{shot.start}–{shot.end} s"
        draw.text((left, bottom), span, font=big, fill=TEXT, anchor="ld")
        length = f"{shot.end - shot.start} s"
        x = left + big.getlength(span) + lay.px(28)
        draw.text((x, bottom - lay.px(10)), length, font=self._label(40), fill=MUTED, anchor="ld")
        meta = self.payload.meta
        title, omitted = self.fonts.legible(meta.title)
        title_font = self.fonts.get(self.fonts.text, lay.px(40))
        avail = (right - left) // 2
        draw.text(
            (right, top),
            _ellipsize(title, title_font, avail),
            font=title_font,
            fill=TEXT,
            anchor="ra",
        )
        size, seconds = meta.size.replace("*", "×"), f"{self.payload.duration} s"
        sound = "sound" if meta.audio else "silent"
        facts_font = self._label(26)
        room = right - x - facts_font.getlength(length) - lay.px(40)
        # Portrait cards are narrow: drop what matters least until the line fits.
        for parts in ((size, "30 fps", seconds, sound, "PREVIEW"), (size, seconds, sound)):
            facts = " · ".join(parts)
            if facts_font.getlength(facts) <= room:
                break
        facts = _ellipsize(facts, facts_font, room)
        draw.text((right, top + lay.px(62)), facts, font=facts_font, fill=MUTED, anchor="ra")
        return omitted

    def _body(self, draw: ImageDraw.ImageDraw, shot: ShotTiming, box: Box, accent: RGB) -> bool:
        """Draw the shot text as large as fits; return whether characters had to be omitted."""
        lay = self.layout
        left, top, right, bottom = box
        rule = lay.px(8)
        x0 = left + rule + lay.px(36)
        names = [r.name for r in self.payload.meta.references]
        spans: list[Span] = []
        omitted = False
        for text, name in mention_spans(shot.text, names):
            shown, lost = self.fonts.legible(text)
            omitted |= lost
            spans.append((shown, name))
        height = bottom - top - lay.px(48)  # room for the missing-font note
        font, step, lines = self._fit(spans, right - x0, height)
        if lines:
            # The accent rule spans the text, a little past its first and last lines.
            rule_end = top + len(lines) * step - (step - font.size) // 2
            draw.rectangle((left, top, left + rule - 1, rule_end), fill=accent)
        y = top
        for line in lines:
            x: float = x0
            for text, name in line:
                colour = self.cast[name].colour if name is not None and name in self.cast else TEXT
                draw.text((x, y), text, font=font, fill=colour)
                x += font.getlength(text)
            y += step
        return omitted

    def _fit(self, spans: list[Span], width: int, height: int) -> tuple[Font, int, list[Line]]:
        """The largest body font whose wrapped lines fit; at the smallest, the lines that fit."""
        for size in BODY_SIZES:
            font = self.fonts.get(self.fonts.text, self.layout.px(size))
            step = round(font.size * 1.5)
            lines = wrap(spans, width, font.getlength)
            if len(lines) * step <= height:
                return font, step, lines
        lines = lines[: max(1, height // step)]
        text, style = lines[-1][-1]
        lines[-1][-1] = (text.rstrip()[:-1] + "…", style)
        return font, step, lines

    def _thumbnails(self, image: Image.Image, draw: ImageDraw.ImageDraw, members: list[Cast]) -> None:
        lay = self.layout
        left, top, right, bottom = lay.thumbs
        gap = lay.px(24)
        label_h = lay.px(46)
        cols, tile_w, tile_h = _grid(len(members), right - left, bottom - top, gap, label_h)
        label_font = self.fonts.get(self.fonts.text, lay.px(28))
        for i, member in enumerate(members):
            x = left + (i % cols) * (tile_w + gap)
            y = top + (i // cols) * (tile_h + gap)
            self._tile(image, draw, member, (x, y, x + tile_w, y + tile_h - label_h))
            name, _ = self.fonts.legible(f"@{member.ref.name}")
            label = _ellipsize(f"{name} · {member.ref.kind}", label_font, tile_w)
            draw.text((x, y + tile_h - label_h + lay.px(8)), label, font=label_font, fill=member.colour)

    def _tile(self, image: Image.Image, draw: ImageDraw.ImageDraw, member: Cast, box: Box) -> None:
        lay = self.layout
        left, top, right, bottom = box
        border = lay.px(3)
        draw.rectangle(box, fill=TRACK, outline=member.colour, width=border)
        inner = (left + border, top + border, right - border, bottom - border)
        if member.thumbnail is not None:
            thumb = member.thumbnail.copy()
            thumb.thumbnail((inner[2] - inner[0], inner[3] - inner[1]))
            cx = inner[0] + (inner[2] - inner[0] - thumb.width) // 2
            cy = inner[1] + (inner[3] - inner[1] - thumb.height) // 2
            image.paste(thumb, (cx, cy))
            return
        if member.local:
            lines = [f"{member.ref.kind} file", "unreadable or missing"]
        else:
            url = urlsplit(member.ref.url or member.ref.source)
            lines = [f"remote {member.ref.kind}", url.path.rsplit("/", 1)[-1] or url.hostname or ""]
        size = min(self.layout.px(26), (bottom - top) // 5)
        font = self.fonts.get(self.fonts.label, max(size, 8))
        cx, cy = (left + right) // 2, (top + bottom) // 2
        draw.text((cx, cy), lines[0], font=font, fill=TEXT, anchor="md")
        draw.text(
            (cx, cy + lay.px(8)),
            _ellipsize(lines[1], font, right - left - lay.px(24)),
            font=font,
            fill=MUTED,
            anchor="ma",
        )

    def _timeline(self, draw: ImageDraw.ImageDraw, current: ShotTiming) -> None:
        lay = self.layout
        left, top, right, bottom = lay.bar
        gap = lay.px(4)
        number_font = self._label(24)
        tick_font = self._label(24)
        draw.rectangle((left, top, right, bottom), fill=TRACK)
        for shot in self.payload.meta.shots:
            x0, x1 = self.x_at(shot.start), self.x_at(shot.end)
            accent = SHOT_ACCENTS[(shot.index - 1) % len(SHOT_ACCENTS)]
            fill = accent if shot.index == current.index else _mix(accent, BACKGROUND, 0.35)
            draw.rectangle((x0 + gap // 2, top, x1 - (gap - gap // 2), bottom), fill=fill)
            if x1 - x0 > lay.px(40):
                colour = BACKGROUND if shot.index == current.index else TEXT
                draw.text(
                    ((x0 + x1) // 2, (top + bottom) // 2),
                    str(shot.index),
                    font=number_font,
                    fill=colour,
                    anchor="mm",
                )
        # Cut points: a tick and its second under every boundary between shots.
        cuts = sorted({0, self.payload.duration} | {s.start for s in self.payload.meta.shots})
        for t in cuts:
            x = self.x_at(t)
            draw.rectangle((x - gap // 2, bottom, x + gap // 2, bottom + lay.px(12)), fill=MUTED)
            anchor = "la" if t == 0 else "ra" if t == self.payload.duration else "ma"
            draw.text((x, bottom + lay.px(16)), f"{t}s", font=tick_font, fill=MUTED, anchor=anchor)

    def _label(self, size: float) -> Font:
        return self.fonts.get(self.fonts.label, self.layout.px(size))


def _grid(n: int, width: int, height: int, gap: int, label_h: int) -> tuple[int, int, int]:
    """(columns, tile width, tile height) that give `n` 16:9 thumbnails the most room."""
    best = (0.0, 1, width, height)
    for cols in range(1, n + 1):
        rows = -(-n // cols)
        tile_w = (width - gap * (cols - 1)) // cols
        tile_h = (height - gap * (rows - 1)) // rows
        picture_w = min(tile_w, (tile_h - label_h) * 16 / 9)
        if picture_w > best[0]:
            best = (picture_w, cols, tile_w, tile_h)
    _, cols, tile_w, tile_h = best
    # No taller than a 16:9 picture plus its label: the tiles stay in the top rows.
    return cols, tile_w, min(tile_h, round(tile_w * 9 / 16) + label_h)


def _union(a: Box, b: Box) -> Box:
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


def _mix(a: RGB, b: RGB, amount: float) -> RGB:
    """`amount` of `a` over `b`."""
    r, g, bl = (round(x * amount + y * (1 - amount)) for x, y in zip(a, b, strict=True))
    return (r, g, bl)


def _ellipsize(text: str, font: Font, width: float) -> str:
    if font.getlength(text) <= width:
        return text
    while text and font.getlength(text + "…") > width:
        text = text[:-1]
    return text + "…"
