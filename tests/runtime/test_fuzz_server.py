"""Server answers fuzzed (hypothesis): whatever the server says, the client ends in a result
or a typed RenderError, never another exception, and no outcome carries the key. The long run
is `benchmarks/fuzz_server.py`."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from server_answers import KEY, OPERATIONS, Reply, answers, play


def check(operation: str, replies: list[Reply]) -> None:
    played = play(operation, replies)
    assert KEY not in played.text and "sk-0123456789abcdef" not in played.text, played
    assert played.outcome


QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large]


@settings(max_examples=80, deadline=None, suppress_health_check=QUIET)
@given(answer=answers())
def test_any_answer_ends_in_a_result_or_a_typed_error(answer: tuple[str, list[Reply]]) -> None:
    check(*answer)


@pytest.mark.parametrize("operation", OPERATIONS)
def test_each_operation_survives_its_own_answers(operation: str) -> None:
    @settings(max_examples=25, deadline=None, suppress_health_check=QUIET)
    @given(answer=answers(operation))
    def run(answer: tuple[str, list[Reply]]) -> None:
        check(*answer)

    run()


# Answers that once escaped as tracebacks, kept as regressions.
CRASHED = [
    # An error body nested 5,000 deep: redacting it recursed past Python's limit.
    ("poll", [Reply(401, {"content-type": "application/json"}, b"[" * 5000 + b"]" * 5000, "whole")]),
    ("create", [Reply(500, {}, b'{"code": ' * 3000, "whole")]),
    # A Retry-After of `inf` and of a date in year 9999.
    ("poll", [Reply(503, {"retry-after": "inf"}, b"{}", "whole")]),
    ("poll", [Reply(429, {"retry-after": "Fri, 31 Dec 9999 23:59:59 GMT"}, b"{}", "whole")]),
    # A 4,301-digit number where a time or size is expected.
    ("policy", [Reply(200, {}, b'{"data": {"max_file_size_mb": ' + b"9" * 4301 + b"}}", "whole")]),
    ("list", [Reply(200, {}, b'{"data": [{"task_id": "t-1", "gmt_create": "%s"}]}' % (b"9" * 4301), "")]),
]


@pytest.mark.parametrize(("operation", "replies"), CRASHED)
def test_answers_that_once_crashed(operation: str, replies: list[Reply]) -> None:
    check(operation, replies)
