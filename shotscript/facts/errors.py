"""The API's error codes and what each means, read from facts/errors.toml."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Literal

from shotscript.facts.capabilities import read_toml

Retry = Literal["no", "yes", "pause"]


@dataclass(frozen=True, slots=True)
class ApiErrorCode:
    """One documented code: its HTTP status, whether to retry, its family and meaning."""

    code: str
    http: int
    retry: Retry
    kind: str
    meaning: str
    spent_message: str | None = None  # Throttling.AllocationQuota: free quota spent


@cache
def error_codes() -> dict[str, ApiErrorCode]:
    """Every documented code by name (patterns such as `BadRequest.*` included as written)."""
    raw = read_toml("errors.toml")["codes"]
    return {
        code: ApiErrorCode(code, int(e["http"]), e["retry"], str(e["kind"]), str(e["meaning"]),
                           e.get("spent_message"))
        for code, e in raw.items()
    }


def error_code(code: str) -> ApiErrorCode | None:
    """What a code means: the exact entry, else the nearest `Prefix.*` or `Prefix` entry."""
    table = error_codes()
    if code in table:
        return table[code]
    parts = code.split(".")
    for n in range(len(parts) - 1, 0, -1):
        prefix = ".".join(parts[:n])
        found = table.get(prefix + ".*") or table.get(prefix)
        if found:
            return found
    return None
