"""How long a simulated task queues and runs: realistic, uniform or fixed (data: timing.toml).

- `realistic` (the default): generation time drawn per task from a seeded log-normal by
  model, resolution tier and output seconds, with a tail of slow tasks; time in PENDING
  grows with the account's tasks already in progress. Service seconds × `--time-scale`.
- `uniform`: the first emulator's uniform(60, 120) s × `--time-scale`, whatever the request.
- `fixed` (`--gen-seconds S`): every task takes S real seconds (benchmarks, exact tests).
"""

from __future__ import annotations

import math
import random
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

MODES = ("realistic", "uniform")


@dataclass(frozen=True)
class Job:
    """What the timing of a task depends on."""

    model: str
    tier: str  # "720P" / "1080P"
    duration: int  # output seconds
    busy: int  # the account's tasks of this model in progress when it was submitted


@cache
def timing_data() -> dict[str, Any]:
    """The shipped timing model (read once per process)."""
    text = resources.files("shotscript.emulator").joinpath("timing.toml").read_text("utf-8")
    return tomllib.loads(text)


def realistic_median(job: Job) -> float:
    """Median generation seconds (service time) of a job under the realistic model."""
    r = timing_data()["realistic"]
    factor = r["models"].get(job.model, 1.0) * r["tiers"].get(job.tier, 1.0)
    return float(r["median_seconds"] * factor * (1 + r["per_output_second"] * (job.duration - 5)))


def _realistic(rng: random.Random, job: Job) -> tuple[float, float]:
    r = timing_data()["realistic"]
    running = realistic_median(job) * math.exp(rng.gauss(0.0, r["sigma"]))
    if rng.random() < r["tail_share"]:
        running *= rng.uniform(r["tail_factor_min"], r["tail_factor_max"])
    running = min(max(running, r["min_seconds"]), r["max_seconds"])
    queued = rng.expovariate(1.0 / (r["queue_seconds"] + r["busy_queue_seconds"] * job.busy))
    return queued, running


def _uniform(rng: random.Random) -> tuple[float, float]:
    u = timing_data()["uniform"]
    total = rng.uniform(u["min_seconds"], u["max_seconds"])
    queued = rng.uniform(u["queue_share_min"], u["queue_share_max"]) * total
    return queued, total - queued


def plan_timeline(
    rng: random.Random, job: Job, *, mode: str, time_scale: float, gen_seconds: float | None
) -> tuple[float, float]:
    """(PENDING seconds, RUNNING seconds) of a new task, in real seconds."""
    if gen_seconds is not None:
        queued = timing_data()["fixed"]["queue_share"] * gen_seconds
        return queued, gen_seconds - queued  # fixed too: benchmarks need the same timeline
    if mode not in MODES:
        raise ValueError(f"unknown timing {mode!r}; expected one of {', '.join(MODES)}")
    queued, running = _realistic(rng, job) if mode == "realistic" else _uniform(rng)
    return queued * time_scale, running * time_scale
