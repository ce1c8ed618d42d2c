"""Did-you-mean: the closest known spelling of a mistyped word."""

from __future__ import annotations

import re
from collections.abc import Iterable

_MAX_OPTIONS = 100


def closest(word: str, options: Iterable[str], cutoff: float = 0.6) -> str | None:
    """The option closest to `word`, or None when nothing is close enough."""
    # Bounded work however long the list: a story's own names beyond a few hundred are an
    # error already (at most five references), and each comparison costs a SequenceMatcher.
    options = list(options)[:_MAX_OPTIONS]
    lowered = {o.lower(): o for o in options}
    if word.lower() in lowered:
        return lowered[word.lower()]
    import difflib  # only when a word is wrong: keeps it off the start-up of a clean compile

    found = difflib.get_close_matches(word, options, n=1, cutoff=cutoff)
    return found[0] if found else None


def did_you_mean(word: str, options: Iterable[str], cutoff: float = 0.6) -> str | None:
    """`did you mean `x`?` for the closest option, or None."""
    best = closest(word, options, cutoff)
    return f"did you mean `{best}`?" if best else None


def one_of(word: str, options: Iterable[str]) -> str:
    """The closest option, if any, and every valid one: for values from a short closed list."""
    options = list(options)
    valid = "one of " + ", ".join(f"`{o}`" for o in options)
    best = did_you_mean(word, options)
    return f"{best} ({valid})" if best else f"use {valid}"


_MODEL_FIX = re.compile(r"(use )?`model ([^`]+)`")


def as_flag(help: str, flag: str, own: tuple[str, str] | None) -> str:
    """A help that says `model X` rewritten for a run whose model comes from `--model flag`:
    the flag is what to change (`--model X`), or to leave out when `own` — (the model, who
    says it: the story or its shotscript.toml) — is X itself."""

    def spoken(m: re.Match[str]) -> str:
        name = m.group(2)
        if own is not None and name == own[0]:
            return f"leave out `--model {flag}` ({own[1]} says `model {name}`)"
        return f"{m.group(1) or ''}`--model {name}`"

    return _MODEL_FIX.sub(spoken, help)


_YAML_WORDS = {"on": "true", "off": "false"}


def as_yaml(help: str, settings: Iterable[str]) -> str:
    """A help's settings in YAML spelling (`audio: false`, `size: 1280*720`) for a YAML story:
    the checks write them as the DSL does (`audio off`)."""
    names = "|".join(re.escape(n) for n in settings)

    def spoken(m: re.Match[str]) -> str:
        value = m.group(2)
        return f"`{m.group(1)}: {_YAML_WORDS.get(value, value)}`"

    return re.sub(rf"`({names}) ([^`]+)`", spoken, help)
