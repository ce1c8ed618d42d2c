"""Test controls under `/_emulator/`: counters, task plans, reset, and the injections that
let a test stage what other clients of the account do (see tests/emulator_process.py)."""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from shotscript.emulator.accounts import accounts_from
from shotscript.emulator.errors import invalid
from shotscript.emulator.faults import FaultSpec
from shotscript.emulator.request_context import caller_for, json_body, parser_of, state_of
from shotscript.emulator.state import ArmedCreate

log = logging.getLogger("shotscript.emulator")


async def stats(request: Request) -> Response:
    """GET /_emulator/stats: counters, faults injected, tasks by status."""
    st = state_of(request)
    now = st.clock.mono()
    body = st.stats.as_dict()
    body["faults"] = dict(st.faults.counts)
    body["tasks"] = dict(Counter(t.status(now) for t in st.tasks.tasks.values()))
    body["injected"] = list(st.injected)
    body["armed"] = len(st.armed)
    return JSONResponse(body)


async def task_plans(request: Request) -> Response:
    """GET /_emulator/tasks: every task (injected ones too), oldest first, with its plan in
    real seconds, so a benchmark can compute the ideal schedule of the actual times."""
    st = state_of(request)
    now = st.clock.mono()
    rows = [
        {
            "task_id": t.task_id,
            "model": t.request.model,
            "status": t.status(now),
            "submitted": round(t.submit_wall, 3),
            "pending_s": round(t.pending_s, 4),
            "run_s": round(t.run_s, 4),
            "ends_after_s": round(t.ends_after(), 4),
        }
        for t in st.tasks.tasks.values()
    ]
    return JSONResponse({"tasks": rows})


async def create_as(request: Request) -> Response:
    """POST /_emulator/create_as: a task created by another key, for tests of what a client
    may adopt. JSON: `key` (required), `body` (a create body), `prompt` (replaces the
    body's prompt), `when`: "now" (default; needs `body`) or "next_create" (right after the
    next create request of any other key passes validation and quotas, whether it then makes
    its task or meets an injected fault; without `body` it copies that request's body)."""
    st = state_of(request)
    options = await json_body(request)
    if not isinstance(options, dict) or not isinstance(options.get("key"), str):
        raise invalid("create_as needs a JSON object with a `key`.")
    unknown = set(options) - {"key", "body", "prompt", "when"}
    body, prompt, when = options.get("body"), options.get("prompt"), options.get("when", "now")
    if unknown or when not in ("now", "next_create") or not isinstance(prompt, str | None):
        raise invalid(f"Bad create_as options: {sorted(unknown) or when!r}.")
    if not isinstance(body, dict | None) or (body is None and when == "now"):
        raise invalid("create_as needs a `body` object (optional only with when=next_create).")
    caller = caller_for(st, options["key"])
    if when == "next_create":
        st.armed.append(ArmedCreate(caller, body, prompt))
        return JSONResponse({"ok": True, "armed": len(st.armed)})
    assert body is not None
    task = st.inject(caller, body, prompt, parser_of(st))
    log.info("create %s (key %s) by the test control", task.task_id, caller.hint)
    return JSONResponse({"ok": True, "task_id": task.task_id})


async def fail_next_create(request: Request) -> Response:
    """POST /_emulator/fail_next_create: the next create request that passes validation and
    quotas meets a fault. JSON: `fault` "500" or "reset", `created` (bool): whether the
    task is made all the same (the unknown outcome, decided instead of drawn)."""
    st = state_of(request)
    options = await json_body(request)
    fault = options.get("fault") if isinstance(options, dict) else None
    created = options.get("created") if isinstance(options, dict) else None
    if fault not in ("500", "reset") or not isinstance(created, bool) or len(options) != 2:
        raise invalid('fail_next_create takes {"fault": "500" | "reset", "created": true | false}.')
    st.next_create_fault = (fault, created)
    return JSONResponse({"ok": True})


async def reset(request: Request) -> Response:
    """POST /_emulator/reset: forget everything; a JSON body may change `faults`, `accounts`
    ({name: [keys]}) and the fields in RESETTABLE (seed, timing, quotas) for what follows."""
    st = state_of(request)
    raw = await request.body()
    options = await json_body(request) if raw.strip() else {}
    if not isinstance(options, dict):
        raise invalid("The reset options must be a JSON object.")
    try:
        changes = _reset_changes(options)
        st.reset(**changes)
    except (TypeError, ValueError) as exc:
        raise invalid(f"Bad reset options: {exc}") from None
    shown = {k: (sorted(v) if k == "accounts" else v) for k, v in changes.items()}  # names, never keys
    log.info("reset %s", ", ".join(f"{k}={v}" for k, v in shown.items()))
    current = {name: getattr(st.config, name) for name in RESETTABLE}
    return JSONResponse({"ok": True, "faults": str(st.config.faults), **current})


# Config fields a reset may change, with their types (None allowed only for gen_seconds,
# meaning "back to the time scale").
RESETTABLE: dict[str, type] = {
    "seed": int,
    "time_scale": float,
    "timing": str,
    "legacy_fields": str,
    "gen_seconds": float,
    "slow_seconds": float,
    "max_running": int,
    "create_rps": float,
    "poll_rps": float,
}


def _reset_changes(options: dict[str, Any]) -> dict[str, Any]:
    unknown = set(options) - {"faults", "accounts", *RESETTABLE}
    if unknown:
        raise ValueError(f"unknown options {sorted(unknown)}")
    changes: dict[str, Any] = {}
    for name, value in options.items():
        if name == "faults":
            changes[name] = FaultSpec.parse(value)
        elif name == "accounts":
            changes[name] = accounts_from(value)
        elif name == "gen_seconds" and value is None:
            changes[name] = None
        else:
            changes[name] = _number(value, RESETTABLE[name])
    return changes


def _number(value: object, kind: type) -> Any:
    if kind is str:
        if not isinstance(value, str):
            raise ValueError(f"{value!r} is not a string")
        return value
    wrong_kind = kind is int and not isinstance(value, int)
    if isinstance(value, bool) or not isinstance(value, int | float) or wrong_kind:
        raise ValueError(f"{value!r} is not a{'n' if kind is int else ''} {kind.__name__}")
    return kind(value)
