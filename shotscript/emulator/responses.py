"""Answers beyond plain JSON: dropped connections, OSS XML errors, ranged (and cut) downloads."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from xml.sax.saxutils import escape

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from shotscript.emulator.connections import abort
from shotscript.emulator.errors import new_request_id

CHUNK = 64 * 1024


class DroppedConnection(Response):
    """No answer at all: the connection is reset (the `reset` fault)."""

    def __init__(self) -> None:
        super().__init__(status_code=500)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await abort(scope, receive, reset=True)


def oss_error(status: int, code: str, message: str) -> Response:
    """An error in the XML form OSS uses (upload host, result downloads)."""
    request_id = new_request_id().replace("-", "").upper()[:24]
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<Error>\n'
        f"  <Code>{escape(code)}</Code>\n  <Message>{escape(message)}</Message>\n"
        f"  <RequestId>{request_id}</RequestId>\n  <HostId>127.0.0.1</HostId>\n</Error>\n"
    )
    return Response(body, status_code=status, media_type="application/xml")


@dataclass(frozen=True)
class ByteRange:
    """An inclusive byte range of a file."""

    start: int
    end: int

    @property
    def length(self) -> int:
        """How many bytes it covers."""
        return self.end - self.start + 1


_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def parse_range(header: str | None, size: int) -> ByteRange | str | None:
    """The range a `Range` header asks for: a ByteRange, None for the whole file, or
    "unsatisfiable" (416). Several ranges are answered with the whole file, which HTTP allows.
    """
    if not header:
        return None
    match = _RANGE.match(header.strip().replace(" ", ""))
    if not match:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # a suffix: the last N bytes
        suffix = int(last)
        if suffix == 0:
            return "unsatisfiable"
        return ByteRange(max(0, size - suffix), size - 1)
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or (last and int(last) < start):
        return "unsatisfiable"
    return ByteRange(start, end)


def etag_of(data: bytes) -> str:
    """A strong ETag for a file's content."""
    return '"' + hashlib.md5(data, usedforsecurity=False).hexdigest().upper() + '"'


class MediaResponse(Response):
    """A result file, whole (200) or a byte range (206); optionally cut short on purpose.

    A cut download declares the full Content-Length, sends only `cut_at` bytes of the body
    and then closes the connection: what a client sees when a transfer breaks midway.
    """

    def __init__(
        self,
        data: bytes,
        *,
        range_header: str | None,
        if_range: str | None,
        head: bool,
    ) -> None:
        etag = etag_of(data)
        # If-Range with another version of the file: send all of it, not the range.
        wanted = parse_range(range_header, len(data)) if if_range in (None, etag) else None
        headers = {"accept-ranges": "bytes", "etag": etag, "content-type": "video/mp4"}
        self.status_code = 200
        self.body_part = data
        if wanted == "unsatisfiable":
            self.status_code, self.body_part = 416, b""
            headers["content-range"] = f"bytes */{len(data)}"
        elif isinstance(wanted, ByteRange):
            self.status_code = 206
            self.body_part = data[wanted.start : wanted.end + 1]
            headers["content-range"] = f"bytes {wanted.start}-{wanted.end}/{len(data)}"
        headers["content-length"] = str(len(self.body_part))
        self.background = None
        self.init_headers(headers)
        self.head = head
        self.cut_at: int | None = None

    @property
    def can_cut(self) -> bool:
        """Whether there is a body to cut short (at least two bytes)."""
        return not self.head and len(self.body_part) > 1

    def cut(self, fraction: float) -> None:
        """Send only this fraction of the body, then close the connection."""
        if self.can_cut:
            self.cut_at = min(len(self.body_part) - 1, max(1, int(len(self.body_part) * fraction)))

    @property
    def bytes_sent(self) -> int:
        """How many body bytes this answer sends."""
        if self.head:
            return 0
        return self.cut_at if self.cut_at is not None else len(self.body_part)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        if self.head:
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return
        end = self.bytes_sent
        for offset in range(0, end, CHUNK):
            last = offset + CHUNK >= end
            chunk = self.body_part[offset : min(end, offset + CHUNK)]
            more = not last or self.cut_at is not None  # a cut answer never says "done"
            await send({"type": "http.response.body", "body": chunk, "more_body": more})
        if self.cut_at is not None:
            await abort(scope, receive, reset=False)
        elif end == 0:
            await send({"type": "http.response.body", "body": b"", "more_body": False})
