"""Quotas, output format and URL schemes of the service, read from facts/service.toml."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from shotscript.facts.capabilities import read_toml


@dataclass(frozen=True, slots=True)
class Quotas:
    """Per account and model: tasks at once, creates and polls per second, upload policies."""

    concurrency: int
    create_rps: float
    poll_rps: float
    upload_policy_qps: int


@dataclass(frozen=True, slots=True)
class Lifetimes:
    """How long the service keeps a task (and its result), a result URL and an upload (seconds)."""

    task_seconds: float
    result_url_seconds: float
    upload_seconds: float


@dataclass(frozen=True, slots=True)
class Service:
    """Facts about the service as a whole (not one model)."""

    quotas: Quotas
    lifetimes: Lifetimes
    fps: int
    reference_schemes: tuple[str, ...]
    base_url_schemes: tuple[str, ...]
    upload_scheme: str
    resolve_header: str
    async_header: str
    data_uri_kinds: tuple[str, ...]


@cache
def service() -> Service:
    """The shipped service facts (read once per process)."""
    raw = read_toml("service.toml")
    q, urls, life = raw["quotas"], raw["urls"], raw["lifetimes"]
    return Service(
        quotas=Quotas(int(q["concurrency"]), float(q["create_rps"]), float(q["poll_rps"]),
                      int(q["upload_policy_qps"])),
        lifetimes=Lifetimes(float(life["task_seconds"]), float(life["result_url_seconds"]),
                            float(life["upload_seconds"])),
        fps=int(raw["output"]["fps"]),
        reference_schemes=tuple(urls["reference_schemes"]),
        base_url_schemes=tuple(urls["base_url_schemes"]),
        upload_scheme=str(urls["upload"]),
        resolve_header=str(urls["resolve_header"]),
        async_header=str(urls["async_header"]),
        data_uri_kinds=tuple(urls["data_uri_kinds"]),
    )


def quotas() -> Quotas:
    """The published quotas (2.7 publishes none: the 2.6 ones are assumed)."""
    return service().quotas


def lifetimes() -> Lifetimes:
    """How long the service keeps tasks, result URLs and uploads."""
    return service().lifetimes


@cache
def usual_generation_seconds() -> tuple[float, float]:
    """The documented usual generation time of a task: (low, high) seconds."""
    low, high = read_toml("service.toml")["generation"]["usual_seconds"]
    return float(low), float(high)


def output_fps() -> int:
    """Frames per second of every generated video."""
    return service().fps


def is_upload_url(url: str) -> bool:
    """Whether a URL is a temporary upload (`oss://…`), which needs the resolve header."""
    return url.startswith(service().upload_scheme + "://")
