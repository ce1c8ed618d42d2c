"""Prices per billed second by region × model × tier × sound, read from facts/prices.toml."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from shotscript.facts.capabilities import read_toml


@dataclass(frozen=True, slots=True)
class RegionPrices:
    """One region's prices with where they come from."""

    region: str
    source: str
    date: str
    currency: str
    prices: dict[str, dict[str, dict[str, float]]]  # model -> tier -> "audio"/"silent" -> price


@cache
def price_data() -> dict[str, RegionPrices]:
    """Every region's shipped prices."""
    raw = read_toml("prices.toml")
    return {
        name: RegionPrices(name, str(r.get("source", "")), str(r.get("date", "")),
                           str(r.get("currency", raw["source"]["currency"])),
                           {m: {t: {s: float(v) for s, v in sounds.items()} for t, sounds in tiers.items()}
                            for m, tiers in r.get("prices", {}).items()})
        for name, r in raw["regions"].items()
    }


def price(model: str, region: str, tier: str, audio: bool = True) -> float | None:
    """The shipped price of one billed second, None when it is not known."""
    r = price_data().get(region)
    if r is None:
        return None
    return r.prices.get(model, {}).get(tier, {}).get("audio" if audio else "silent")


def prices_by_region(model: str, tier: str, audio: bool = True) -> dict[str, float | None]:
    """The shipped price of one billed second in every priced region (None: not known there)."""
    return {region: price(model, region, tier, audio) for region in price_data()}


def region_prices(region: str) -> RegionPrices | None:
    """A region's prices and their provenance, None for a region without any."""
    return price_data().get(region)


def legacy_table(region: str = "beijing") -> dict[str, Any]:
    """One region's prices in the older `[source]` + `[prices.model.tier]` shape (batch/cost.py)."""
    r = price_data()[region]
    return {"source": {"title": r.source, "date": r.date, "currency": r.currency, "region": region},
            "prices": r.prices}
