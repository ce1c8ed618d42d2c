"""`voice SOURCE` on cast members (both spellings), text settings in YAML, fmt alignment."""

from __future__ import annotations

from shotscript.compiler import dsl, yaml_front
from shotscript.compiler.diagnostics import Sink
from shotscript.compiler.format import to_shot, to_yaml

DSL = """\
cast
  girl   image refs/girl.jpg   voice refs/girl-voice.mp3
  boy    video https://example.com/boy.mp4   voice https://example.com/boy.wav
  cat    image refs/my cat.png
  dog    image refs/voice
shot 0-3s @girl @boy @cat @dog 走
"""

YAML = """\
cast:
  girl: {image: refs/girl.jpg, voice: refs/girl-voice.mp3}
  boy: {video: https://example.com/boy.mp4, voice: https://example.com/boy.wav}
  cat: {image: refs/my cat.png}
  dog: {image: refs/voice}
shots:
  - 0-3s: "@girl @boy @cat @dog 走"
"""


def test_dsl_voice_is_parsed_with_its_place() -> None:
    sink = Sink()
    story = dsl.parse(DSL, sink)
    assert not sink.items
    got = [(m.name, m.kind, m.source, m.voice) for m in story.cast]
    assert got == [
        ("girl", "image", "refs/girl.jpg", "refs/girl-voice.mp3"),
        ("boy", "video", "https://example.com/boy.mp4", "https://example.com/boy.wav"),
        ("cat", "image", "refs/my cat.png", None),  # a source may hold blanks
        ("dog", "image", "refs/voice", None),  # `voice` only as a word of its own
    ]
    girl = story.cast[0]
    assert (girl.voice_span.line, girl.voice_span.column) == (2, 38)
    assert (girl.source_span.line, girl.source_span.column) == (2, 16)


def test_yaml_voice_builds_the_same_story() -> None:
    sink = Sink()
    story = yaml_front.parse(YAML, sink)
    assert story is not None and not sink.items
    assert story.cast[0].voice_span.line == 2
    assert story.to_dict() == dsl.parse(DSL, Sink()).to_dict()


def test_voice_without_a_source_is_one_diagnostic_and_no_cascade() -> None:
    sink = Sink()
    dsl.parse("cast\n  girl image a.png voice\nshot 0-3s @girl 走\n", sink)
    assert [(d.code, d.span.line, d.span.column) for d in sink.items] == [("E106", 2, 20)]


def test_fmt_aligns_voices_and_is_a_fixed_point() -> None:
    out = to_shot(dsl.parse(DSL, Sink()), DSL)
    assert out.splitlines()[1:5] == [
        "  girl  image refs/girl.jpg                voice refs/girl-voice.mp3",
        "  boy   video https://example.com/boy.mp4  voice https://example.com/boy.wav",
        "  cat   image refs/my cat.png",
        "  dog   image refs/voice",
    ]
    assert to_shot(dsl.parse(out, Sink()), out) == out
    back = yaml_front.parse(to_yaml(dsl.parse(DSL, Sink())), Sink())
    assert back is not None and back.to_dict() == dsl.parse(DSL, Sink()).to_dict()


def test_yaml_text_settings_keep_the_scalars_text() -> None:
    # YAML 1.1 reads an unquoted 16:9 as the sexagesimal 969 and 1.10 as 1.1.
    sink = Sink()
    story = yaml_front.parse("title: 16:9\nnegative_prompt: 1.10\nprompt: 走\n", sink)
    assert story is not None
    assert story.value("title") == "16:9"
    assert story.value("negative_prompt") == "1.10"
