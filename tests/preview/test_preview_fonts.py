"""Fonts: a CJK font when the machine has one; otherwise a legible fallback with no tofu boxes."""

from __future__ import annotations

import pytest

from shotscript.preview import fonts as fonts_module
from shotscript.preview.fonts import Fonts, find_cjk_font, latin_fonts, system_fonts

TEXT = "@girl在办公室中抬起手腕查看手表,屏幕显示日程提醒。Then she smiles。"


def test_without_a_cjk_font_nothing_undrawable_is_drawn() -> None:
    fonts = latin_fonts()
    assert not fonts.cjk
    shown, omitted = fonts.legible(TEXT)
    assert omitted
    assert all(c.isspace() or fonts.has_glyph(c) for c in shown)
    assert shown.startswith("@girl[13\u00a0chars],[8\u00a0chars]")
    assert shown.endswith("Then she smiles. ")


def test_latin_text_is_left_alone() -> None:
    assert latin_fonts().legible("@girl waves.") == ("@girl waves.", False)


def test_no_cjk_font_on_the_machine_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fonts_module, "_run", lambda argv: "")
    monkeypatch.setattr(fonts_module, "_CJK_PATHS", ())
    assert find_cjk_font() is None
    system_fonts.cache_clear()
    try:
        fonts = system_fonts()
        assert not fonts.cjk
        assert fonts.legible("你好")[1]
    finally:
        system_fonts.cache_clear()


def test_without_any_font_file_pillow_s_own_font_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fonts_module, "_run", lambda argv: "")
    monkeypatch.setattr(fonts_module, "_LATIN_PATHS", {False: (), True: ()})
    face = fonts_module.find_latin_font()
    assert face.path is None
    fonts = Fonts(text=face, label=face)
    assert fonts.get(face, 20).getlength("abc") > 0
    assert fonts.legible("abc 你好")[0] == "abc [2\u00a0chars]"


@pytest.mark.skipif(find_cjk_font() is None, reason="no CJK font installed (fonts-wqy-zenhei)")
def test_with_a_cjk_font_chinese_is_drawn() -> None:
    fonts = system_fonts()
    assert fonts.cjk
    assert fonts.legible(TEXT) == (TEXT, False)
