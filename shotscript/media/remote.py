"""Probing http(s) references with one short ranged GET each: can the service fetch them?"""

from __future__ import annotations

import asyncio
import calendar
import ipaddress
import re
import time
from collections.abc import Mapping, Sequence
from urllib.parse import parse_qs, urlsplit

import httpx
from pydantic import BaseModel, ConfigDict

from shotscript.facts.capabilities import MediaLimits
from shotscript.media.limits import check_reference
from shotscript.media.loopback import ENV_REQUIRE_LOOPBACK, is_loopback_host, loopback_required
from shotscript.media.probe import MediaInfo, probe_bytes
from shotscript.media.problems import Problem, problem

# Enough for image headers and for the moov atom of a "fast start" MP4 (its length lives there).
HEAD_BYTES = 256 * 1024
TIMEOUT_SECONDS = 5.0
# One probe (redirects and the first bytes included) ends within this long, however slowly
# the server trickles (docs/runtime-limits.md).
PROBE_DEADLINE = 15.0
MAX_REDIRECTS = 5
CONCURRENCY = 8
# The runtime's name for it (runtime/constants.py; a test keeps them equal): when set, not
# one request leaves this machine, probes included.
# A signed URL must outlive the wait in the service's queue; warn below this margin.
EXPIRY_MARGIN_SECONDS = 3600

_CONTENT_RANGE = re.compile(r"bytes\s+\d+-\d+/(\d+)")


class RemoteInfo(BaseModel):
    """What one ranged GET of a reference URL showed."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    url: str
    status: int | None = None  # None when no HTTP answer came at all
    content_type: str | None = None
    length: int | None = None  # the whole file's size, from Content-Range or Content-Length
    ranges: bool = False  # the server honoured the Range header (206)
    final_url: str | None = None  # after redirects, when different
    seconds: float = 0.0
    error: str | None = None  # transport failure (DNS, refused, TLS, timeout)
    media: MediaInfo | None = None  # what the first bytes are

    @property
    def reachable(self) -> bool:
        """Whether the URL answered with a success status."""
        return self.status is not None and 200 <= self.status < 300


async def _loopback_guard(request: httpx.Request) -> None:
    # Also every redirect: a loopback server may not send the probe elsewhere.
    if not is_loopback_host(request.url.host):
        raise httpx.RequestError(
            f"{ENV_REQUIRE_LOOPBACK} is set (not loopback: {request.url.host})",
            request=request,
        )


async def probe_url(url: str, client: httpx.AsyncClient, *, deadline: float = PROBE_DEADLINE) -> RemoteInfo:
    """One ranged GET of the first HEAD_BYTES of `url`; never raises."""
    started = time.monotonic()
    try:
        async with asyncio.timeout(deadline):
            async with client.stream("GET", url, headers={"Range": f"bytes=0-{HEAD_BYTES - 1}"}) as r:
                head = await _read_head(r)
                final = str(r.url)
                status, headers = r.status_code, r.headers
    except TimeoutError:
        took = time.monotonic() - started
        return RemoteInfo(url=url, seconds=took, error=f"no complete answer within {deadline:g}s")
    except (httpx.HTTPError, httpx.InvalidURL) as e:
        return RemoteInfo(url=url, seconds=time.monotonic() - started, error=_reason(e))
    length = _total_length(status, headers)
    ok = 200 <= status < 300
    return RemoteInfo(
        url=url,
        status=status,
        content_type=headers.get("content-type"),
        length=length,
        ranges=status == 206,
        final_url=final if final != url else None,
        seconds=time.monotonic() - started,
        media=probe_bytes(head, total_bytes=length) if ok else None,
    )


async def probe_urls(
    urls: Sequence[str],
    *,
    timeout: float = TIMEOUT_SECONDS,
    transport: httpx.AsyncBaseTransport | None = None,
    deadline: float = PROBE_DEADLINE,
) -> list[RemoteInfo]:
    """Probe many URLs at once (a few at a time), in the order given."""
    limit = asyncio.Semaphore(CONCURRENCY)
    hooks = {"request": [_loopback_guard]} if loopback_required() else {}
    async with httpx.AsyncClient(
        timeout=timeout,
        follow_redirects=True,
        max_redirects=MAX_REDIRECTS,
        transport=transport,
        headers={"User-Agent": "shotscript-probe"},
        event_hooks=hooks,
    ) as client:

        async def one(url: str) -> RemoteInfo:
            async with limit:
                return await probe_url(url, client, deadline=deadline)

        return list(await asyncio.gather(*(one(u) for u in urls)))


def probe_remote(urls: Sequence[str], *, timeout: float = TIMEOUT_SECONDS) -> list[RemoteInfo]:
    """Blocking form of `probe_urls`, for the command line."""
    return asyncio.run(probe_urls(urls, timeout=timeout))


def check_remote(
    info: RemoteInfo,
    kind_declared: str,
    limits: Mapping[str, MediaLimits] | None = None,
    *,
    now: float | None = None,
) -> list[Problem]:
    """Why the service may fail to fetch or accept this URL (empty when it looks fine)."""
    found = _check_url(info.url, time.time() if now is None else now)
    if info.status is None:
        return [*found, problem("remote-unreachable", url=info.url, reason=info.error or "?")]
    if not info.reachable:
        return [*found, problem("remote-http-error", url=info.url, status=info.status)]
    media = info.media
    if media is None or media.kind == "unknown":
        ctype = (info.content_type or "").split(";")[0].strip().lower()
        return [
            *found,
            problem(
                "remote-not-media",
                url=info.url,
                kind=kind_declared,
                content_type=ctype or "data of no known format",
            ),
        ]
    return found + check_reference(media, kind_declared, limits)


def _check_url(url: str, now: float) -> list[Problem]:
    host = urlsplit(url).hostname or ""
    out: list[Problem] = []
    if _is_private(host):
        out.append(problem("remote-private-host", host=host))
    expires = _expires_at(url)
    if expires is not None and expires - now < EXPIRY_MARGIN_SECONDS:
        left = expires - now
        state = "has expired" if left <= 0 else f"expires in {int(left // 60)} min"
        out.append(problem("remote-url-expires", state=state))
    return out


def _is_private(host: str) -> bool:
    if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    return ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_unspecified


def _expires_at(url: str) -> float | None:
    """Expiry of an OSS (`Expires=`) or S3-style (`X-Amz-Date` + `X-Amz-Expires`) signed URL."""
    query = {k.lower(): v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    try:
        if "expires" in query:
            return float(query["expires"])
        if "x-amz-date" in query and "x-amz-expires" in query:
            signed = calendar.timegm(time.strptime(query["x-amz-date"], "%Y%m%dT%H%M%SZ"))
            return signed + float(query["x-amz-expires"])
    except ValueError:
        return None
    return None


async def _read_head(r: httpx.Response) -> bytes:
    # A server that ignores Range sends the whole file: stop reading once we have enough.
    data = bytearray()
    async for chunk in r.aiter_bytes():
        data += chunk
        if len(data) >= HEAD_BYTES:
            break
    return bytes(data[:HEAD_BYTES])


def _total_length(status: int, headers: httpx.Headers) -> int | None:
    match = _CONTENT_RANGE.match(headers.get("content-range", ""))
    if match:
        return int(match.group(1))
    if status == 200 and headers.get("content-length", "").isdigit():
        return int(headers["content-length"])
    return None


def _reason(e: httpx.HTTPError | httpx.InvalidURL) -> str:
    if isinstance(e, httpx.TimeoutException):
        return "timed out"
    text = str(e).strip()
    return text or type(e).__name__
