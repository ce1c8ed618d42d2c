"""Natural order of names: `v2` before `v10`, as people number their stories."""

from __future__ import annotations

import re

_DIGITS = re.compile(r"(\d+)")


def natural_key(text: str) -> tuple[tuple[int, int | str], ...]:
    """A sort key in which digit runs compare as numbers and letters ignore case."""
    return tuple((1, int(part)) if part.isdigit() else (0, part.casefold())
                 for part in _DIGITS.split(text) if part)  # fmt: skip


def natural_compare(a: str, b: str) -> int:
    """-1, 0 or 1 (a SQLite collation)."""
    ka, kb = natural_key(a), natural_key(b)
    return (ka > kb) - (ka < kb)
