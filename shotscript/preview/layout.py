"""Where things go on a preview card, for any output size (landscape, portrait or square)."""

from __future__ import annotations

from dataclasses import dataclass

Box = tuple[int, int, int, int]  # left, top, right, bottom


@dataclass(frozen=True)
class Layout:
    """The boxes of one card size; `strip` is the only band that changes from frame to frame."""

    width: int
    height: int
    unit: float  # 1.0 at 1080 px on the short side
    margin: int
    header: Box
    body: Box  # the shot text
    thumbs: Box  # cast thumbnails: a column at the right, or a row under the text when tall
    thumbs_vertical: bool
    bar: Box  # the timeline bar
    strip: tuple[int, int]  # rows redrawn per frame (playhead), even so chroma rows align

    def px(self, value: float) -> int:
        """A length given for a 1080-px short side, scaled to this size."""
        return max(1, round(value * self.unit))


def parse_size(size: str) -> tuple[int, int]:
    """`"1280*720"` → (1280, 720)."""
    w, _, h = size.partition("*")
    return int(w), int(h)


def layout_for(width: int, height: int) -> Layout:
    """The layout of a card of this size."""
    unit = min(width, height) / 1080
    m = round(64 * unit)
    header = (m, m, width - m, m + round(150 * unit))
    bar_h = round(40 * unit)
    labels_h = round(44 * unit)
    bar_bottom = height - m - labels_h
    bar = (m, bar_bottom - bar_h, width - m, bar_bottom)
    head = round(22 * unit)  # playhead marker above the bar
    strip = (_even_down(bar[1] - head - 2), _even_up(bar[3] + 4))
    gap = round(48 * unit)
    content = (m, header[3] + gap, width - m, bar[1] - head - gap)
    left, top, right, bottom = content
    if width >= height:
        col = round((right - left) * 0.3)
        body = (left, top, right - col - gap, bottom)
        thumbs = (right - col, top, right, bottom)
        vertical = True
    else:
        row = round((bottom - top) * 0.32)
        body = (left, top, right, bottom - row - gap)
        thumbs = (left, bottom - row, right, bottom)
        vertical = False
    return Layout(width, height, unit, m, header, body, thumbs, vertical, bar, strip)


def _even_down(v: int) -> int:
    return v - (v % 2)


def _even_up(v: int) -> int:
    return v + (v % 2)
