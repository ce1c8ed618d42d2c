"""Models, request protocols, regions, sizes and media limits, read from facts/capabilities.toml."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any


@dataclass(frozen=True, slots=True)
class Region:
    """One API region: its base URL and what it accepts."""

    name: str
    base_url: str
    models: tuple[str, ...]
    inputs: tuple[str, ...]
    durations: tuple[int, ...]  # the region's restriction, else the default protocol's
    uploads: bool
    restricts_durations: bool = False


@dataclass(frozen=True, slots=True)
class Model:
    """One model: its request protocol, its size tiers and whether it can be silent."""

    name: str
    protocol: str
    tiers: tuple[str, ...]
    audio_off: bool


@dataclass(frozen=True, slots=True)
class MediaLimits:
    """What the service accepts as a reference of one kind (image, video, audio)."""

    kind: str
    extensions: tuple[str, ...]
    max_bytes: int
    min_seconds: float = 0
    max_seconds: float = 0
    min_side: int = 0
    max_side: int = 0
    alpha: bool = True
    min_aspect: float = 0  # width / height; 0: no rule
    max_aspect: float = 0


@dataclass(frozen=True, slots=True)
class Protocol:
    """One request protocol ("2.6", "2.7"): its limits, size table, media limits, billing rule."""

    name: str
    label: str
    durations: tuple[int, ...]
    durations_with_video: tuple[int, ...]
    limits: dict[str, Any]
    features: frozenset[str]
    sizes: dict[str, dict[str, str]]  # resolution -> ratio -> "W*H"
    media: dict[str, MediaLimits]
    default_resolution: str
    default_ratio: str
    input_video_budget_seconds: float
    input_video_divisor: str  # "references" (images + videos) or "videos"

    def limit(self, name: str) -> int:
        """A numeric limit by name (prompt_chars, references_max, …)."""
        value = self.limits[name]
        assert isinstance(value, int)
        return value

    @property
    def ratios(self) -> tuple[str, ...]:
        """The aspect ratios of the size table, in table order."""
        return tuple(dict.fromkeys(r for by_ratio in self.sizes.values() for r in by_ratio))

    def size_of(self, resolution: str, ratio: str) -> str | None:
        """The `W*H` size of a resolution and ratio, None when the table has no such pair."""
        return self.sizes.get(resolution, {}).get(ratio)

    def pair_of(self, size: str) -> tuple[str, str] | None:
        """The (resolution, ratio) of a `W*H` size of this protocol's table."""
        for resolution, by_ratio in self.sizes.items():
            for ratio, s in by_ratio.items():
                if s == size:
                    return resolution, ratio
        return None

    def ratio_nearest(self, aspect: float, resolution: str) -> str:
        """The table ratio whose size at `resolution` is closest to `aspect` (width / height):
        what the service approximates when a first frame sets the shape."""
        def distance(ratio: str) -> float:
            w, _, h = (self.size_of(resolution, ratio) or "1*1").partition("*")
            return abs(int(w) / int(h) - aspect)

        return min(self.ratios, key=distance)

    def all_sizes(self) -> tuple[str, ...]:
        """Every size of the table, tier by tier."""
        return tuple(s for by_ratio in self.sizes.values() for s in by_ratio.values())


@dataclass(frozen=True, slots=True)
class Capabilities:
    """Everything the checks need to know about the API, in one object."""

    source: str
    defaults: dict[str, object]
    models: dict[str, Model]
    protocols: dict[str, Protocol]
    regions: dict[str, Region]

    @property
    def default_duration(self) -> int:
        """The seconds a story gets when it sets no duration and not every shot is timed."""
        value = self.defaults["duration"]
        assert isinstance(value, int), "capabilities.toml: defaults.duration is whole seconds"
        return value

    @property
    def default_protocol(self) -> Protocol:
        """The protocol of the default model (what a story without `model` targets)."""
        return self.protocols[self.models[str(self.defaults["model"])].protocol]

    @property
    def limits(self) -> dict[str, Any]:
        """The default protocol's limits (kept for callers written before 2.7)."""
        return self.default_protocol.limits

    @property
    def media(self) -> dict[str, MediaLimits]:
        """The default protocol's media limits."""
        return self.default_protocol.media

    @property
    def tiers(self) -> dict[str, tuple[str, ...]]:
        """The default protocol's sizes by tier."""
        return {t: tuple(by_ratio.values()) for t, by_ratio in self.default_protocol.sizes.items()}

    @property
    def billing(self) -> dict[str, object]:
        """The default protocol's input-video budget (kept for callers written before 2.7)."""
        return {"input_video_budget_seconds": self.default_protocol.input_video_budget_seconds}

    def protocol_of(self, model: str) -> Protocol:
        """The protocol of a model (the default protocol for an unknown model)."""
        m = self.models.get(model)
        return self.protocols[m.protocol] if m else self.default_protocol

    def sizes_for(self, model: str) -> tuple[str, ...]:
        """All `W*H` sizes a model accepts, in tier order."""
        p = self.protocol_of(model)
        m = self.models.get(model)
        tiers = m.tiers if m else tuple(p.sizes)
        return tuple(s for t in tiers for s in p.sizes.get(t, {}).values())

    def tier_of(self, size: str, model: str | None = None) -> str | None:
        """The resolution tier ('720P', '1080P') of a size, if it is a known one."""
        protocols = [self.protocol_of(model)] if model else list(self.protocols.values())
        for p in protocols:
            pair = p.pair_of(size)
            if pair:
                return pair[0]
        return None

    def limit(self, name: str, model: str | None = None) -> int:
        """A numeric limit by name (prompt_chars, references_max, …) of a model's protocol."""
        return (self.protocol_of(model) if model else self.default_protocol).limit(name)

    def durations(self, model: str, region: str | None = None, *, videos: bool = False) -> tuple[int, ...]:
        """The durations a model takes in a region (with any reference video: `videos`)."""
        p = self.protocol_of(model)
        allowed = p.durations_with_video if videos else p.durations
        r = self.regions.get(region or "")
        if r is not None and r.restricts_durations:
            allowed = tuple(d for d in allowed if d in r.durations)
        return allowed

    def models_with(self, feature: str) -> tuple[str, ...]:
        """The models whose protocol has a feature (`voice`, `shot_type`, …), in data order."""
        return tuple(m.name for m in self.models.values() if feature in self.protocols[m.protocol].features)

    def models_allowing(self, limit: str, value: int) -> tuple[str, ...]:
        """The models whose protocol's `limit` (videos_max, prompt_chars, …) is at least `value`."""
        return tuple(m.name for m in self.models.values()
                     if self.protocols[m.protocol].limit(limit) >= value)

    def models_in(self, region: str) -> tuple[str, ...]:
        """The models a region serves."""
        r = self.regions.get(region)
        return r.models if r else ()


def _media(kind: str, spec: dict[str, Any]) -> MediaLimits:
    return MediaLimits(
        kind=kind,
        extensions=tuple(spec["extensions"]),
        max_bytes=spec["max_bytes"],
        min_seconds=spec.get("min_seconds", 0),
        max_seconds=spec.get("max_seconds", 0),
        min_side=spec.get("min_side", 0),
        max_side=spec.get("max_side", 0),
        alpha=spec.get("alpha", True),
        min_aspect=spec.get("min_aspect", 0),
        max_aspect=spec.get("max_aspect", 0),
    )


_PROTOCOL_KEYS = {"label", "durations", "durations_with_video", "features", "sizes", "media",
                  "default_resolution", "default_ratio", "input_video_budget_seconds",
                  "input_video_divisor"}


def _protocol(name: str, p: dict[str, Any]) -> Protocol:
    return Protocol(
        name=name,
        label=p["label"],
        durations=tuple(p["durations"]),
        durations_with_video=tuple(p["durations_with_video"]),
        limits={k: v for k, v in p.items() if k not in _PROTOCOL_KEYS},
        features=frozenset(p["features"]),
        sizes={res: dict(by_ratio) for res, by_ratio in p["sizes"].items()},
        media={kind: _media(kind, spec) for kind, spec in p["media"].items()},
        default_resolution=p["default_resolution"],
        default_ratio=p["default_ratio"],
        input_video_budget_seconds=float(p["input_video_budget_seconds"]),
        input_video_divisor=p["input_video_divisor"],
    )


def read_toml(name: str) -> dict[str, Any]:
    """A data file of this package, parsed."""
    return tomllib.loads(resources.files("shotscript.facts").joinpath(name).read_text("utf-8"))


@cache
def capabilities() -> Capabilities:
    """The shipped capability data (read once per process)."""
    raw = read_toml("capabilities.toml")
    models = {
        name: Model(name=name, protocol=m["protocol"], tiers=tuple(m["tiers"]), audio_off=m["audio_off"])
        for name, m in raw["models"].items()
    }
    protocols = {name: _protocol(name, p) for name, p in raw["protocols"].items()}
    default = protocols[models[raw["defaults"]["model"]].protocol]
    regions = {
        name: Region(
            name=name,
            base_url=r["base_url"],
            models=tuple(r["models"]),
            inputs=tuple(r["inputs"]),
            durations=tuple(r.get("durations", default.durations)),
            uploads=r["uploads"],
            restricts_durations="durations" in r,
        )
        for name, r in raw["regions"].items()
    }
    return Capabilities(
        source=f"{raw['source']['title']} ({raw['source']['date']})",
        defaults=raw["defaults"],
        models=models,
        protocols=protocols,
        regions=regions,
    )
