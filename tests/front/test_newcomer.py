"""A newcomer's mistakes (#12): each gets one diagnostic at the right place with a fix."""

from __future__ import annotations

from pathlib import Path

from shotscript.compiler.driver import check_file, check_text

BAD = Path(__file__).resolve().parents[1] / "bad"
CAST = "cast\n  anna image https://e.com/a.png\n"


def helps(path: str) -> dict[str, str | None]:
    return {d.code: d.help for d in check_file(BAD / path).diagnostics}


def test_miao_is_a_time_unit() -> None:
    result = check_text(CAST + "shot 0-1秒 @anna转身。\nshot 1-3s @anna走\n", name="s.shot")
    assert result.payload is not None, result.diagnostics
    assert "[0-1秒] character1转身。" in result.payload.input.prompt
    assert "0-1秒 character1" not in result.payload.input.prompt


def test_time_shaped_text_gets_the_spelling_that_times_it() -> None:
    got = [d.help for d in check_file(BAD / "time-spellings.shot").diagnostics]
    assert got == ["write `shot 1-2s …` to time the shot", "write `shot 2-3s …` to time the shot"]
    [d] = check_text(CAST + "shot 0-3s@anna 走\n", name="s.shot").diagnostics
    assert d.code == "W101" and d.help == "put a space after `0-3s` to time the shot"
    # a bare number is text, not a time: no warning
    assert not check_text(CAST + "shot 3 people, @anna 走\n", name="s.shot").diagnostics


def test_yaml_keys_with_a_wrong_dash_name_the_fix() -> None:
    text = CAST.replace("cast\n  anna image", "cast:\n  anna: {image:") .replace(".png", ".png}")
    result = check_text(text + "shots:\n  - 0–3s: '@anna 走'\n", name="s.yaml")
    [d] = [d for d in result.diagnostics if d.code == "E101"]
    assert d.help == "write `0-3s`"


def test_bad_cast_names_are_one_diagnostic_with_an_example() -> None:
    assert helps("cast-name-digit.shot") == {"E312": "name it with a word, e.g. `girl2`"}
    assert list(helps("cast-name-emoji.shot")) == ["E312"]


def test_empty_cast_points_at_the_cast_line() -> None:
    assert helps("empty-cast.shot") == {"E301": "add members under `cast`: `  name image path/or/URL`"}


def test_shot_past_the_longest_duration_says_to_end_it_earlier() -> None:
    assert helps("shot-past-duration.shot") == {
        "E201": "end the last shot at 10 s, or `model wan2.7-r2v`"}


def test_yaml_syntax_errors_say_what_to_do() -> None:
    assert helps("yaml-unquoted-at.yaml")["E110"] == \
        'quote the text: `"@girl跳舞"` (YAML keeps `@` for itself)'
    assert helps("yaml-tabs.yaml")["E110"] == "indent with spaces: YAML does not allow tabs"
    assert helps("yaml-unclosed-brace.yaml")["E110"] == "add the `}` that closes it"


def test_full_width_forms_are_read_as_meant_with_a_warning() -> None:
    result = check_file(BAD / "setting-colon.shot")
    assert result.ok and result.story is not None
    assert result.story.value("duration") == 3 and result.story.value("title") == "广告"
    result = check_file(BAD / "wide-forms.shot")
    assert result.story is not None and result.story.value("size") == "1280*720"
    assert {d.code: d.help for d in result.diagnostics}["W104"] == "write `@anna` to mention it"


def test_an_unclosed_brace_mention_says_how_to_close_it() -> None:
    assert helps("brace-mention.shot") == {"E311": "close the brace: `@{anna}`"}
