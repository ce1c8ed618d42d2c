"""Connections to the server's URLs go only to the addresses the URL policy checked: the
name is resolved once, at connect time, so it cannot resolve to a public address for the
check and to a private one for the connection (DNS rebinding)."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx
import pytest
from emulator_process import Emulator

from shotscript.runtime.errors import UnsafeURLError
from shotscript.runtime.pinned import PinnedBackend, pinned_transport
from shotscript.runtime.url_policy import UrlPolicy


def resolver(*answers: list[str]) -> Any:
    """A resolver giving each answer in turn (the last repeats), counting its calls."""

    async def resolve(host: str) -> list[str]:
        resolve.calls += 1  # type: ignore[attr-defined]
        return answers[min(resolve.calls, len(answers)) - 1]  # type: ignore[attr-defined]

    resolve.calls = 0  # type: ignore[attr-defined]
    return resolve


class Recorder(httpcore.AsyncNetworkBackend):
    """An inner backend that connects nowhere: it notes the address it was asked for."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        self.asked.append(host)
        raise httpcore.ConnectError(f"recorder: {host}:{port}")

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError(path)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


def test_the_connection_goes_to_the_address_that_was_checked() -> None:
    inner = Recorder()
    backend = PinnedBackend(UrlPolicy(allow_loopback=True, resolve=resolver(["127.0.0.1"])), inner)
    with pytest.raises(httpcore.ConnectError):
        asyncio.run(backend.connect_tcp("videos.example", 443))
    assert inner.asked == ["127.0.0.1"]  # never the name: nothing resolves it again


@pytest.mark.parametrize(
    "answer",
    [["10.0.0.7"], ["169.254.169.254"], ["127.0.0.1"], ["93.184.216.34", "192.168.1.2"]],
    ids=["private", "metadata", "loopback", "one-of-two-private"],
)
def test_a_name_resolving_to_a_refused_address_is_never_connected(answer: list[str]) -> None:
    inner = Recorder()
    backend = PinnedBackend(UrlPolicy(allow_loopback=False, resolve=resolver(answer)), inner)
    with pytest.raises(UnsafeURLError, match=r"videos\.example resolves to"):
        asyncio.run(backend.connect_tcp("videos.example", 443))
    assert inner.asked == []


def test_rebinding_after_the_check_is_refused_at_the_connection() -> None:
    # First answer (the request's check): public. Second (the connection): private.
    policy = UrlPolicy(allow_loopback=False, resolve=resolver(["93.184.216.34"], ["10.0.0.7"]))
    inner = Recorder()
    asyncio.run(policy.check("https://videos.example/v.mp4"))
    with pytest.raises(UnsafeURLError, match=r"10\.0\.0\.7"):
        asyncio.run(PinnedBackend(policy, inner).connect_tcp("videos.example", 443))
    assert inner.asked == []


def test_a_download_by_name_reaches_the_vetted_address(
    emu: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real connection through the pinned transport: the name is resolved by the policy's
    resolver only; the system resolver is asked for nothing but literal addresses."""
    system = socket.getaddrinfo

    def literal_only(host: Any, *args: Any, **kwargs: Any) -> Any:
        ipaddress.ip_address(host)  # a name here would mean the pin was bypassed
        return system(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", literal_only)
    policy = UrlPolicy(allow_loopback=True, resolve=resolver(["127.0.0.1"]))

    async def fetch() -> httpx.Response:
        async with httpx.AsyncClient(transport=pinned_transport(policy)) as client:
            return await client.get(f"http://videos.test:{emu.port}/_emulator/stats")

    answer = asyncio.run(fetch())
    assert answer.status_code == 200 and "creates" in answer.json()
    assert policy.resolve.calls == 1  # type: ignore[attr-defined]
