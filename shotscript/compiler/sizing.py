"""`size W*H` and `resolution` + `ratio`: two spellings of one setting, mapped by a size table."""

from __future__ import annotations

from dataclasses import dataclass

from shotscript.facts.capabilities import Protocol


@dataclass(frozen=True, slots=True)
class Framing:
    """What a story's size settings settle to for one protocol."""

    size: str | None  # `size` as 2.6 sends it (None: not sent)
    resolution: str | None  # `resolution` as 2.7 sends it
    ratio: str | None  # `ratio` as 2.7 sends it
    output: str  # the size of the video the service makes
    tier: str
    output_ratio: str


def settle(
    size: str | None, resolution: str | None, ratio: str | None, p: Protocol,
    first_frame_aspect: float | None = None,
) -> Framing:
    """The framing of valid settings (the checks refused the rest).

    A size maps to both resolution and ratio. Otherwise each of resolution and ratio stands
    alone: 2.7 sends what is set; 2.6 needs a size, so `resolution` alone means its 16:9
    size and `ratio` alone the 1080P size of that ratio (the server's default tier).
    With a first frame of known shape the output takes the table ratio nearest to it (what
    is sent does not change).
    """
    sent_res: str | None
    sent_ratio: str | None
    if size is not None:
        res, rat = p.pair_of(size) or (p.default_resolution, p.default_ratio)
        sent_res, sent_ratio = res, rat
    else:
        res, rat = resolution or p.default_resolution, ratio or p.default_ratio
        sent_res, sent_ratio = resolution, ratio
        if resolution or ratio:
            size = p.size_of(res, rat)
    if first_frame_aspect:
        rat = p.ratio_nearest(first_frame_aspect, res)
    output = p.size_of(res, rat) or p.size_of(p.default_resolution, p.default_ratio) or ""
    return Framing(size=size, resolution=sent_res, ratio=sent_ratio, output=output, tier=res,
                   output_ratio=rat)


def _ratio_value(ratio: str) -> float:
    w, _, h = ratio.partition(":")
    try:
        return float(w) / float(h)
    except (ValueError, ZeroDivisionError):
        return 0.0


def _size_value(size: str) -> tuple[float, float] | None:
    w, _, h = size.replace("x", "*").replace("X", "*").replace("×", "*").partition("*")
    try:
        return float(w), float(h)
    except ValueError:
        return None


def nearest_ratio(ratio: str, p: Protocol) -> str:
    """The table's ratio closest to a written one (`21:9` → `16:9`)."""
    want = _ratio_value(ratio)
    return min(p.ratios, key=lambda r: abs(_ratio_value(r) - want))


def nearest_resolution(resolution: str, tiers: tuple[str, ...]) -> str:
    """The tier closest to a written resolution (`480P` → `720P`)."""
    digits = "".join(c for c in resolution if c.isdigit())
    want = int(digits) if digits else 0
    return min(tiers, key=lambda t: abs(int(t.rstrip("Pp")) - want))


def nearest_size(size: str, allowed: tuple[str, ...]) -> str | None:
    """The allowed size whose sides are closest to a written one's; None if unreadable."""
    got = _size_value(size)
    if got is None or not got[1] or not allowed:
        return None
    w, h = got

    def distance(s: str) -> float:
        sw, sh = _size_value(s) or (0.0, 0.0)
        return abs(sw - w) + abs(sh - h)

    return min(allowed, key=distance)
