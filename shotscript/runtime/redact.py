"""Secrets out of every string that came from the network: the API key and `sk-…` tokens."""

from __future__ import annotations

import os
import re
from typing import Any
from urllib.parse import quote

from shotscript.runtime import constants as C

MASK = "***"
# What DashScope keys look like (`sk-` and 32 hex digits), and anything close: a server may
# echo another key of the account, which is just as secret as ours.
_TOKEN = re.compile(r"(?<![A-Za-z0-9])sk-[A-Za-z0-9][A-Za-z0-9_-]{7,}")
# Shorter "secrets" would blank ordinary words out of every message.
_MIN_SECRET = 6
_secrets: set[str] = set()


def add_secret(secret: str) -> None:
    """Remember a secret (the client does, for its key) so that `redact` removes it too."""
    if len(secret) >= _MIN_SECRET:
        _secrets.add(secret)


def _known() -> set[str]:
    env_key = os.environ.get(C.ENV_API_KEY, "").strip()
    return _secrets | {env_key} if len(env_key) >= _MIN_SECRET else _secrets


def redact(text: str) -> str:
    """`text` without the API key (as is, or URL-encoded) and without any `sk-…` token."""
    for secret in _known():
        if secret in text:
            text = text.replace(secret, MASK)
        quoted = quote(secret, safe="")
        if quoted != secret and quoted in text:
            text = text.replace(quoted, MASK)
    return _TOKEN.sub(MASK, text)


def redact_optional(text: str | None) -> str | None:
    """`redact` for a value that may be absent."""
    return None if text is None else redact(text)


def redact_tree(value: Any) -> Any:
    """A decoded JSON value with every string (keys too) redacted."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {redact(str(k)): redact_tree(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_tree(v) for v in value]
    return value
