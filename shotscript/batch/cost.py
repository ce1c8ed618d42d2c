"""What a story will cost: billed seconds by the API's rules, times a price from a data file.

Billed seconds = input video seconds (each reference video counts its length, capped at the
input budget shared among all references; images are free) + output seconds. A video whose
length is not known (a URL not probed) is billed at its cap: the figure is then an upper
bound, and says so. Prices come from `shotscript/facts/prices.toml` (region × model × tier ×
sound, with source and date); a region's price is its own or unknown, never another
region's. A user's file (one region's table) overrides any of that region's entries. Money
is rounded to the currency's cents.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path
from typing import Any, Literal

from shotscript.compiler.payload import Payload, Reference
from shotscript.facts.prices import price_data
from shotscript.media.billing import billed_input_seconds

Durations = Callable[[Reference], float | None]
SOUNDS = ("audio", "silent")


class PriceError(Exception):
    """A price file that cannot be used; the message names the file and the entry."""


Prices = Mapping[str, Mapping[str, Mapping[str, Mapping[str, float]]]]  # region → model → tier → sound


@dataclass(frozen=True)
class PriceTable:
    """Prices per billed second: region -> model -> tier -> "audio" | "silent" -> price.

    A region's price is its own or unknown (None): never another region's figure."""

    prices: Prices
    currency: str
    source: str
    date: str
    region: str  # the region a user's file (of the older one-region shape) is about
    files: tuple[str, ...] = ()
    currencies: Mapping[str, str] = field(default_factory=dict)  # region -> currency

    def price(self, model: str, tier: str, audio: bool, region: str = "beijing") -> float | None:
        """The price of one billed second in a region, or None when it is not known there."""
        return self.prices.get(region, {}).get(model, {}).get(tier, {}).get("audio" if audio else "silent")

    def currency_of(self, region: str) -> str:
        """The currency of a region's prices."""
        return self.currencies.get(region, self.currency)

    def provenance(self) -> dict[str, Any]:
        """Where the prices come from, for reports."""
        return {
            "currency": self.currency,
            "source": self.source,
            "date": self.date,
            "region": self.region,
            "files": list(self.files),
        }


def _overlay(data: dict[str, Any], name: str, base: PriceTable) -> PriceTable:
    """A user's file (`[source]` with its `region`, default beijing, + `[prices.model.tier]`)
    laid over the prices of that region only, entry by entry."""
    source = data.get("source", {})
    if not isinstance(source, dict):
        raise PriceError(f"{name}: [source] must be a table")
    region = str(source.get("region", "beijing"))
    merged = {r: {m: {t: dict(s) for t, s in tiers.items()} for m, tiers in models.items()}
              for r, models in base.prices.items()}  # fmt: skip
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
                merged.setdefault(region, {}).setdefault(model, {}).setdefault(tier, {})[sound] = float(value)
    currency = str(source.get("currency", base.currency_of(region)))
    return PriceTable(
        prices=merged,
        currency=currency,
        source=str(source.get("title", base.source)),
        date=str(source.get("date", base.date)),
        region=region,
        files=(*base.files, name),
        currencies={**base.currencies, region: currency},
    )


@cache
def default_prices() -> PriceTable:
    """The shipped price data, every region's."""
    data = price_data()
    return PriceTable(
        prices={r.region: r.prices for r in data.values()},
        currency="CNY",
        source="; ".join(f"{r.region}: {r.source}" for r in data.values()),
        date=", ".join(sorted({r.date for r in data.values() if r.date})),
        region="beijing",
        files=("shotscript/facts/prices.toml",),
        currencies={r.region: r.currency for r in data.values()},
    )


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
    return _overlay(data, str(user_file), base)


def round_money(amount: float, currency: str | None = None) -> float:
    """An amount rounded to the currency's cents (half up): ¥2.3001 is ¥2.30."""
    del currency  # every currency shotscript prices in (CNY, USD) has two decimals
    return float(Decimal(repr(amount)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


BilledKind = Literal["billed", "estimate", "free", "unknown"]


def billed_seconds_of(
    *, state: str, backend: str, billed: float | None, estimate: float | None
) -> tuple[float | None, BilledKind]:
    """What a story costs in seconds as its state and backend say: previews and failed tasks
    nothing (the service bills no failed task), done ones what the service billed, the rest
    (queued, running, needing attention) the estimate, still to pay."""
    if backend == "preview":
        return 0.0, "free"
    if billed is not None:
        return billed, "billed"
    if state == "failed":
        return 0.0, "free"
    if estimate is None:
        return None, "unknown"
    return estimate, "estimate"


def cost_of(seconds: float | None, price: float | None, currency: str | None = None) -> float | None:
    """Seconds times the price, in cents; None when either is unknown (0 seconds cost 0)."""
    if seconds == 0:
        return 0.0
    if seconds is None or price is None:
        return None
    return round_money(seconds * price, currency)


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
    region: str = "beijing"

    @property
    def cost(self) -> float | None:
        """Billed seconds times the price, in cents (None without a price)."""
        return cost_of(self.billing.seconds, self.price, self.currency)


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
    """Billed seconds and price of a compiled story (the price of its own region, or none)."""
    meta = payload.meta
    price = prices.price(payload.model, meta.tier, meta.audio, meta.region)
    notes = ()
    if price is None:
        sound = "with sound" if meta.audio else "silent"
        notes = (f"no price is known for {payload.model} {meta.tier} {sound} in {meta.region} "
                 f"({', '.join(prices.files)}): cost unknown",)  # fmt: skip
    return Estimate(
        billing=billing(payload, durations),
        model=payload.model,
        tier=meta.tier,
        audio=meta.audio,
        price=price,
        currency=prices.currency_of(meta.region),
        notes=notes,
        region=meta.region,
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
