"""Mentions, as the spec states them: longest cast name wins, ASCII names do not run into
ASCII letters, `@{name}` is explicit, `@@` is a literal `@`, everything else is byte for byte."""

from __future__ import annotations

import pytest

from shotscript.compiler.driver import check_text
from shotscript.compiler.mentions import resolve


@pytest.mark.parametrize(
    ("word", "names", "expected"),
    [
        ("girl在办公室", ["girl"], "girl"),  # CJK text right after an ASCII name
        ("girls", ["girl"], None),  # `@girls` is unknown, not `@girl` + `s`
        ("girl2", ["girl"], None),  # digits run on too
        ("girl_2", ["girl"], None),
        ("girls", ["girl", "girls"], "girls"),  # the longest name at that point
        ("小明在家", ["小", "小明"], "小明"),
        ("小红在家", ["小", "小明"], "小"),  # CJK names may run into CJK text
        ("a", ["a", "ab"], "a"),
        ("abc", ["a", "ab"], None),
    ],
)
def test_resolve(word: str, names: list[str], expected: str | None) -> None:
    assert resolve(word, names) == expected


CAST = "cast\n  girl video https://e.com/g.mp4\n  girls video https://e.com/gs.mp4\n"


@pytest.mark.parametrize(
    ("text", "prompt"),
    [
        ("@girl在办公室。@girls 跳舞", "character1在办公室。character2 跳舞"),
        ("@{girl}s 和 @girls", "character1s 和 character2"),
        ("邮件 a@@b.com 给 @girl", "邮件 a@b.com 给 character1"),
        ("@girl, #tag 100% {x} 'q' \"d\"", "character1, #tag 100% {x} 'q' \"d\""),
        ("@girl\u3000全角空格", "character1\u3000全角空格"),
    ],
)
def test_compiled_text(text: str, prompt: str) -> None:
    result = check_text(f"{CAST}prompt {text}\n", name="s.shot")
    assert result.payload is not None, [d.headline() for d in result.diagnostics]
    assert result.payload.input.prompt == prompt


def test_continued_lines_join_by_script() -> None:
    story = (f"{CAST}duration 4\n"
             "shot 0-2s @girl走进\n  办公室。\n"
             "shot 2-4s @girls walks\n  into the room,\n  smiling.\n")
    result = check_text(story, name="s.shot")
    assert result.payload is not None
    texts = [s.prompt for s in result.payload.meta.shots]
    assert texts == ["character1走进办公室。", "character2 walks into the room, smiling."]
