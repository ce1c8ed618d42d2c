"""What a story will cost: billed seconds by the API's rules, times a price from a data file.

Billed seconds = input video seconds (each reference video counts its length, capped at the
input budget shared among all references; images are free) + output seconds. A video whose
length is not known (a URL not probed) is billed at its cap: the figure is then an upper
bound, and says so. Prices come from `shotscript/facts/prices.toml` (model × tier × sound,
with source and date); a user's file in the same shape overrides any of its entries.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from shotscript.compiler.payload import Payload, Reference
from shotscript.facts.prices import legacy_table
from shotscript.media.billing import billed_input_seconds

Durations = Callable[[Reference], float | None]
SOUNDS = ("audio", "silent")


class PriceError(Exception):
    """A price file that cannot be used; the message names the file and the entry."""


@dataclass(frozen=True)
class PriceTable:
    """Prices per billed second: model -> tier -> "audio" | "silent" -> price."""

    prices: Mapping[str, Mapping[str, Mapping[str, float]]]
    currency: str
    source: str
    date: str
    region: str
    files: tuple[str, ...] = ()

    def price(self, model: str, tier: str, audio: bool) -> float | None:
        """The price of one billed second, or None when the table has none for it."""
        return self.prices.get(model, {}).get(tier, {}).get("audio" if audio else "silent")

    def provenance(self) -> dict[str, Any]:
        """Where the prices come from, for reports."""
        return {
            "currency": self.currency,
            "source": self.source,
            "date": self.date,
            "region": self.region,
            "files": list(self.files),
        }


def _table(data: dict[str, Any], name: str, base: PriceTable | None) -> PriceTable:
    source = data.get("source", {})
    if not isinstance(source, dict):
        raise PriceError(f"{name}: [source] must be a table")
    merged: dict[str, dict[str, dict[str, float]]] = {
        m: {t: dict(s) for t, s in tiers.items()} for m, tiers in (base.prices if base else {}).items()
    }
    prices = data.get("prices", {})
    if not isinstance(prices, dict):
        raise PriceError(f"{name}: [prices] must be a table of models")
    for model, tiers in prices.items():
        if not isinstance(tiers, dict):
            raise PriceError(f"{name}: prices.{model} must be a table of tiers")
        for tier, sounds in tiers.items():
            if not isinstance(sounds, dict):
                raise PriceError(f"{name}: prices.{model}.{tier} must be a table (audio, silent)")
            for sound, value in sounds.items():
                where = f"prices.{model}.{tier}.{sound}"
                if sound not in SOUNDS:
                    raise PriceError(f"{name}: {where}: expected one of {', '.join(SOUNDS)}")
                if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                    raise PriceError(f"{name}: {where} must be a number ≥ 0, not {value!r}")
                merged.setdefault(model, {}).setdefault(tier, {})[sound] = float(value)

    def meta(key: str, attribute: str) -> str:
        if key in source:
            return str(source[key])
        return str(getattr(base, attribute)) if base else ""

    return PriceTable(
        prices=merged,
        currency=meta("currency", "currency") or "CNY",
        source=meta("title", "source"),
        date=meta("date", "date"),
        region=meta("region", "region"),
        files=(*(base.files if base else ()), name),
    )


@cache
def default_prices() -> PriceTable:
    """The shipped price data."""
    return _table(legacy_table("beijing"), "shotscript/facts/prices.toml", None)


def load_prices(user_file: Path | None = None) -> PriceTable:
    """The shipped prices, with a user's file (same shape) laid over them entry by entry."""
    base = default_prices()
    if user_file is None:
        return base
    try:
        data = tomllib.loads(user_file.read_text("utf-8"))
    except OSError as exc:
        raise PriceError(f"{user_file}: cannot read the price file: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise PriceError(f"{user_file}: not valid TOML: {exc}") from None
    return _table(data, str(user_file), base)


@dataclass(frozen=True)
class Billing:
    """Billed seconds of one story, and whether the figure is exact or an upper bound."""

    input_seconds: float
    output_seconds: int
    unknown_videos: tuple[str, ...] = ()  # cast names of videos billed at their cap

    @property
    def seconds(self) -> float:
        """Input plus output seconds."""
        return round(self.input_seconds + self.output_seconds, 3)

    @property
    def exact(self) -> bool:
        """False when a video's length was unknown (the figure is then an upper bound)."""
        return not self.unknown_videos


@dataclass(frozen=True)
class Estimate:
    """Billed seconds with their price."""

    billing: Billing
    model: str
    tier: str
    audio: bool
    price: float | None
    currency: str
    notes: tuple[str, ...] = field(default=())

    @property
    def cost(self) -> float | None:
        """Billed seconds times the price (None without a price)."""
        return None if self.price is None else round(self.billing.seconds * self.price, 4)


def local_video_seconds(reference: Reference) -> float | None:
    """A local video's length (PyAV); None for a URL or an unreadable file."""
    if reference.path is None:
        return None
    from shotscript.media.probe import probe

    return probe(reference.path).duration


def billing(payload: Payload, durations: Durations = local_video_seconds) -> Billing:
    """Billed seconds of a compiled story by the API's rules."""
    videos = [r for r in payload.meta.references if r.kind == "video"]
    lengths = [durations(r) for r in videos]
    return Billing(
        input_seconds=round(
            billed_input_seconds(lengths, len(payload.meta.references), model=payload.model), 3),
        output_seconds=payload.duration,
        unknown_videos=tuple(r.name for r, n in zip(videos, lengths, strict=True) if n is None),
    )


def estimate(payload: Payload, prices: PriceTable, durations: Durations = local_video_seconds) -> Estimate:
    """Billed seconds and price of a compiled story."""
    meta = payload.meta
    price = prices.price(payload.model, meta.tier, meta.audio)
    notes = ()
    if price is None:
        sound = "with sound" if meta.audio else "silent"
        notes = (f"no price for {payload.model} {meta.tier} {sound} in {', '.join(prices.files)}",)
    return Estimate(
        billing=billing(payload, durations),
        model=payload.model,
        tier=meta.tier,
        audio=meta.audio,
        price=price,
        currency=prices.currency,
        notes=notes,
    )


def remote_durations(payloads: list[Payload]) -> dict[str, float]:
    """Lengths of the stories' video URLs, read from their first bytes (network: opt-in)."""
    from shotscript.media.remote import probe_remote

    urls = sorted({r.url for p in payloads for r in p.meta.references if r.kind == "video" and r.url})
    infos = probe_remote(urls) if urls else []
    return {i.url: i.media.duration for i in infos if i.media is not None and i.media.duration}


def durations_with(known: Mapping[str, float]) -> Durations:
    """Local files probed, URLs looked up in `known` (from `remote_durations`)."""

    def lookup(reference: Reference) -> float | None:
        if reference.path is not None:
            return local_video_seconds(reference)
        return known.get(reference.url or "")

    return lookup
