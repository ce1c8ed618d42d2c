"""Where the runtime talks to and with which key: resolved from settings and the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from shotscript.facts.capabilities import capabilities
from shotscript.facts.service import service
from shotscript.media.loopback import is_loopback, loopback_required
from shotscript.runtime import constants as C
from shotscript.runtime.errors import ConfigError
from shotscript.runtime.limits import RuntimeLimits, limits_from_env
from shotscript.runtime.poll_schedule import PollSchedule, scale_from_env
from shotscript.runtime.retry_policy import RetryPolicy


@dataclass(frozen=True)
class RuntimeSettings:
    """Everything one render needs to reach the API; the key never shows in a repr."""

    base_url: str
    region: str
    api_key: str = field(repr=False)
    poll: PollSchedule = field(default_factory=PollSchedule)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    require_loopback: bool = False
    home: Path = field(default_factory=lambda: default_home())
    limits: RuntimeLimits = field(default_factory=RuntimeLimits)


def default_home(environ: Mapping[str, str] | None = None) -> Path:
    """The runtime's cache directory: `$SHOTSCRIPT_HOME` or `~/.cache/shotscript`."""
    env = os.environ if environ is None else environ
    if env.get(C.ENV_HOME):
        return Path(env[C.ENV_HOME]).expanduser()
    return Path.home() / ".cache" / "shotscript"


def region_base_url(region: str) -> str:
    """The base URL of a region, from the shipped capability data."""
    regions = capabilities().regions
    if region not in regions:
        raise ConfigError(f"unknown region {region!r}; known: {', '.join(sorted(regions))}")
    return regions[region].base_url


def resolve_base_url(
    region: str,
    *,
    override: str | None = None,
    environ: Mapping[str, str] | None = None,
    compiled: str | None = None,
) -> str:
    """The base URL: explicit setting, then `DASHSCOPE_HTTP_BASE_URL`, then the region's."""
    env = os.environ if environ is None else environ
    url = override or env.get(C.ENV_BASE_URL) or compiled or region_base_url(region)
    return check_base_url(url)


def check_base_url(url: str) -> str:
    """A base URL without trailing slash, refused unless it is an absolute http(s) URL."""
    parts = urlsplit(url.strip())
    if parts.scheme not in service().base_url_schemes or not parts.hostname:
        raise ConfigError(f"base URL must be an http(s) URL, not {url!r}")
    if parts.username or parts.password:
        # Credentials in a URL would end up in sidecars and logs.
        raise ConfigError("base URL must not carry credentials; use DASHSCOPE_API_KEY")
    return url.strip().rstrip("/")


def api_key_from_env(environ: Mapping[str, str] | None = None) -> str:
    """The key from `DASHSCOPE_API_KEY`, or a ConfigError saying how to set it."""
    env = os.environ if environ is None else environ
    key = env.get(C.ENV_API_KEY, "").strip()
    if not key:
        raise ConfigError(
            f"{C.ENV_API_KEY} is not set",
            hint="create a key in Model Studio for the story's region and export it",
        )
    return key


def settings_from_env(
    region: str,
    *,
    base_url: str | None = None,
    compiled_base_url: str | None = None,
    environ: Mapping[str, str] | None = None,
    poll_scale: float | None = None,
) -> RuntimeSettings:
    """Settings for one region from the environment, with an optional base URL override."""
    env = os.environ if environ is None else environ
    url = resolve_base_url(region, override=base_url, environ=env, compiled=compiled_base_url)
    require_loopback = loopback_required(env)
    if require_loopback and not is_loopback(url):
        raise ConfigError(f"refusing non-loopback base URL {url} ({C.ENV_REQUIRE_LOOPBACK} set)")
    scale = poll_scale if poll_scale is not None else scale_from_env(dict(env))
    limits = limits_from_env(env)
    return RuntimeSettings(
        base_url=url,
        region=region,
        api_key=api_key_from_env(env),
        poll=PollSchedule().scaled(scale),
        retry=RetryPolicy().scaled(scale),
        require_loopback=require_loopback,
        home=default_home(env),
        limits=limits,
    )
