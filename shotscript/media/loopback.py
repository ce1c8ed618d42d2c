"""This machine's addresses, and the switch that confines every request to them (tests set it).

Below both stages that send requests — `media` (probing references) and `runtime` (the API) —
so each reads the one rule. The emulator keeps its own listen-address check: it may use only
the facts package.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from urllib.parse import urlsplit

ENV_REQUIRE_LOOPBACK = "SHOTSCRIPT_REQUIRE_LOOPBACK"


def is_loopback_host(host: str) -> bool:
    """Whether a host name or address is this machine's (127.0.0.0/8, ::1 or localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_loopback(url: str) -> bool:
    """Whether a URL points at this machine (127.0.0.0/8, ::1 or localhost)."""
    return is_loopback_host(urlsplit(url).hostname or "")


def loopback_required(environ: Mapping[str, str] | None = None) -> bool:
    """Whether `SHOTSCRIPT_REQUIRE_LOOPBACK` forbids talking to any other host."""
    env = os.environ if environ is None else environ
    return env.get(ENV_REQUIRE_LOOPBACK, "").strip() not in ("", "0", "false", "no")
