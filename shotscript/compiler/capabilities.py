"""Model × region capabilities of the Wan 2.6 r2v API, read from data/capabilities.toml."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class Region:
    """One API region: its base URL and what it accepts."""

    name: str
    base_url: str
    models: tuple[str, ...]
    inputs: tuple[str, ...]
    durations: tuple[int, ...]
    uploads: bool


@dataclass(frozen=True)
class Model:
    """One model: its size tiers and whether it can be silent."""

    name: str
    tiers: tuple[str, ...]
    audio_off: bool


@dataclass(frozen=True)
class MediaLimits:
    """What the service accepts as a reference of one kind."""

    kind: str
    extensions: tuple[str, ...]
    max_bytes: int
    min_seconds: float = 0
    max_seconds: float = 0
    min_side: int = 0
    max_side: int = 0
    alpha: bool = True


@dataclass(frozen=True)
class Capabilities:
    """Everything the checks need to know about the API, in one object."""

    source: str
    defaults: dict[str, object]
    limits: dict[str, object]
    tiers: dict[str, tuple[str, ...]]
    models: dict[str, Model]
    regions: dict[str, Region]
    media: dict[str, MediaLimits]
    billing: dict[str, object]

    def sizes_for(self, model: str) -> tuple[str, ...]:
        """All `W*H` sizes a model accepts, in tier order."""
        m = self.models.get(model)
        tiers = m.tiers if m else tuple(self.tiers)
        return tuple(s for t in tiers for s in self.tiers[t])

    def tier_of(self, size: str) -> str | None:
        """The resolution tier ('720P', '1080P') of a size, if it is a known one."""
        return next((t for t, sizes in self.tiers.items() if size in sizes), None)

    def limit(self, name: str) -> int:
        """A numeric limit by name (prompt_chars, references_max, …)."""
        value = self.limits[name]
        assert isinstance(value, int)
        return value


@cache
def capabilities() -> Capabilities:
    """The shipped capability data (read once per process)."""
    raw = tomllib.loads(
        resources.files("shotscript.data").joinpath("capabilities.toml").read_text("utf-8")
    )
    media = {
        kind: MediaLimits(
            kind=kind,
            extensions=tuple(spec["extensions"]),
            max_bytes=spec["max_bytes"],
            min_seconds=spec.get("min_seconds", 0),
            max_seconds=spec.get("max_seconds", 0),
            min_side=spec.get("min_side", 0),
            max_side=spec.get("max_side", 0),
            alpha=spec.get("alpha", True),
        )
        for kind, spec in raw["media"].items()
    }
    return Capabilities(
        source=f"{raw['source']['title']} ({raw['source']['date']})",
        defaults=raw["defaults"],
        limits=raw["limits"],
        tiers={k: tuple(v) for k, v in raw["tiers"].items()},
        models={
            name: Model(name=name, tiers=tuple(m["tiers"]), audio_off=m["audio_off"])
            for name, m in raw["models"].items()
        },
        regions={
            name: Region(
                name=name,
                base_url=r["base_url"],
                models=tuple(r["models"]),
                inputs=tuple(r["inputs"]),
                durations=tuple(r["durations"]),
                uploads=r["uploads"],
            )
            for name, r in raw["regions"].items()
        },
        media=media,
        billing=raw["billing"],
    )
