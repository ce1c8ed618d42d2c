"""The settings a story may set, their types, and the conversion of written values."""

from __future__ import annotations

import re
from dataclasses import dataclass

from shotscript.compiler.ast import SettingValue, Span
from shotscript.compiler.diagnostics import Sink


@dataclass(frozen=True)
class SettingSpec:
    """A setting's name and value type; `api` settings are sent as `parameters`.

    A `word` setting's value is one word (no spaces), so `  # …` after it is a comment, as
    the spec's Targets example writes (`ratio 16:9   # 16:9 | 9:16 …`); free text (title,
    negative_prompt) keeps every `#`.
    """

    name: str
    type: type
    api: bool = False
    word: bool = True


SETTINGS: dict[str, SettingSpec] = {
    s.name: s
    for s in (
        SettingSpec("title", str, word=False),
        SettingSpec("model", str),
        SettingSpec("region", str),
        SettingSpec("lang", str),
        SettingSpec("size", str, api=True),
        SettingSpec("resolution", str, api=True),  # 2.7 spelling of the size: 720P | 1080P
        SettingSpec("ratio", str, api=True),  # 16:9 | 9:16 | 1:1 | 4:3 | 3:4
        SettingSpec("duration", int, api=True),
        SettingSpec("shot_type", str, api=True),
        SettingSpec("audio", bool, api=True),
        SettingSpec("watermark", bool, api=True),
        SettingSpec("seed", int, api=True),
        SettingSpec("prompt_extend", bool, api=True),  # 2.7 only
        SettingSpec("negative_prompt", str, word=False),
        SettingSpec("first_frame", str),  # 2.7 only: an image, URL or local file
    )
}

# The order of settings in formatted stories (each dialect orders its own `parameters`).
SETTING_ORDER = tuple(SETTINGS)

SECTIONS_DSL = ("cast", "intro", "prompt", "shot")
SECTIONS_YAML = ("cast", "intro", "prompt", "shots")

_TRUE = {"on", "true", "yes"}
_FALSE = {"off", "false", "no"}
_END_COMMENT = re.compile(r"\s+#.*\Z", re.S)
_INT = re.compile(r"[+-]?\d+")
_DECIMAL = re.compile(r"[+-]?\d*\.\d+|[+-]?\d+\.\d*")


def _to_bool(raw: object) -> bool | None:
    if isinstance(raw, bool):
        return raw
    word = str(raw).strip().lower()
    return True if word in _TRUE else False if word in _FALSE else None


def _to_int(raw: object) -> int | float | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float):
        return int(raw) if raw.is_integer() else raw
    text = str(raw).strip()
    if _INT.fullmatch(text):
        return int(text)
    if _DECIMAL.fullmatch(text):
        return float(text)
    return None


def convert(
    spec: SettingSpec, raw: object, span: Span, sink: Sink, shown: str | None = None
) -> SettingValue | None:
    """The typed value of a written setting, or None after reporting why it is invalid."""
    if spec.word and isinstance(raw, str):
        raw = _END_COMMENT.sub("", raw)
        shown = None if shown is None else _END_COMMENT.sub("", shown)
    shown = str(raw) if shown is None else shown
    if spec.type is bool:
        value = _to_bool(raw)
        if value is None:
            sink.add("E105", span, name=spec.name, value=shown,
                     expected="is on or off (also true/false, yes/no)",
                     help=f"write `{spec.name} on` or `{spec.name} off`")
        return value
    if spec.type is int:
        number = _to_int(raw)
        if isinstance(number, float):
            if spec.name == "duration":
                sink.add("E202", span, what="duration", value=shown,
                         help=f"use {int(number)} or {int(number) + 1}")
            else:
                sink.add("E105", span, name=spec.name, value=shown, expected="is a whole number")
            return None
        if number is None:
            sink.add("E105", span, name=spec.name, value=shown, expected="is a whole number")
        return number
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, int | float):
        # The text as written: YAML 1.1 reads an unquoted `16:9` as the number 969.
        return shown.strip()
    if isinstance(raw, str):
        return raw.strip()
    sink.add("E105", span, name=spec.name, value=shown, expected="is a single value")
    return None

