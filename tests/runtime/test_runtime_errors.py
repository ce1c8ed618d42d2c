"""The API's codes and statuses map to typed errors, each retryable or not."""

from __future__ import annotations

import pytest

from shotscript.runtime import errors as E

# (status, body, class, retryable)
RESPONSES = [
    (
        401,
        {"code": "InvalidApiKey", "message": "Invalid API-key provided."},
        E.AuthenticationError,
        False,
    ),
    (400, {"code": "InvalidParameter", "message": "size"}, E.InvalidParameterError, False),
    (
        400,
        {"code": "InvalidParameter.DataInspection", "message": "x"},
        E.BadRequestError,  # facts/errors.toml: a reference the service could not download
        False,
    ),
    (
        429,
        {"code": "Throttling.AllocationQuota", "message": "Free allocated quota exceeded."},
        E.BillingError,  # the same code, another meaning: not worth a retry
        False,
    ),
    (400, {"code": "DataInspectionFailed", "message": "x"}, E.ContentModerationError, False),
    (400, {"code": "BadRequest.TooLarge", "message": "x"}, E.BadRequestError, False),
    (415, {"code": "BadRequest.UnsupportedFileFormat"}, E.BadRequestError, False),
    (400, {"code": "InvalidURL", "message": "x"}, E.BadRequestError, False),
    (400, {"code": "Arrearage", "message": "overdue"}, E.BillingError, False),
    (403, {"code": "AccessDenied.Unpurchased"}, E.PermissionDeniedError, False),
    (403, {"code": "Model.AccessDenied"}, E.PermissionDeniedError, False),
    (404, {"code": "ModelNotFound"}, E.NotFoundError, False),
    (408, {"code": "RequestTimeOut"}, E.RequestTimeoutError, True),
    (429, {"code": "Throttling"}, E.RateLimitError, True),
    (429, {"code": "Throttling.RateQuota"}, E.RateLimitError, True),
    (429, {"code": "LimitRequests"}, E.RateLimitError, True),
    (429, {"code": "Throttling.AllocationQuota"}, E.ConcurrencyQuotaError, True),
    (429, {"code": "PrepaidBillOverdue"}, E.BillingError, False),
    (429, {"code": "CommodityNotPurchased"}, E.BillingError, False),
    (500, {"code": "InternalError"}, E.ServerError, True),
    (500, {"code": "InternalError.Algo"}, E.ServerError, True),
    (500, {"code": "SystemError"}, E.ServerError, True),
    (503, {"code": "ModelUnavailable"}, E.ServerError, True),
    # no code, or one we do not know: the status decides
    (502, "<html>Bad Gateway</html>", E.ServerError, True),
    (429, {}, E.RateLimitError, True),
    (401, None, E.AuthenticationError, False),
    (418, {"code": "Teapot"}, E.APIError, False),
    (400, {"code": "SomethingNew"}, E.BadRequestError, False),
]


@pytest.mark.parametrize(("status", "body", "cls", "retryable"), RESPONSES)
def test_error_from_response(status: int, body: object, cls: type, retryable: bool) -> None:
    error = E.error_from_response(status, body, request_id="hdr-id", region="beijing")
    assert type(error) is cls
    assert error.retryable is retryable
    assert error.status == status
    assert "\n" not in str(error)


def test_body_request_id_wins_and_code_is_in_the_message() -> None:
    body = {"code": "InvalidParameter", "message": "bad\nsize", "request_id": "body-id"}
    error = E.error_from_response(400, body, request_id="hdr-id")
    assert error.request_id == "body-id"
    assert str(error) == "400 InvalidParameter: bad size"


def test_bad_key_hints_at_a_region_mismatch() -> None:
    error = E.error_from_response(401, {"code": "InvalidApiKey"}, region="virginia")
    assert error.hint is not None
    assert "region" in error.hint and "virginia" in error.hint
    assert "DASHSCOPE_HTTP_BASE_URL" in error.hint


@pytest.mark.parametrize(
    ("output", "cls"),
    [
        ({"code": "DataInspectionFailed", "message": "sensitive"}, E.ContentModerationError),
        ({"code": "IPInfringementSuspect", "message": "ip"}, E.ContentModerationError),
        ({"code": "InvalidParameter", "message": "size"}, E.InvalidParameterError),
        ({"code": "InternalError", "message": "boom"}, E.ServerError),
        ({"code": "SomethingElse"}, E.TaskFailedError),
        ({}, E.TaskFailedError),  # a FAILED task may carry neither code nor message
    ],
)
def test_error_from_task(output: dict[str, str], cls: type) -> None:
    error = E.error_from_task(output, task_id="t-1", request_id="r-1")
    assert type(error) is cls
    assert error.task_id == "t-1"
    assert "t-1" in str(error)


def test_longest_code_wins() -> None:
    assert E.class_for_code("Throttling.AllocationQuota") is E.ConcurrencyQuotaError
    assert E.class_for_code("Throttling.Other") is E.RateLimitError
    assert E.class_for_code("ThrottlingX") is None
    assert E.class_for_code(None) is None


def test_to_dict_is_plain_data() -> None:
    error = E.error_from_response(429, {"code": "Throttling", "request_id": "r"})
    assert error.to_dict() == {
        "kind": "rate_limit",
        "message": "429 Throttling: HTTP 429",
        "retryable": True,
        "status": 429,
        "code": "Throttling",
        "request_id": "r",
        "task_id": None,
    }
    long = E.RenderError("x" * 1000)
    assert len(long.message) <= 300
