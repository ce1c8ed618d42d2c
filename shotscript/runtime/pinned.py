"""Connections to the hosts the server names (result videos, uploads) go to the addresses the
URL policy approved: the name is resolved once, at connect time, and every address checked
there, so a name that resolves to a public address for the check and to a private one for
the connection (DNS rebinding) cannot reach the private one."""

from __future__ import annotations

import functools
import ssl
import typing

import httpcore
import httpx

from shotscript.runtime.url_policy import UrlPolicy


class PinnedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, connecting TCP only to addresses the policy allows."""

    def __init__(self, policy: UrlPolicy, inner: httpcore.AsyncNetworkBackend | None = None) -> None:
        self.policy = policy
        self.inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Resolve `host` once, check every address, connect to the first that answers (TLS
        still verifies the certificate against `host`: httpcore passes it as server_hostname)."""
        addresses = await self.policy.addresses(host)
        if not addresses:
            raise httpcore.ConnectError(f"{host} does not resolve")
        failure: Exception | None = None
        for address in addresses:
            try:
                return await self.inner.connect_tcp(
                    address, port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Unix sockets are never used for the server's URLs; passed on unchanged."""
        return await self.inner.connect_unix_socket(path, timeout=timeout, socket_options=socket_options)

    async def sleep(self, seconds: float) -> None:
        """The inner backend's sleep."""
        await self.inner.sleep(seconds)


@functools.cache
def verified_tls() -> ssl.SSLContext:
    """httpx's verifying TLS context, made once per process (loading the CA bundle costs ~20 ms)."""
    return httpx.create_ssl_context()


def pinned_transport(policy: UrlPolicy) -> httpx.AsyncHTTPTransport:
    """An httpx transport whose connections go only to addresses `policy` allows."""
    transport = httpx.AsyncHTTPTransport(verify=verified_tls())
    # httpx offers no seam for the network backend, so its connection pool is replaced by an
    # equal one with ours (httpx's defaults: verified TLS, 100 connections, 20 kept alive 5 s).
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=verified_tls(),
        max_connections=100,
        max_keepalive_connections=20,
        keepalive_expiry=5.0,
        network_backend=PinnedBackend(policy),
    )
    return transport
