"""A scriptable, hostile DashScope look-alike on 127.0.0.1: a real HTTP server in a thread.

    with HostileServer() as server:
        server.route("GET", "/api/v1/tasks/t1", json_answer(200, {...}))
        server.route("GET", "/video", redirect_loop())
        ... server.base_url (http://127.0.0.1:P/api/v1), server.url("/video"), server.hits

Every answer is a function of the request handler; the helpers below build the hostile ones.
Waits inside answers (a trickle) end at once when the server stops.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Answer = Callable[["_Handler"], None]


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.0"  # one request per connection: a body may end by closing

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _answer(self, method: str) -> None:
        path = self.path.split("?", 1)[0]
        self.server.owner.hits[(method, path)] += 1
        length = int(self.headers.get("content-length") or 0)
        self.body = self.rfile.read(length) if length else b""
        answer = self.server.owner.routes.get((method, path)) or self.server.owner.fallback
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up
            answer(self)

    def do_GET(self) -> None:
        self._answer("GET")

    def do_POST(self) -> None:
        self._answer("POST")

    @property
    def stop(self) -> threading.Event:
        return self.server.owner.stopping


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: HostileServer


class HostileServer:
    """Routes (method, path) -> answer; counts hits; serves until stopped."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], Answer] = {}
        self.hits: Counter[tuple[str, str]] = Counter()
        self.stopping = threading.Event()
        self.fallback: Answer = json_answer(404, {"code": "NotFound", "message": "no such route"})
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.owner = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def root(self) -> str:
        """http://127.0.0.1:PORT"""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def base_url(self) -> str:
        """What DASHSCOPE_HTTP_BASE_URL takes."""
        return self.root + "/api/v1"

    def url(self, path: str) -> str:
        """An absolute URL on this server."""
        return self.root + path

    def route(self, method: str, path: str, answer: Answer) -> None:
        """Answer `method path` with `answer` from now on."""
        self.routes[(method, path)] = answer

    def __enter__(self) -> HostileServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()


@contextmanager
def hostile_server() -> Iterator[HostileServer]:
    """A started server, stopped on leaving."""
    with HostileServer() as server:
        yield server


# --- answers ------------------------------------------------------------------------------


def json_answer(status: int, body: Any, headers: dict[str, str] | None = None) -> Answer:
    """A JSON document (or, for a str body, that text as is)."""
    data = body.encode() if isinstance(body, str) else json.dumps(body).encode()

    def answer(h: _Handler) -> None:
        h.send_response(status)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(data)

    return answer


def sequence(*answers: Answer) -> Answer:
    """Each request gets the next answer; the last one repeats."""
    state = {"i": 0}

    def answer(h: _Handler) -> None:
        i = min(state["i"], len(answers) - 1)
        state["i"] += 1
        answers[i](h)

    return answer


def redirect(location: str, status: int = 302) -> Answer:
    """A redirect to `location`."""

    def answer(h: _Handler) -> None:
        h.send_response(status)
        h.send_header("Location", location)
        h.send_header("Content-Length", "0")
        h.end_headers()

    return answer


def video_answer(data: bytes) -> Answer:
    """A whole MP4 with its length."""

    def answer(h: _Handler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "video/mp4")
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    return answer


def endless_body(head: bytes = b"\x00\x00\x00\x18ftypmp42", chunk: int = 1 << 16) -> Answer:
    """An MP4-looking body that never ends (no length: it would end when the server closes)."""

    def answer(h: _Handler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "video/mp4")
        h.end_headers()
        h.wfile.write(head)
        block = b"\x00" * chunk
        while not h.stop.is_set():
            h.wfile.write(block)

    return answer


def trickle(every: float = 5.0, total: int = 10_000) -> Answer:
    """A body announced as `total` bytes that comes one byte every `every` seconds."""

    def answer(h: _Handler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "video/mp4")
        h.send_header("Content-Length", str(total))
        h.end_headers()
        for _ in range(total):
            h.wfile.write(b"\x00")
            h.wfile.flush()
            if h.stop.wait(every):
                return

    return answer


# --- the task protocol ----------------------------------------------------------------------

CREATE = ("POST", "/api/v1/services/aigc/video-generation/video-synthesis")


def task_path(task_id: str) -> tuple[str, str]:
    """The route of a poll of `task_id`."""
    return ("GET", f"/api/v1/tasks/{task_id}")


def created(task_id: str, request_id: str = "req-create") -> Answer:
    """A create's answer."""
    return json_answer(
        200, {"output": {"task_id": task_id, "task_status": "PENDING"}, "request_id": request_id}
    )


def task(task_id: str, status: str, request_id: str = "req-poll", **output: Any) -> Answer:
    """A poll's answer."""
    return json_answer(
        200,
        {"output": {"task_id": task_id, "task_status": status, **output}, "request_id": request_id},
    )
