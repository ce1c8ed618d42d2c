"""A small `multipart/form-data` reader for the upload host (python-multipart is not a dependency)."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import Message


@dataclass(frozen=True)
class Part:
    """One form field: its name, file name (for file parts), content type and bytes."""

    name: str
    filename: str | None
    content_type: str | None
    data: bytes

    @property
    def text(self) -> str:
        """The field's value as text."""
        return self.data.decode("utf-8", errors="replace")


def _params(header_name: str, value: str) -> Message:
    message = Message()
    message[header_name] = value
    return message


def boundary_of(content_type: str) -> str | None:
    """The boundary parameter of a `multipart/form-data` content type, if it is one."""
    message = _params("content-type", content_type)
    if message.get_content_type() != "multipart/form-data":
        return None
    boundary = message.get_param("boundary")
    return boundary if isinstance(boundary, str) and boundary else None


def parse_form(body: bytes, boundary: str) -> dict[str, Part]:
    """Parse a form body; raise ValueError when it is not well formed."""
    delimiter = b"\r\n--" + boundary.encode("latin-1")
    # Prefixing CRLF lets the first delimiter match the same pattern as the others.
    sections = (b"\r\n" + body).split(delimiter)
    if len(sections) < 3:
        raise ValueError("no form parts")
    parts: dict[str, Part] = {}
    for section in sections[1:]:
        if section.startswith(b"--"):
            return parts  # the closing delimiter
        head, sep, data = section.partition(b"\r\n\r\n")
        if not sep:
            raise ValueError("a form part has no header end")
        headers = _headers(head)
        disposition = _params("content-disposition", headers.get("content-disposition", ""))
        name = disposition.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            raise ValueError("a form part has no name")
        filename = disposition.get_filename()
        parts[name] = Part(name, filename, headers.get("content-type"), data)
    raise ValueError("the form has no closing delimiter")


def _headers(head: bytes) -> dict[str, str]:
    headers = {}
    for line in head.decode("utf-8", errors="replace").split("\r\n"):
        key, sep, value = line.partition(":")
        if sep:
            headers[key.strip().lower()] = value.strip()
    return headers
