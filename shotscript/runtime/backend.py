"""Backends turn a compiled payload into a video file; DashScope is the real one."""

from __future__ import annotations

import ssl
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import httpx

from shotscript.compiler.payload import Payload
from shotscript.runtime import constants as C
from shotscript.runtime.cancel import Canceled, cancel_recorded
from shotscript.runtime.client import DashScopeClient
from shotscript.runtime.events import EventSink
from shotscript.runtime.ledger import Ledger, open_ledger, request_lock, state_home
from shotscript.runtime.lifecycle import Lifecycle, RenderResult, SubmitGate
from shotscript.runtime.pinned import pinned_transport, verified_tls
from shotscript.runtime.record import MemoryRecordStore, RecordStore
from shotscript.runtime.settings import RuntimeSettings
from shotscript.runtime.uploads import UploadCache
from shotscript.runtime.url_policy import UrlPolicy


class Backend(Protocol):
    """Anything that renders a payload to `out_path` (an MP4) plus its sidecar."""

    name: str

    async def render(self, payload: Payload, out_path: Path, events: EventSink) -> RenderResult:
        """Render one story; the story's name is `out_path`'s stem."""
        ...


class SharedPlainTransport(httpx.AsyncBaseTransport):
    """One pinned connection pool (uploads, downloads: `pinned.pinned_transport`) for the
    clients of every story of a batch, so that connections to the result host are reused:
    made at its first request and kept open when a story's client closes; `close` ends it."""

    def __init__(self, policy: UrlPolicy) -> None:
        self.policy = policy
        self._inner: httpx.AsyncBaseTransport | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send through the shared pool (made now if this is its first request)."""
        if self._inner is None:
            self._inner = pinned_transport(self.policy)
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        """A story's client closing leaves the pool to the others: see `close`."""

    async def close(self) -> None:
        """Close the pool (at the end of the batch)."""
        if self._inner is not None:
            inner, self._inner = self._inner, None
            await inner.aclose()


class ApiTransport(httpx.AsyncBaseTransport):
    """The API's connection pool, for every story's client: https requests through a verifying
    pool made at its first one; http requests (an emulator, a proxy of one's own) through one
    without CA certificates, which plain http never uses — loading them costs ~20 ms, and with
    an emulator it came before the first create. Were TLS ever tried without them, the
    handshake would fail: nothing is left unverified."""

    def __init__(self) -> None:
        self._pools: dict[str, httpx.AsyncHTTPTransport] = {}

    def _pool(self, scheme: str) -> httpx.AsyncHTTPTransport:
        if scheme not in self._pools:
            if scheme == "http":
                self._pools[scheme] = httpx.AsyncHTTPTransport(verify=ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT))
            else:
                self._pools[scheme] = httpx.AsyncHTTPTransport(verify=verified_tls())
        return self._pools[scheme]

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send through the pool of the request's scheme."""
        return await self._pool(request.url.scheme).handle_async_request(request)

    async def aclose(self) -> None:
        """Close the pools."""
        pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            await pool.aclose()


class DashScopeBackend:
    """Renders through the DashScope task API (or anything speaking it, like the emulator)."""

    name = "dashscope"

    def __init__(
        self,
        settings: RuntimeSettings,
        *,
        store: RecordStore | None = None,
        resubmit: bool = False,
        new_take: bool = False,
        transport: httpx.AsyncBaseTransport | None = None,
        plain_transport: httpx.AsyncBaseTransport | None = None,
        stores: Callable[[Path], RecordStore] | None = None,
        known_tasks: Callable[[], frozenset[str]] | None = None,
        submit_gate: SubmitGate | None = None,
        ledger: Ledger | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.resubmit = resubmit
        self.new_take = new_take
        self.transport = transport
        self.plain_transport = plain_transport  # None: each client makes its own pinned pool
        # A batch passes these: the journal's record of each output, the task ids of its
        # other stories, and the lock that serialises creates (see lifecycle.SubmitGate).
        self.stores = stores
        self.known_tasks = known_tasks
        self.submit_gate = submit_gate
        self.uploads = UploadCache(settings.home / C.UPLOAD_CACHE_FILE)
        # The per-user ledger of money spent: every create, from any folder, goes through it.
        self.home = state_home()
        self._ledger = ledger

    def store_for(self, out_path: Path) -> RecordStore:
        """The record store of an output: the engine's journal row, the one given, or memory."""
        if self.stores is not None:
            return self.stores(out_path)
        if self.store is None:
            self.store = MemoryRecordStore()
        return self.store

    @property
    def ledger(self) -> Ledger:
        """The ledger, opened on first use."""
        if self._ledger is None:
            self._ledger = open_ledger(self.home)
        return self._ledger

    async def render(self, payload: Payload, out_path: Path, events: EventSink) -> RenderResult:
        """Upload, submit (or resume), poll and download one story."""
        home = self.home
        async with DashScopeClient(self.settings, events=events, transport=self.transport,
                                   plain_transport=self.plain_transport) as client:  # fmt: skip
            lifecycle = Lifecycle(
                client=client,
                store=self.store_for(out_path),
                uploads=self.uploads,
                events=events,
                resubmit=self.resubmit,
                new_take=self.new_take,
                ledger=self.ledger,
                request_lock=lambda key: request_lock(home, key),
            )
            if self.known_tasks is not None:
                lifecycle.known_tasks = self.known_tasks
            if self.submit_gate is not None:
                lifecycle.submit_gate = self.submit_gate
            return await lifecycle.run(payload, out_path, story=out_path.stem)

    async def cancel(self, out_path: Path, events: EventSink) -> Canceled:
        """Cancel the task recorded for the story rendered to `out_path` (see `cancel_recorded`)."""
        async with DashScopeClient(self.settings, events=events, transport=self.transport,
                                   plain_transport=self.plain_transport) as client:  # fmt: skip
            return await cancel_recorded(client, self.store_for(out_path), out_path.stem)
