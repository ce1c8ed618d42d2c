"""Shot text split into plain runs and `@mentions`, so cards can colour each cast member."""

from __future__ import annotations

from collections.abc import Sequence

Span = tuple[str, str | None]  # (text as shown, cast name it mentions or None)


def mention_spans(text: str, names: Sequence[str]) -> list[Span]:
    """Spans of `text` by the story language's mention rules; mentions shown as `@name`."""
    by_length = sorted(names, key=len, reverse=True)
    spans: list[Span] = []
    plain: list[str] = []
    i = 0
    while i < len(text):
        if text[i] != "@":
            plain.append(text[i])
            i += 1
            continue
        name, end = _mention_at(text, i + 1, by_length)
        if name is None:
            # `@@` is a literal `@`; an unknown `@x` is shown as written (the checker reports it).
            plain.append("@")
            i = end
            continue
        if plain:
            spans.append(("".join(plain), None))
            plain = []
        spans.append((f"@{name}", name))
        i = end
    if plain:
        spans.append(("".join(plain), None))
    return spans


def _mention_at(text: str, i: int, names: Sequence[str]) -> tuple[str | None, int]:
    """The cast name mentioned at `text[i:]` (just after an `@`) and where the mention ends."""
    if text.startswith("@", i):
        return None, i + 1
    if text.startswith("{", i):
        close = text.find("}", i)
        if close != -1 and text[i + 1 : close] in names:
            return text[i + 1 : close], close + 1
        return None, i
    for name in names:  # longest first
        end = i + len(name)
        if text.startswith(name, i) and not (name[-1:].isascii() and _ascii_word(text, end)):
            return name, end
    return None, i


def _ascii_word(text: str, i: int) -> bool:
    return i < len(text) and text[i].isascii() and text[i].isalnum()
