"""Properties (hypothesis): valid stories compile and their prompts parse back into the same
timeline; fmt is a fixed point that keeps the AST; DSL → YAML → DSL keeps the AST; check
never crashes, whatever it is given."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import shotscript
from shotscript.compiler.driver import check_file, check_text
from shotscript.compiler.format import to_shot, to_yaml
from shotscript.compiler.prompt import markers
from tests.conftest import STORIES

ASCII_NAMES = st.from_regex(r"[a-z][a-z0-9_]{0,7}", fullmatch=True)
CJK_NAMES = st.text(alphabet="小明红猫狗女孩王李", min_size=1, max_size=3)
# Text without '@' or line breaks; CJK, Latin, digits, punctuation, inner spaces.
WORDS = st.text(alphabet="走路跑步在办公室中。,!abc xyzABC0123-'\"#{}", min_size=1, max_size=12)


@dataclass(frozen=True)
class Gen:
    """A generated story: its DSL text and what it must compile to."""

    text: str
    lang: str
    duration: int
    forms: list[str]  # how each shot's time is written: range, length or untimed
    slots: list[tuple[int, int]]  # the layout drawn (untimed shots may be laid out otherwise)
    prompts: list[str]  # each shot's compiled text


def _text(draw: st.DrawFn, names: list[str]) -> tuple[str, str]:
    """(source text with mentions, the compiled text with characterN)."""
    src, out = [], []
    for _ in range(draw(st.integers(1, 4))):
        if draw(st.booleans()):
            i = draw(st.integers(0, len(names) - 1))
            name = names[i]
            src.append(f"@{{{name}}}" if draw(st.booleans()) else f"@{name}")
            src.append(" ")  # a mention ends at a space whatever spelling was chosen
            out.append(f"character{i + 1} ")
        elif draw(st.booleans()):
            src.append("@@")
            out.append("@")
        w = draw(WORDS).strip() or "x"
        src.append(w)
        out.append(w)
    return "".join(src).strip(), "".join(out).strip()


@st.composite
def stories(draw: st.DrawFn) -> Gen:
    names = draw(st.lists(st.one_of(ASCII_NAMES, CJK_NAMES), min_size=1, max_size=5,
                          unique=True))
    # A name that is a prefix of another would change how `@short...` resolves; keep
    # such pairs out of the generator (the resolution rule has its own unit tests).
    names = [n for n in names if not any(m != n and m.startswith(n) for m in names)]
    kinds = ["video" if i < 3 and draw(st.booleans()) else "image" for i in range(len(names))]
    duration = draw(st.integers(2, 10))
    n = draw(st.integers(1, min(duration, 5)))
    cuts = sorted(draw(st.lists(st.integers(1, duration - 1), min_size=n - 1, max_size=n - 1,
                                unique=True)))
    bounds = [0, *cuts, duration]
    slots = list(itertools.pairwise(bounds))
    lang = draw(st.sampled_from(["zh", "en"]))
    lines = [f"duration {duration}", f"lang {lang}"]
    if n == 1:
        lines.append("shot_type multi")
    lines.append("cast")
    lines += [f"  {name} {kind} https://example.com/{i}.{'mp4' if kind == 'video' else 'png'}"
              for i, (name, kind) in enumerate(zip(names, kinds, strict=True))]
    prompts = []
    forms = []
    for a, b in slots:
        src, out = _text(draw, names)
        prompts.append(out)
        forms.append((draw(st.sampled_from(["range", "length", "untimed"])), a, b, src))
    for form, a, b, src in forms:
        time = {"range": f"{a}-{b}s ", "length": f"{b - a}s ", "untimed": ""}[form]
        if form == "untimed" and src[:1].isdigit():
            lines.append(f"shot\n  {src}")
        else:
            lines.append(f"shot {time}{src}")
    text = "\n".join(lines) + "\n"
    return Gen(text, lang, duration, [f for f, *_ in forms], slots, prompts)


def _mentions_everyone(text: str, names: list[str]) -> bool:
    return all(f"@{n}" in text or f"@{{{n}}}" in text for n in names)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(stories())
def test_valid_stories_compile_and_markers_parse_back(g: Gen) -> None:
    result = check_text(g.text, name="gen.shot")
    assert result.ok, [d.headline() for d in result.diagnostics]
    payload = result.payload
    assert payload is not None
    laid = [(s.start, s.end) for s in payload.meta.shots]
    # Contiguous from 0 to the duration, one slot per shot, each at least a second.
    assert laid[0][0] == 0 and laid[-1][1] == g.duration
    assert all(a < b for a, b in laid)
    assert all(x[1] == y[0] for x, y in itertools.pairwise(laid))
    for form, drawn, got in zip(g.forms, g.slots, laid, strict=True):
        if form == "range":
            assert got == drawn
        elif form == "length":
            assert got[1] - got[0] == drawn[1] - drawn[0]
    if "untimed" not in g.forms:
        assert laid == g.slots
    if len(laid) > 1:
        assert markers(g.lang, payload.input.prompt) == [
            (k, a, b) for k, (a, b) in enumerate(laid, 1)
        ]
    assert [s.prompt for s in payload.meta.shots] == g.prompts
    assert payload.parameters["duration"] == g.duration


@settings(max_examples=150, deadline=None)
@given(stories())
def test_fmt_keeps_the_ast_and_is_a_fixed_point(g: Gen) -> None:
    story = shotscript.loads(g.text)
    once = to_shot(story, g.text)
    again = shotscript.loads(once)
    assert again.to_dict() == story.to_dict()
    assert to_shot(again, once) == once


@settings(max_examples=150, deadline=None)
@given(stories())
def test_dsl_to_yaml_to_dsl_keeps_the_ast(g: Gen) -> None:
    story = shotscript.loads(g.text)
    via_yaml = shotscript.loads(to_yaml(story), name="gen.yaml")
    assert via_yaml.to_dict() == story.to_dict()
    back = shotscript.loads(to_shot(via_yaml))
    assert back.to_dict() == story.to_dict()


def _never_crashes(text: str, name: str) -> None:
    result = check_text(text, name=name)
    assert result.ok or result.diagnostics
    for d in result.diagnostics:
        assert d.span.line >= 1 and d.span.column >= 1
        assert d.headline().startswith(f"{name}:")


@settings(max_examples=300, deadline=None)
@given(st.text(), st.sampled_from(["x.shot", "x.yaml"]))
def test_check_never_crashes_on_arbitrary_text(text: str, name: str) -> None:
    _never_crashes(text, name)


SEEDS = [(p.read_text("utf-8"), "m" + p.suffix) for p in sorted((STORIES / "seed").iterdir())]


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(SEEDS), st.data())
def test_check_never_crashes_on_mutated_stories(seed: tuple[str, str], data: st.DataObject) -> None:
    text, name = seed
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(text)))
        j = data.draw(st.integers(i, min(len(text), i + 8)))
        text = text[:i] + data.draw(st.text(alphabet=st.characters(), max_size=6)) + text[j:]
    _never_crashes(text, name)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=300), st.sampled_from([".shot", ".yaml"]))
def test_check_never_crashes_on_arbitrary_bytes(tmp_path_factory: object, data: bytes,
                                                suffix: str) -> None:
    path = Path(tmp_path_factory.mktemp("b")) / f"x{suffix}"  # type: ignore[attr-defined]
    path.write_bytes(data)
    result = check_file(path)
    assert result.ok or result.diagnostics


# Story-shaped inputs for both front ends: lines built from the grammar's pieces (DSL) and
# documents of any YAML type under the story's keys (YAML), plus the YAML that trips loaders.
DSL_LINES = st.sampled_from([
    "title t", "model wan2.7-r2v", "ratio 16:9", "resolution 720P", "prompt_extend off",
    "first_frame f.png", "duration 5", "duration 99999999999999999999999999999999", "seed -1",
    "audio maybe", "size 1280＊720", "cast", "cast x", "  a image https://e.com/a.png",
    "  b video https://e.com/b.mp4 voice https://e.com/b.wav", "  c image c.png voice",
    "  🙂 image x.png", "  2girl image x.png", "  d image ~nobody/x.png", "shot 0-3s @a 走",
    "shot 0-1秒 @a", "shot 0–1s @a", "shot 0~3s", "shot　0-5s", "shot 5-11s @b", "shot",
    "  continued @{a} @@ @", "intro 夜", "prompt ＠a", "# note", "", "\t", "shot 3s {",
])
YAML_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=8),
    st.sampled_from(["16:9", "0-3s", "@a 走", "https://e.com/a.png", "!!int abc", "*a", "&a x"]),
)
YAML_VALUES = st.recursive(
    YAML_SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["image", "video", "voice", "0-3s", "3s", "a", "b"]), inner, max_size=3),
    max_leaves=8,
)
YAML_KEYS = st.sampled_from(["title", "model", "duration", "seed", "audio", "ratio", "cast",
                             "shots", "prompt", "intro", "voice", "first_frame", "x"])


@settings(max_examples=200, deadline=None)
@given(st.lists(DSL_LINES, max_size=10), st.sampled_from(["\n", "\r\n", "\r"]))
def test_check_never_crashes_on_story_shaped_dsl(lines: list[str], newline: str) -> None:
    _never_crashes(newline.join(lines) + newline, "x.shot")


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(YAML_KEYS, YAML_VALUES, max_size=6), st.booleans(), st.data())
def test_check_never_crashes_on_story_shaped_yaml(doc: dict[str, object], flow: bool,
                                                  data: st.DataObject) -> None:
    import yaml

    text = yaml.safe_dump(doc, allow_unicode=True, default_flow_style=flow)
    i = data.draw(st.integers(0, len(text)))
    junk = data.draw(st.sampled_from(["", "!!int ", "!!bool ", "!!float ", "&a ", "*a", "\t",
                                      "{", "- ", ": ", "? ", "<<: *a\n", "9" * 4301]))
    _never_crashes(text[:i] + junk + text[i:], "x.yaml")
