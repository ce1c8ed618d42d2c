"""Mentions and line breaking on cards: CJK breaks anywhere, Latin at spaces, kinsoku respected."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shotscript.preview.highlight import mention_spans
from shotscript.preview.wrap import wrap


def _lines(text: str, width: float, names: tuple[str, ...] = ()) -> list[str]:
    return ["".join(t for t, _ in line) for line in wrap(mention_spans(text, names), width, len)]


@pytest.mark.parametrize(
    ("text", "names", "spans"),
    [
        ("@girl在办公室", ("girl",), [("@girl", "girl"), ("在办公室", None)]),
        ("@girls dance", ("girl",), [("@girls dance", None)]),  # ASCII name may not run on
        ("@{girl}s dance", ("girl",), [("@girl", "girl"), ("s dance", None)]),
        ("mail @@home", ("home",), [("mail @home", None)]),
        ("@小明和@小明的狗", ("小明", "小明的狗"), [("@小明", "小明"), ("和", None),
                                                 ("@小明的狗", "小明的狗")]),
        ("@ nobody", ("girl",), [("@ nobody", None)]),
    ],
)  # fmt: skip
def test_mention_spans(text: str, names: tuple[str, ...], spans: list[tuple[str, str | None]]) -> None:
    assert mention_spans(text, names) == spans


def test_cjk_breaks_between_characters() -> None:
    assert _lines("一二三四五六七八九十", 4) == ["一二三四", "五六七八", "九十"]


def test_latin_breaks_between_words_only() -> None:
    assert _lines("the quick brown fox jumps", 11) == ["the quick", "brown fox", "jumps"]
    assert _lines("3.5 don’t “quoted”", 9) == ["3.5 don’t", "“quoted”"]


def test_closing_punctuation_never_starts_a_line() -> None:
    lines = _lines("一二三。四五六，七八」九", 3)
    assert all(line[0] not in "。，」" for line in lines)
    assert "".join(lines) == "一二三。四五六，七八」九"


def test_opening_punctuation_never_ends_a_line() -> None:
    lines = _lines("一二「三四」五", 3)
    assert all(not line.endswith("「") for line in lines)


def test_a_mention_is_never_split() -> None:
    lines = _lines("手表收到消息通知,@girl轻触屏幕查看详情", 8, ("girl",))
    assert any("@girl" in line for line in lines)


def test_over_long_word_is_split_by_character() -> None:
    assert _lines("abcdefghij", 4) == ["abcd", "efgh", "ij"]


_text = st.lists(st.sampled_from([*"abc xyz 一二三四五六，。「」,.!?@", "girl", "  "]), max_size=40).map(
    "".join
)


@settings(max_examples=200, deadline=None)
@given(text=_text, width=st.integers(min_value=2, max_value=20))
def test_wrapping_keeps_every_character_and_the_width(text: str, width: int) -> None:
    spans = mention_spans(text, ("girl",))
    lines = wrap(spans, width, len)
    shown = "".join(t for t, _ in spans)
    joined = "".join("".join(t for t, _ in line) for line in lines)
    # Only spaces at line ends may go.
    assert joined.replace(" ", "") == shown.replace(" ", "")
    for line in lines:
        text_of_line = "".join(t for t, _ in line)
        assert len(text_of_line.rstrip()) <= width
