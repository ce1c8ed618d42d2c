"""A refused connection names where it was sent and what to check."""

from __future__ import annotations

import httpx

from shotscript.runtime.client import connection_error


def test_a_refused_connection_names_the_base_url_and_the_emulator() -> None:
    error = connection_error(httpx.ConnectError("refused"), "create", "http://127.0.0.1:9/api/v1")
    assert error.sent is False  # nothing left the machine: sending again is safe
    assert error.hint and "http://127.0.0.1:9/api/v1" in error.hint and "shotscript emulate" in error.hint
    cut = connection_error(httpx.ReadError("reset"), "create", "http://127.0.0.1:9/api/v1")
    assert cut.sent is True and cut.hint is None  # an answer cut short is not a wrong address
