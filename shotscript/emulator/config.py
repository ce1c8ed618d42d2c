"""Settings of one emulator process (what the command-line flags set)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from shotscript.emulator.faults import FaultSpec
from shotscript.emulator.timing import MODES
from shotscript.facts.capabilities import capabilities
from shotscript.facts.service import lifetimes, quotas

# Quotas from docs/reference/wan-r2v-api.md ("Quotas"): they are service policy, not
# capabilities of the models, so they live here as the emulator's defaults.
DEFAULT_MAX_RUNNING = quotas().concurrency  # tasks in progress at once, per account and model
DEFAULT_CREATE_RPS = quotas().create_rps  # task creations per second, per account and model
DEFAULT_POLL_RPS = quotas().poll_rps  # task queries per second, per account

# Lifetimes the service announces (facts), in service seconds, scaled by the time scale like
# generation; and the Retry-After of a plain `Throttling` 429 (the emulator's own choice).
TASK_SECONDS = lifetimes().task_seconds
RESULT_URL_SECONDS = lifetimes().result_url_seconds
FILE_SECONDS = lifetimes().upload_seconds
THROTTLE_RETRY_SECONDS = 1.0

# What a 2.7 create does with 2.6-only fields (undocumented; see protocol27.py).
LEGACY_MODES = ("ignore", "refuse")

# The region id the task list reports for each region of the capability data.
REGION_IDS = {"beijing": "cn-beijing", "singapore": "ap-southeast-1", "virginia": "us-east-1"}


def default_cache_dir() -> Path:
    """Where generated result videos are kept between runs."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "shotscript" / "emulator-media"


@dataclass(frozen=True)
class EmulatorConfig:
    """Everything that shapes the emulator's behaviour; one per process."""

    host: str = "127.0.0.1"
    port: int = 8765
    region: str = field(default_factory=lambda: str(capabilities().defaults["region"]))
    time_scale: float = 1.0  # real seconds per service second
    timing: str = "realistic"  # how generation times are drawn (timing.MODES; --gen-seconds: fixed)
    gen_seconds: float | None = None  # fixed wall-clock generation time, overrides the timing
    seed: int = 0
    faults: FaultSpec = field(default_factory=FaultSpec)
    slow_seconds: float = 3.0  # delay added by the `slow` fault
    keys: frozenset[str] | None = None  # accepted API keys; None = any key not starting "bad"
    # Named accounts and their keys (keys in an account are always accepted); every other
    # accepted key is an account of its own.
    accounts: Mapping[str, frozenset[str]] = field(default_factory=dict)
    max_running: int = DEFAULT_MAX_RUNNING
    create_rps: float = DEFAULT_CREATE_RPS
    poll_rps: float = DEFAULT_POLL_RPS
    cache_dir: Path = field(default_factory=default_cache_dir)
    legacy_fields: str = "ignore"  # 2.6-only fields in a 2.7 body: "ignore" or "refuse" (protocol27.py)
    moderation_marker: str = "[[moderate]]"  # prompt text that ends a task DataInspectionFailed
    ip_marker: str = "[[ip]]"  # prompt text that ends a task IPInfringementSuspect

    def __post_init__(self) -> None:
        if self.region not in capabilities().regions:
            raise ValueError(f"unknown region {self.region!r}")
        if self.time_scale <= 0:
            raise ValueError("time scale must be positive")
        if self.timing not in MODES:
            raise ValueError(f"unknown timing {self.timing!r}; expected one of {', '.join(MODES)}")
        if self.legacy_fields not in LEGACY_MODES:
            raise ValueError(f"legacy_fields must be one of {', '.join(LEGACY_MODES)}")
        if self.gen_seconds is not None and self.gen_seconds < 0:
            raise ValueError("generation seconds must not be negative")
        if self.slow_seconds < 0:
            raise ValueError("slow seconds must not be negative")
        if self.max_running < 1 or self.create_rps <= 0 or self.poll_rps <= 0:
            raise ValueError("quotas must be positive")
        seen: set[str] = set()
        for name, keys in self.accounts.items():
            if not name or not keys:
                raise ValueError("an account needs a name and at least one key")
            if seen & keys:
                raise ValueError(f"a key of account {name!r} belongs to another account too")
            seen |= keys

    def account_name(self, api_key: str) -> str | None:
        """The named account a key belongs to, None for a key that is its own account."""
        return next((name for name, keys in self.accounts.items() if api_key in keys), None)

    @property
    def region_id(self) -> str:
        """The region as the task list names it (`cn-beijing`, …)."""
        return REGION_IDS.get(self.region, self.region)
