"""Cutting connections on purpose (the `reset` and `truncate` faults) under uvicorn.

ASGI gives an application no way to drop a connection without answering: an exception
before the response starts makes uvicorn answer 500. So the server runs a thin subclass of
uvicorn's h11 protocol that records each connection's transport by client address, and
`abort` finds the request's transport through `scope["client"]` and closes it, with an RST
(`SO_LINGER` 0) for a reset, or after flushing what was written for a truncated download.
"""

from __future__ import annotations

import asyncio
import socket
import struct
from typing import Any

from starlette.types import Receive, Scope
from uvicorn.protocols.http.h11_impl import H11Protocol

_transports: dict[tuple[str, int], asyncio.BaseTransport] = {}


class TrackingH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, plus a record of which transport serves which client."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Remember the transport under the client address the ASGI scope will carry."""
        super().connection_made(transport)  # type: ignore[arg-type]
        sock: Any = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            # Answers go out as headers then body: never let Nagle hold the second part.
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.client is not None:
            _transports[self.client] = transport

    def connection_lost(self, exc: Exception | None) -> None:
        """Forget the transport."""
        if self.client is not None and _transports.get(self.client) is self.transport:
            del _transports[self.client]
        super().connection_lost(exc)


def transport_of(scope: Scope) -> asyncio.BaseTransport | None:
    """The transport serving this request, when running under `TrackingH11Protocol`."""
    client = scope.get("client")
    return _transports.get(tuple(client)) if client else None


async def abort(scope: Scope, receive: Receive, *, reset: bool) -> None:
    """Drop the request's connection: an RST if `reset`, else a close after pending writes.

    Waits until the server has noticed, so uvicorn does not then complain that the
    application returned without answering.
    """
    transport = transport_of(scope)
    if transport is None:
        # Not under our protocol (e.g. an in-process test client): an error is the
        # closest thing to a dropped connection there is.
        raise ConnectionAbortedError("emulated connection drop")
    if reset:
        sock: Any = transport.get_extra_info("socket")
        if sock is not None:
            # Linger on with a zero timeout: close() then sends RST instead of FIN.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()  # type: ignore[attr-defined]
    else:
        transport.close()
    try:
        async with asyncio.timeout(5):
            while (await receive())["type"] != "http.disconnect":
                pass
    except TimeoutError:
        pass
