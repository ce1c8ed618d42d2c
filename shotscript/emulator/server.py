"""Bind the socket, print where the emulator listens, and run uvicorn until told to stop."""

from __future__ import annotations

import logging
import socket
import sys
import threading

import uvicorn

from shotscript.emulator.app import create_app
from shotscript.emulator.config import EmulatorConfig
from shotscript.emulator.connections import TrackingH11Protocol
from shotscript.emulator.state import EmulatorState

READY_PREFIX = "shotscript emulator listening on "


def _url_host(host: str) -> str:
    if host in ("0.0.0.0", ""):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


def bind(host: str, port: int) -> socket.socket:
    """A listening-ready socket; port 0 picks a free port (read it with getsockname)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto=IPPROTO_TCP matters: asyncio turns Nagle off (TCP_NODELAY) only on sockets that
    # say they are TCP; without it every answer written in two parts waits ~40 ms for an ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    return sock


def _exit_on_stdin_eof(server: uvicorn.Server) -> None:
    # The parent (a test run) holds our stdin; when it dies the pipe closes and we follow.
    try:
        while sys.stdin.buffer.read(4096):
            pass
    except (OSError, ValueError):
        pass
    server.should_exit = True


def run(
    config: EmulatorConfig,
    *,
    log_level: str = "info",
    access_log: bool = False,
    watch_stdin: bool = False,
) -> None:
    """Serve until SIGINT/SIGTERM (or stdin EOF with `watch_stdin`)."""
    logging.basicConfig(
        level=log_level.upper(),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    sock = bind(config.host, config.port)
    port = sock.getsockname()[1]
    state = EmulatorState(config, public_url=f"http://{_url_host(config.host)}:{port}")
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(state),
            http=TrackingH11Protocol,
            lifespan="on",
            log_level="info" if access_log else "warning",
            access_log=access_log,
            timeout_graceful_shutdown=2,
        )
    )
    if watch_stdin:
        threading.Thread(target=_exit_on_stdin_eof, args=(server,), daemon=True).start()
    faults = str(config.faults) or "none"
    timing = config.timing if config.gen_seconds is None else f"fixed {config.gen_seconds:g} s"
    print(
        f"{READY_PREFIX}{state.public_url}/api/v1 (region {config.region}, "
        f"time scale {config.time_scale:g}, timing {timing}, faults {faults}, seed {config.seed})",
        flush=True,
    )
    try:
        server.run(sockets=[sock])
    finally:
        state.close()
        sock.close()
