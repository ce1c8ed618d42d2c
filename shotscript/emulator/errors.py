"""DashScope-style errors: `{"code", "message", "request_id"}` at top level, with a status.

Codes and their HTTP statuses are the facts package's (`facts/errors.toml`): `api_error`
refuses a code the table does not know, so the emulator cannot invent one.
"""

from __future__ import annotations

import math
import uuid
from typing import TYPE_CHECKING

from shotscript.facts.errors import error_code

if TYPE_CHECKING:
    from starlette.responses import JSONResponse

# Messages as the service words them, so clients that match on text behave the same.
MSG_THROTTLED = "Requests rate limit exceeded, please try again later."
MSG_ALLOCATION = "Too many tasks in progress, please wait for some of them to finish."
MSG_INTERNAL = "An internal error has occured, please try again later or contact service support."
MSG_SYNC = "current user api does not support synchronous calls"


def new_request_id() -> str:
    """A fresh request id (random: request ids are not part of repeatable behaviour)."""
    return str(uuid.uuid4())


class ApiError(Exception):
    """An error answer: HTTP status, DashScope code and message, optional extra headers."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}

    def response(self, request_id: str | None = None) -> JSONResponse:
        """The JSON answer the service would send."""
        from starlette.responses import JSONResponse  # the server's extra: only when serving

        body = {"code": self.code, "message": self.message, "request_id": request_id or new_request_id()}
        return JSONResponse(body, status_code=self.status, headers=self.headers)


def api_error(code: str, message: str, *, headers: dict[str, str] | None = None) -> ApiError:
    """The error answer of a documented code, with the HTTP status the facts give it."""
    entry = error_code(code)
    if entry is None or entry.http < 400:
        raise ValueError(f"{code} is not a documented error answer")  # a bug of the emulator
    return ApiError(entry.http, code, message, headers=headers)


def failure_code(code: str) -> str:
    """A documented code a FAILED task may report (checked against the facts)."""
    if error_code(code) is None:
        raise ValueError(f"{code} is not a documented error code")
    return code


def invalid(message: str, code: str = "InvalidParameter") -> ApiError:
    """A 400 for a request the service refuses outright."""
    return api_error(code, message)


def retry_after_text(seconds: float, *, fractional: bool = False) -> str:
    """A `Retry-After` value: whole seconds (at least 1), as the service sends; with
    `fractional` (a time scale below 1) a wait under a second keeps its milliseconds."""
    if fractional and seconds < 1:
        return f"{max(0.001, seconds):.3f}".rstrip("0").rstrip(".")
    return str(max(1, math.ceil(seconds - 1e-9)))


def throttled(code: str, message: str, retry_after: float, *, fractional: bool = False) -> ApiError:
    """A 429 with a `Retry-After` header (see `retry_after_text`)."""
    headers = {"Retry-After": retry_after_text(retry_after, fractional=fractional)}
    return api_error(code, message, headers=headers)
