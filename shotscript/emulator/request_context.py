"""What every route needs from a request: the emulator state, the caller, the JSON body."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request

from shotscript.emulator.accounts import Caller
from shotscript.emulator.errors import api_error, invalid
from shotscript.emulator.state import EmulatorState, Parse
from shotscript.emulator.validate import parse_create


def state_of(request: Request) -> EmulatorState:
    """The state of the emulator serving this request."""
    return request.app.state.emulator  # type: ignore[no-any-return]


def public_url(request: Request) -> str:
    """http://host:port as clients reach this emulator."""
    return state_of(request).public_url or str(request.base_url).rstrip("/")


def authorize(request: Request) -> Caller:
    """Who sent a request with a valid `Authorization: Bearer` (401 otherwise)."""
    scheme, _, key = request.headers.get("authorization", "").partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not key:
        raise api_error("InvalidApiKey", "No API-key provided.")
    return caller_for(state_of(request), key)


def caller_for(st: EmulatorState, key: str) -> Caller:
    """The ids of a valid key (401 for an unknown one)."""
    if not st.accepts_key(key):
        raise api_error("InvalidApiKey", "Invalid API-key provided.")
    return st.caller(key)


async def json_body(request: Request) -> Any:
    """The request's JSON (400 when it is none)."""
    try:
        body = json.loads(await request.body())
        # JSON may spell lone UTF-16 surrogates ("\ud800"), which are no text at all.
        json.dumps(body, ensure_ascii=False).encode("utf-8")
    except (ValueError, UnicodeError, RecursionError):
        raise invalid("The request body is not valid JSON.") from None
    return body


def parser_of(st: EmulatorState) -> Parse:
    """How this emulator validates a create body (injected bodies too: `oss://` needs no
    header there)."""
    return lambda body: parse_create(
        body, region=st.region, oss_resolve=True, legacy_fields=st.config.legacy_fields
    )
