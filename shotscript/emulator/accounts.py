"""Who is calling: API keys, the accounts they belong to, and the ids the emulator shows.

On the service, tasks and uploads belong to the Alibaba Cloud account, not to one key: any
key of the account can poll a task, the task list shows every key's tasks, and quotas are
the account's. The emulator never keeps or logs a key itself, only one-way ids of it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from shotscript.emulator.config import EmulatorConfig


@dataclass(frozen=True)
class Caller:
    """An authorized request's key, as far as the emulator may know it."""

    hint: str  # for logs: the last four characters
    key_id: str  # one-way id of the key (the task list's `api_key_id`)
    account: str  # one-way id of the account (tasks, uploads and quotas are scoped to it)


def _digest(kind: bytes, text: str) -> str:
    return hashlib.sha256(b"shotscript-emulator" + kind + b"\0" + text.encode()).hexdigest()[:12]


def key_id(api_key: str) -> str:
    """A stable, one-way id of an API key."""
    return _digest(b"", api_key)


def key_hint(api_key: str) -> str:
    """How a key may appear in logs: its last four characters only."""
    return "…" + api_key[-4:] if len(api_key) > 8 else "…"


def caller_of(api_key: str, config: EmulatorConfig) -> Caller:
    """The key's ids; a key outside every named account is an account of its own."""
    name = config.account_name(api_key)
    kid = key_id(api_key)
    account = kid if name is None else _digest(b":acct", name)
    return Caller(hint=key_hint(api_key), key_id=kid, account=account)


def accepts_key(api_key: str, config: EmulatorConfig) -> bool:
    """Whether a key is valid: in a named account, listed in `--keys`, or (with no
    `--keys`) any key not starting `bad`."""
    if config.account_name(api_key) is not None:
        return True
    if config.keys is not None:
        return api_key in config.keys
    return not api_key.startswith("bad")


def parse_account(spec: str) -> tuple[str, frozenset[str]]:
    """`NAME=K1,K2` (the `--account` flag) as (name, keys); ValueError when malformed."""
    name, sep, keys_text = spec.partition("=")
    keys = frozenset(k.strip() for k in keys_text.split(",") if k.strip())
    if not sep or not name.strip() or not keys:
        raise ValueError(f"expected NAME=KEY1,KEY2, got {spec!r}")
    return name.strip(), keys


def accounts_from(value: object) -> dict[str, frozenset[str]]:
    """Accounts from JSON (`{"team": ["k1", "k2"]}`) or flags (`["team=k1,k2"]`)."""
    if isinstance(value, Mapping):
        items: Iterable[tuple[object, object]] = value.items()
        accounts = {}
        for name, keys in items:
            if (
                not isinstance(name, str)
                or not isinstance(keys, list)
                or not all(isinstance(k, str) and k for k in keys)
            ):
                raise ValueError("accounts must map a name to a list of keys")
            accounts[name] = frozenset(keys)
        return accounts
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return dict(parse_account(v) for v in value)
    raise ValueError("accounts must map a name to a list of keys")
