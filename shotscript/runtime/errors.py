"""The runtime's typed errors, and the pure mapping from HTTP status / API code to them."""

from __future__ import annotations

import re
from typing import Any, ClassVar

from shotscript.facts.errors import error_code
from shotscript.runtime import constants as C
from shotscript.runtime.redact import redact

_WS = re.compile(r"\s+")


def _one_line(text: str, limit: int = 300) -> str:
    """Collapse whitespace so any message prints on one line, redact it, and cap its length."""
    text = redact(_WS.sub(" ", text).strip())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _field(value: str | None, limit: int = 120) -> str | None:
    """A server-given identifier (code, request id) made safe to keep: one line, redacted."""
    return None if value is None else _one_line(value, limit)


class RenderError(Exception):
    """Base of every error the runtime raises; `retryable` says whether trying again may help.

    Messages are redacted here, so an error can never carry the key, whoever raises it.
    """

    retryable: ClassVar[bool] = False
    kind: ClassVar[str] = "error"
    # The process exit status when this error ends a render (docs/runtime-limits.md).
    exit_code: ClassVar[int] = C.EXIT_FAILED

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        self.message = _one_line(message)
        self.hint = _one_line(hint, 600) if hint is not None else None
        super().__init__(self.message)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description for state files and sidecars."""
        return {"kind": self.kind, "message": self.message, "retryable": self.retryable}


class ConfigError(RenderError):
    """The runtime cannot start: no key, a malformed base URL, a refused host."""

    kind = "config"


class UploadError(RenderError):
    """A local reference could not be read or uploaded."""

    kind = "upload"


class OutputError(RenderError, OSError):
    """The output folder cannot take the file: read-only, no permission, disk full.

    Also an OSError (with errno, strerror, filename), so code that handles the machine's
    errors handles this one too.
    """

    kind = "output"

    def __str__(self) -> str:
        return self.message


class UnsafePathError(OutputError):
    """A symbolic link where the render writes: refused, so nothing outside the folder changes."""

    kind = "unsafe_path"


class DownloadError(RenderError):
    """The video could not be fetched whole, or what came was not a playable MP4."""

    retryable = True
    kind = "download"


class DownloadTooSlowError(DownloadError):
    """The body came slower than the minimum throughput, or past the download deadline."""

    kind = "download_too_slow"


class DownloadTooLargeError(DownloadError):
    """The body is larger than any video of this story could be."""

    retryable = False
    kind = "download_too_large"


class UnsafeURLError(DownloadError):
    """A result, upload or redirect URL the URL policy refuses, or too many redirects."""

    retryable = False
    kind = "unsafe_url"


class PollTimeoutError(RenderError):
    """The task did not finish in time; it is still recorded, a rerun resumes polling."""

    retryable = True
    kind = "poll_timeout"


class OutcomeUnknownError(RenderError):
    """A create may or may not have made a task, and reconciling could not tell which."""

    kind = "needs_attention"
    exit_code = C.EXIT_ATTENTION


class UnfollowableCreateError(OutcomeUnknownError):
    """The service accepted a create but its answer gives no task id that can be followed: a
    task exists (and may be billed) that the task list may never show, so none is sent again."""

    kind = "create_unfollowable"


class APIConnectionError(RenderError):
    """The request got no HTTP answer; `sent` says whether it may have reached the server."""

    retryable = True
    kind = "connection"

    def __init__(self, message: str, *, sent: bool, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.sent = sent

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description, with whether the request may have been received."""
        return {**super().to_dict(), "sent": self.sent}


class APIError(RenderError):
    """An answer from the API that means failure: an HTTP error or a task that ended badly."""

    kind = "api"

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        request_id: str | None = None,
        task_id: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.status = status
        self.retry_after: float | None = None  # seconds the server asked for, when it did
        # Every string here may have come from the network: redacted once, here.
        self.code = _field(code)
        self.request_id = _field(request_id)
        self.task_id = _field(task_id)
        label = " ".join(p for p in (str(status) if status else "", self.code or "") if p)
        super().__init__(f"{label}: {message}" if label else message, hint=hint)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description with the API's status, code and request id."""
        return {
            **super().to_dict(),
            "status": self.status,
            "code": self.code,
            "request_id": self.request_id,
            "task_id": self.task_id,
        }


class BadRequestError(APIError):
    """The request is wrong (400/413/415): fix the story; sending it again cannot help."""

    kind = "bad_request"


class InvalidParameterError(BadRequestError):
    """A parameter the API refused (`InvalidParameter…`), at creation or when the task ran."""

    kind = "invalid_parameter"


class ContentModerationError(BadRequestError):
    """Content moderation refused the prompt or a reference (`DataInspectionFailed`, …)."""

    kind = "content_moderation"


class AuthenticationError(APIError):
    """The key was refused (401): wrong, revoked, or from another region."""

    kind = "authentication"


class PermissionDeniedError(APIError):
    """The account may not use this model or feature (403)."""

    kind = "permission_denied"


class NotFoundError(APIError):
    """The model or resource does not exist in this region (404)."""

    kind = "not_found"


class BillingError(APIError):
    """The account is overdue or has not bought the model: nothing to retry."""

    kind = "billing"


class RateLimitError(APIError):
    """Throttled (429): retry after a pause."""

    retryable = True
    kind = "rate_limit"


class ConcurrencyQuotaError(RateLimitError):
    """Too many tasks in progress (`Throttling.AllocationQuota`): retry after a longer pause."""

    kind = "concurrency_quota"


class RequestTimeoutError(APIError):
    """The server timed out reading the request (408)."""

    retryable = True
    kind = "request_timeout"


class RetryLaterError(APIError):
    """The service asked to wait longer than RETRY_AFTER_MAX: stop now, come back later."""

    kind = "retry_later"
    exit_code = C.EXIT_RETRY_LATER


class ServerError(APIError):
    """The service failed (5xx, `InternalError`, `ModelUnavailable`): retry later."""

    retryable = True
    kind = "server"


class TaskFailedError(APIError):
    """The task ended `FAILED` with a code not otherwise classified."""

    kind = "task_failed"


class TaskCanceledError(APIError):
    """The task was canceled before it produced a video."""

    kind = "task_canceled"


class TaskUnknownError(APIError):
    """The API does not know the task (expired or wrong id); it never recovers."""

    kind = "task_unknown"


class ProtocolError(APIError):
    """The API answered something this client does not understand."""

    kind = "protocol"


# The family a documented code belongs to (facts/errors.toml `kind`) -> error class.
KIND_TABLE: dict[str, type[APIError]] = {
    "invalid_parameter": InvalidParameterError,
    "bad_request": BadRequestError,
    "moderation": ContentModerationError,
    "billing": BillingError,
    "authentication": AuthenticationError,
    "permission": PermissionDeniedError,
    "not_found": NotFoundError,
    "timeout": RequestTimeoutError,
    "rate_limit": RateLimitError,
    "concurrency": ConcurrencyQuotaError,
    "server": ServerError,
}

# HTTP status -> error class, when the code is missing or unknown.
STATUS_TABLE: dict[int, type[APIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    408: RequestTimeoutError,
    413: BadRequestError,
    415: BadRequestError,
    429: RateLimitError,
}

REGION_HINT = (
    "keys, models and endpoints belong to one region: check that DASHSCOPE_API_KEY was "
    "issued for the story's region ({region}) or set DASHSCOPE_HTTP_BASE_URL to your "
    "key's endpoint"
)


def class_for_code(code: str | None, message: str | None = None) -> type[APIError] | None:
    """The error class an API code names (its entry in the facts, or the nearest prefix's)."""
    entry = error_code(code) if code else None
    if entry is None:
        return None
    if entry.spent_message and message and entry.spent_message in message:
        return BillingError  # the same code, another meaning: the free quota is spent
    return KIND_TABLE.get(entry.kind, APIError)


def class_for_status(status: int) -> type[APIError]:
    """The error class an HTTP status implies when no code says more."""
    if status >= 500:
        return ServerError
    return STATUS_TABLE.get(status, APIError)


def error_from_response(
    status: int,
    body: Any,
    *,
    request_id: str | None = None,
    region: str | None = None,
) -> APIError:
    """The typed error for an HTTP error answer (body is the decoded JSON, or text)."""
    code = message = None
    if isinstance(body, dict):
        code = _str_or_none(body.get("code"))
        message = _str_or_none(body.get("message"))
        request_id = _str_or_none(body.get("request_id")) or request_id
    elif isinstance(body, str) and body.strip():
        message = body
    cls = class_for_code(code, message) or class_for_status(status)
    hint = REGION_HINT.format(region=region or "?") if cls is AuthenticationError else hint_for(cls, code)
    return cls(
        message or f"HTTP {status}",
        status=status,
        code=code,
        request_id=request_id,
        hint=hint,
    )


def error_from_task(output: dict[str, Any], *, task_id: str, request_id: str | None) -> APIError:
    """The typed error for a task that ended FAILED (code and message may both be missing)."""
    code = _str_or_none(output.get("code"))
    message = _str_or_none(output.get("message")) or "the task failed without a reason"
    cls = class_for_code(code, message) or TaskFailedError
    return cls(
        f"task {task_id} failed: {message}",
        code=code,
        request_id=request_id,
        task_id=task_id,
        hint=hint_for(cls, code, task=True),
    )


# What to do about each family of error, most specific class first.
ADVICE: tuple[tuple[type[APIError], str], ...] = (
    (ContentModerationError, "change the prompt or the reference it refused"),
    (InvalidParameterError, "fix the story (`shotscript check` finds most of these before sending)"),
    (BadRequestError, "fix the story or its references (`shotscript check --probe-remote` tests URLs)"),
    (BillingError, "settle the account or buy the model in the Model Studio console"),
    (PermissionDeniedError, "enable the model for this account in the Model Studio console"),
    (NotFoundError, "check the story's model and region"),
    (RateLimitError, "wait a minute, then run the same command again"),
    (RequestTimeoutError, "run the same command again"),
    (ServerError, "the service failed: run the same command again later"),
)


def hint_for(cls: type[APIError], code: str | None, *, task: bool = False) -> str:
    """What the code means (from the facts) and what to do about it, as one hint line."""
    entry = error_code(code) if code else None
    advice = next((text for kind, text in ADVICE if issubclass(cls, kind)), None)
    if advice is None:
        advice = "see docs/runtime.md for what each error means"
    free = "; failed tasks cost nothing" if task else ""
    return f"{entry.meaning}: {advice}{free}" if entry else f"{advice}{free}"


def _str_or_none(value: object) -> str | None:
    return str(value) if value not in (None, "") else None
