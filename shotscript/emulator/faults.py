"""Fault injection: parse a `--faults` SPEC and draw faults from a seeded generator.

SPEC is a comma-separated list of `KIND=PROBABILITY`, optionally `KIND=PROBABILITY*BURST`:

    429=0.2,500=0.05*3,reset=0.02,slow=0.1,truncate=0.05,fail=0.02

- `429`, `500`, `reset`, `slow` hit creates and polls; once drawn, a fault repeats for the
  next BURST-1 requests of the same endpoint (a burst), which is what real outages look like.
- `truncate` hits result downloads; `fail` decides, at creation, that a task ends FAILED.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field

REQUEST_FAULTS = ("429", "500", "reset", "slow")
KINDS = (*REQUEST_FAULTS, "truncate", "fail")


@dataclass(frozen=True)
class FaultRule:
    """How often one kind of fault happens, and how many requests a burst lasts."""

    probability: float
    burst: int = 1


@dataclass(frozen=True)
class FaultSpec:
    """The parsed `--faults` value: fault kind -> rule."""

    rules: Mapping[str, FaultRule] = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str | None) -> FaultSpec:
        """Parse SPEC; raise ValueError with a readable message when it is malformed."""
        rules: dict[str, FaultRule] = {}
        for item in (text or "").split(","):
            item = item.strip()
            if not item:
                continue
            kind, sep, value = item.partition("=")
            kind = kind.strip().lower()
            if not sep or kind not in KINDS:
                raise ValueError(f"bad fault {item!r}: expected KIND=PROBABILITY, KIND in {KINDS}")
            prob_text, star, burst_text = value.partition("*")
            try:
                probability = float(prob_text)
                burst = int(burst_text) if star else 1
            except ValueError:
                raise ValueError(f"bad fault {item!r}: probability must be a number") from None
            if not 0.0 <= probability <= 1.0:
                raise ValueError(f"bad fault {item!r}: probability must be within 0..1")
            if burst < 1 or (star and kind not in REQUEST_FAULTS):
                raise ValueError(f"bad fault {item!r}: bursts (*N, N>=1) apply to {REQUEST_FAULTS}")
            rules[kind] = FaultRule(probability, burst)
        return cls(rules)

    def probability(self, kind: str) -> float:
        """How likely a fault of this kind is (0 when the SPEC does not name it)."""
        rule = self.rules.get(kind)
        return rule.probability if rule else 0.0

    def __str__(self) -> str:
        parts = []
        for kind in KINDS:
            rule = self.rules.get(kind)
            if rule:
                burst = f"*{rule.burst}" if rule.burst > 1 else ""
                parts.append(f"{kind}={rule.probability:g}{burst}")
        return ",".join(parts)


class FaultInjector:
    """Draws faults from one seeded generator, so a run with the same requests repeats."""

    def __init__(self, spec: FaultSpec, seed: int) -> None:
        self.spec = spec
        self._rng = random.Random(f"shotscript-emulator-faults:{seed}")
        self._burst_left: dict[tuple[str, str], int] = {}
        self.counts: dict[str, int] = {kind: 0 for kind in KINDS}

    def hit(self, kind: str, endpoint: str = "") -> bool:
        """Whether this request gets a fault of `kind` (counted when it does)."""
        rule = self.spec.rules.get(kind)
        if rule is None or rule.probability <= 0:
            return False
        left = self._burst_left.get((kind, endpoint), 0)
        if left > 0:
            self._burst_left[(kind, endpoint)] = left - 1
        elif self._rng.random() < rule.probability:
            self._burst_left[(kind, endpoint)] = rule.burst - 1
        else:
            return False
        self.counts[kind] += 1
        return True

    def coin(self, probability: float = 0.5) -> bool:
        """A seeded yes/no, e.g. whether a create that is cut off was carried out anyway."""
        return self._rng.random() < probability

    def fraction(self, low: float, high: float) -> float:
        """A seeded number in [low, high), e.g. how much of a download gets through."""
        return self._rng.uniform(low, high)
