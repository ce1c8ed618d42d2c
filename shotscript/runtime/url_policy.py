"""Which URLs the server may send us to: result videos, upload hosts and every redirect."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from shotscript.runtime.errors import UnsafeURLError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# Resolves a host name to its addresses (a seam for tests; the default asks the system).
Resolver = Callable[[str], Awaitable[list[str]]]

# Cloud metadata services: never a place a video comes from. Most are link-local or private
# anyway; Alibaba Cloud's sits in the shared (CGNAT) range, which is not "private".
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "169.254.170.2", "100.100.100.200", "fd00:ec2::254", "192.0.0.192")
)


async def system_resolve(host: str) -> list[str]:
    """Every address the system resolver gives for `host` (empty when it gives none)."""
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return []  # the connection attempt will report it as a connection error
    return [str(info[4][0]) for info in infos]


def _address(host: str) -> IPAddress | None:
    try:
        ip = ipaddress.ip_address(host.split("%", 1)[0])  # drop an IPv6 zone id
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def address_problem(ip: IPAddress, *, allow_loopback: bool) -> str | None:
    """Why a server may not send us to this address, or None when it may."""
    if ip in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if ip.is_loopback:
        return None if allow_loopback else "a loopback address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_private:
        return "a private address"
    if ip.is_multicast or ip.is_unspecified or ip.is_reserved or not ip.is_global:
        return "not a public address"
    return None


@dataclass(frozen=True)
class UrlPolicy:
    """https to public hosts; http and loopback only when the API itself is on loopback."""

    allow_loopback: bool = False
    resolve: Resolver = system_resolve

    @classmethod
    def for_base_url(cls, base_url: str, resolve: Resolver = system_resolve) -> UrlPolicy:
        """The policy for a render against `base_url` (an emulator on loopback relaxes it)."""
        host = urlsplit(base_url).hostname or ""
        ip = _address(host)
        loopback = host == "localhost" or (ip is not None and ip.is_loopback)
        return cls(allow_loopback=loopback, resolve=resolve)

    def problem(self, url: str) -> str | None:
        """What is wrong with the URL on its face (scheme, literal address), or None."""
        try:
            parts = urlsplit(url)
            host = parts.hostname or ""
        except ValueError:
            return "not a URL"
        if not host:
            return "no host"
        if parts.username or parts.password:
            return "credentials in the URL"
        ip = _address(host)
        loopback = host == "localhost" or host.endswith(".localhost") or (ip is not None and ip.is_loopback)
        if loopback and not self.allow_loopback:
            return "a loopback address"
        if ip is not None and (why := address_problem(ip, allow_loopback=self.allow_loopback)):
            return why
        if parts.scheme == "https" or (parts.scheme == "http" and loopback):
            return None
        if parts.scheme == "http":
            return "plain http (only https is followed)"
        return f"scheme {parts.scheme or '(none)'}"

    def refuse(self, url: str) -> None:
        """Raise UnsafeURLError when the URL is wrong on its face (no name is resolved)."""
        why = self.problem(url)
        if why is not None:
            raise _unsafe(url, why)

    async def check(self, url: str) -> None:
        """Raise UnsafeURLError unless the URL, and every address its host resolves to, may be
        fetched."""
        why = self.problem(url)
        if why is not None:
            raise _unsafe(url, why)
        await self.addresses(urlsplit(url).hostname or "", url=url)

    async def addresses(self, host: str, *, url: str | None = None) -> list[str]:
        """The addresses a connection to `host` may use: what it resolves to, each one allowed
        (else UnsafeURLError, naming `url`). A literal address, or localhost, is itself."""
        ip = _address(host)
        if ip is not None or host == "localhost":
            why = None if ip is None else address_problem(ip, allow_loopback=self.allow_loopback)
            if why is not None:
                raise _unsafe(url or f"//{host}", why)
            return [host]
        found = []
        for text in await self.resolve(host):
            ip = _address(text)
            if ip is None:
                continue
            why = address_problem(ip, allow_loopback=self.allow_loopback)
            if why is not None:
                raise _unsafe(url or f"//{host}", f"{host} resolves to {why} ({ip})")
            found.append(text)
        return found


def _unsafe(url: str, why: str) -> UnsafeURLError:
    return UnsafeURLError(
        f"refusing to connect to {_shown(url)}: {why}",
        hint="the service sent a result or redirect URL shotscript does not follow "
        "(see docs/runtime-limits.md)",
    )


def _shown(url: str) -> str:
    """The URL without its query (signatures) and with a capped length."""
    try:
        parts = urlsplit(url)
        text = f"{parts.scheme}://{parts.netloc}{parts.path}"
    except ValueError:
        text = url
    return text if len(text) <= 120 else text[:119] + "…"
