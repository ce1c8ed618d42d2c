"""The runtime's safety caps as one value: defaults from constants, overridable by env."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from shotscript.runtime import constants as C
from shotscript.runtime.errors import ConfigError


@dataclass(frozen=True)
class RuntimeLimits:
    """How long to wait, how far to follow and how much to accept from a server."""

    retry_after_max: float = C.RETRY_AFTER_MAX
    max_redirects: int = C.MAX_REDIRECTS
    video_max_bytes: int = C.VIDEO_MAX_BYTES
    download_deadline: float = C.DOWNLOAD_DEADLINE
    min_throughput: float = C.DOWNLOAD_MIN_THROUGHPUT
    throughput_window: float = C.DOWNLOAD_THROUGHPUT_WINDOW
    api_deadline: float = C.API_REQUEST_DEADLINE
    max_answer_bytes: int = C.MAX_ANSWER_BYTES

    def video_cap(self, duration: float | None, tier: str | None) -> int:
        """The largest video accepted for a story of `duration` seconds at `tier`."""
        if duration is None or not math.isfinite(duration) or duration <= 0:
            return self.video_max_bytes
        per_second = C.VIDEO_BYTES_PER_SECOND.get(tier or "", C.VIDEO_BYTES_PER_SECOND_UNKNOWN_TIER)
        return min(self.video_max_bytes, int(duration * per_second) + C.VIDEO_BYTES_ALLOWANCE)


def parse_limits(text: str, base: RuntimeLimits | None = None) -> RuntimeLimits:
    """`name=value,name=value` (names of RuntimeLimits fields) over `base`; ConfigError if bad."""
    base = base or RuntimeLimits()
    kinds = {f.name: f.type for f in fields(RuntimeLimits)}
    changes: dict[str, Any] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, sep, raw = item.partition("=")
        name = name.strip()
        if not sep or name not in kinds:
            raise ConfigError(
                f"{C.ENV_LIMITS}: cannot read {item!r}",
                hint=f"write name=value pairs separated by commas; names: {', '.join(kinds)}",
            )
        try:
            value: float | int = int(raw) if kinds[name] == "int" else float(raw)
        except ValueError:
            raise ConfigError(f"{C.ENV_LIMITS}: {name} must be a number, not {raw.strip()!r}") from None
        if not math.isfinite(value) or value < 0 or (value == 0 and name != "max_redirects"):
            raise ConfigError(f"{C.ENV_LIMITS}: {name} must be a positive number, not {raw.strip()!r}")
        changes[name] = value
    return replace(base, **changes)


def limits_from_env(environ: Mapping[str, str] | None = None) -> RuntimeLimits:
    """The caps, with `SHOTSCRIPT_LIMITS` applied when it is set."""
    env = os.environ if environ is None else environ
    return parse_limits(env.get(C.ENV_LIMITS, ""))
