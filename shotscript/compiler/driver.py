"""The façade: the only module that knows the order of the stages (read → parse → check → compile)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from shotscript.compiler import checks, input_limits, targets
from shotscript.compiler.assemble import assemble, roles_of
from shotscript.compiler.ast import NOWHERE, Setting, Span, Story
from shotscript.compiler.checks import LocalProbe, RemoteProbe
from shotscript.compiler.diagnostics import Diagnostic, Sink, StoryError, display_path
from shotscript.compiler.dialects import dialect
from shotscript.compiler.folder_config import folder_config
from shotscript.compiler.mentions import compiled
from shotscript.compiler.natural import natural_key
from shotscript.compiler.payload import Payload
from shotscript.compiler.prompt import LANGS, ShotText, form, render
from shotscript.compiler.settings import SETTINGS
from shotscript.compiler.suggest import as_flag, as_yaml
from shotscript.compiler.timeline import Slot, check_slots, effective_duration, lay_out
from shotscript.facts.capabilities import Capabilities, capabilities

STORY_SUFFIXES = (".shot", ".yaml", ".yml")


@dataclass
class Result:
    """What checking one file gave: its text, the story and payload when they exist, findings."""

    path: str
    source: str | None
    story: Story | None = None
    payload: Payload | None = None
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No errors (warnings allowed)."""
        return not any(d.severity == "error" for d in self.diagnostics)


def _decode(data: bytes, sink: Sink) -> str | None:
    """UTF-8 text (a BOM is dropped), or None after pointing at the first bad byte."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        good = data[: e.start].decode("utf-8", "replace")
        line = good.count("\n") + 1
        col = len(good) - (good.rfind("\n") + 1) + 1
        sink.add("E109", Span.at(line, col, 1),
                 detail=f"byte 0x{data[e.start]:02x} is not UTF-8", help="save the file as UTF-8")
        return None


def _is_yaml(path: Path | None, name: str | None) -> bool:
    return Path(name or (path.name if path else "story.shot")).suffix.lower() in (".yaml", ".yml")


def _yaml_help(d: Diagnostic) -> Diagnostic:
    """The checks' helps spell settings as the DSL does; a YAML story's in its own spelling."""
    if not d.help or d.span.file is not None:  # a folder's shotscript.toml has its own
        return d
    return replace(d, help=as_yaml(d.help, SETTINGS))


def parse(
    text: str, sink: Sink, path: Path | None = None, name: str | None = None
) -> Story | None:
    """Parse story text (DSL or YAML, by the file extension); None when it is not a story."""
    suffix = Path(name or (path.name if path else "story.shot")).suffix.lower()
    if "\x00" in text:
        sink.add("E109", Span.at(1, 1, 1), detail="the file contains NUL bytes: not a text file")
        return None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as e:  # lone surrogates: only a str from code can hold them
        before = text[: e.start]
        line, col = before.count("\n") + 1, e.start - (before.rfind("\n") + 1) + 1
        sink.add("E109", Span.at(line, col, 1), detail="the text is not valid Unicode (a lone surrogate)")
        return None
    if suffix in (".yaml", ".yml"):
        from shotscript.compiler import yaml_front

        return yaml_front.parse(text, sink, path)
    from shotscript.compiler import dsl

    return dsl.parse(text, sink, path)


@dataclass(frozen=True)
class Checked:
    """What the checks settled: the effective model, region, duration and shot slots."""

    story: Story  # with its folder's defaults filled in
    model: str
    region: str
    duration: int
    slots: list[Slot] | None


def _check(
    story: Story, sink: Sink, caps: Capabilities, model: str | None = None, local: LocalProbe | None = None
) -> Checked:
    """Every check of the story, in order (local files looked into with `local`); findings go to `sink`."""
    defaults = folder_config(story.path, sink).settings
    if defaults:  # the story's own settings win over its folders'
        story = replace(story, settings={**defaults, **story.settings})
    checks.check_structure(story, sink)
    flagged = len(sink.items)  # from here on, a help naming a model speaks of `--model`
    own = story.settings.get("model")
    model_name, region = checks.check_model_region(story, caps, sink, model)
    if model:  # `--model` wins over the file and shotscript.toml
        chosen = Setting(name="model", value=model, span=NOWHERE, value_span=NOWHERE)
        story = replace(story, settings={**story.settings, "model": chosen})
    checks.check_parameters(story, model_name, region, caps, sink)
    targets.check_target(story, model_name, caps, sink)
    set_duration = story.value("duration")
    duration = effective_duration(
        story.shots,
        set_duration if isinstance(set_duration, int) else None,
        caps.default_duration,
    )
    slots = lay_out(story.shots, duration, sink) if story.shots else None
    if slots is not None:
        videos = any(m.kind == "video" for m in story.cast)
        allowed = caps.durations(model_name, region, videos=videos) if model_name and region else None
        check_slots(slots, duration, sink, story.shots, allowed)
    checks.check_duration(duration, story, model_name, region, caps, sink)
    checks.check_cast(story, model_name, region, caps, sink, local)
    if model:
        said = None
        if own is not None and own.value:
            said = (str(own.value), "its shotscript.toml" if own.span.file else "the story")
        sink.items[flagged:] = [replace(d, help=as_flag(d.help, model, said)) if d.help else d
                                for d in sink.items[flagged:]]
    return Checked(story, model_name, region, duration, slots)


def _compose(c: Checked, lang: str, sink: Sink, caps: Capabilities) -> tuple[str, list[ShotText]]:
    """The prompt and each shot's compiled text; a prompt over the limit is reported."""
    story = c.story
    protocol = caps.protocol_of(c.model)
    roles = roles_of(story, dialect(protocol.name), lang)
    intro = compiled(story.intro, roles) if story.intro else ""
    body = compiled(story.prompt, roles) if story.prompt else ""
    shot_texts = [
        ShotText(k, slot.start, slot.end, compiled(shot.text, roles))
        for k, (slot, shot) in enumerate(zip(c.slots or [], story.shots, strict=False), 1)
    ]
    prompt = render(lang, intro, shot_texts, body, protocol.name)
    limit = protocol.limit("prompt_chars")
    if len(prompt) > limit:
        # Point at the shot that crosses the limit (or the prompt of a shotless story).
        span = (story.prompt or (story.shots[0] if story.shots else story.intro) or story).span
        for k in range(1, len(shot_texts) + 1):
            if len(render(lang, intro, shot_texts[:k], "", protocol.name)) > limit:
                span = story.shots[k - 1].span
                break
        labels = form(protocol.name, lang)
        spelled = ", ".join(dict.fromkeys(f"`{x.format(n='N')}`" for x in (labels.image, labels.video)))
        longer = caps.models_allowing("prompt_chars", len(prompt))
        sink.add("E408", span, count=len(prompt), max=limit,
                 help=f"cut {len(prompt) - limit} characters (mentions count as {spelled})"
                 + (f", or use `model {longer[0]}`" if longer else ""))
    if not story.shots:
        shot_texts = [ShotText(1, 0, c.duration, body)]  # the whole video is one "shot"
    return prompt, shot_texts


def _build_payload(
    story: Story, sink: Sink, caps: Capabilities, model: str | None = None, local: LocalProbe | None = None
) -> Payload | None:
    """Run the checks and, if nothing is wrong, build the payload."""
    c = _check(story, sink, caps, model, local)
    lang = str(c.story.value("lang") or caps.defaults["lang"])
    if lang not in LANGS:
        return None  # reported by the checks
    prompt, shot_texts = _compose(c, lang, sink, caps)
    if sink.errors or (story.shots and c.slots is None) or not c.model or not c.region:
        return None
    return assemble(c.story, model=c.model, region=c.region, duration=c.duration, lang=lang,
                    prompt=prompt, shot_texts=shot_texts, caps=caps)


def check_text(
    text: str,
    path: Path | None = None,
    name: str | None = None,
    *,
    model: str | None = None,
    local: LocalProbe | None = None,
    remote: RemoteProbe | None = None,
) -> Result:
    """Parse, check and compile story text; every finding is in the result.

    `model` (the `--model` flag) targets another model than the story and its folder name.
    `local` and `remote` look inside the files the story refers to (the media stage lends
    them: shotscript.media.check); without them files are not opened or fetched.
    """
    shown = display_path(path) if path else (name or "<story>")
    sink = Sink(shown)
    story = parse(text, sink, path, name)
    parsed = len(sink.items)
    payload = _build_payload(story, sink, capabilities(), model, local) if story is not None else None
    if _is_yaml(path, name):
        sink.items[parsed:] = [_yaml_help(d) for d in sink.items[parsed:]]
    if story is not None and remote is not None:
        caps = capabilities()
        target = payload.model if payload else str(model or story.value("model") or caps.defaults["model"])
        remote(story, sink, caps.protocol_of(target).media)
        if sink.errors:
            payload = None
    return Result(shown, text, story, payload, sink.sorted())


def check_file(
    path: Path,
    *,
    model: str | None = None,
    local: LocalProbe | None = None,
    remote: RemoteProbe | None = None,
) -> Result:
    """Read, parse, check and compile one story file (see check_text for `model`, `local`, `remote`)."""
    shown = display_path(path)
    sink = Sink(shown)
    text = _read(path, sink)
    if text is None:
        return Result(shown, None, diagnostics=sink.sorted())
    return check_text(text, path, model=model, local=local, remote=remote)


def _read(path: Path, sink: Sink) -> str | None:
    """A story file's text, or None after saying why not; never more than the size limit is
    read (a huge file is refused without holding it in memory)."""
    most = input_limits.limits().file_bytes
    try:
        with path.open("rb") as f:
            data = f.read(most + 1)
            size = os.fstat(f.fileno()).st_size if len(data) > most else len(data)
    except OSError as e:
        sink.add("E111", None, detail=f"cannot read {display_path(path)}: {e.strerror or e}")
        return None
    if size > most:
        sink.add("E112", Span.at(1, 1), size=size, max=most, help="split it into several stories")
        return None
    return _decode(data, sink)


def iter_stories(paths: list[Path] | tuple[Path, ...]) -> Iterator[Path]:
    """Story files named or found under the given folders, lazily: recursively, each folder's
    entries in natural order (v2 before v10), one directory listing at a time."""
    for p in paths:
        yield from (_walk(p) if p.is_dir() else (p,))


def _walk(folder: Path) -> Iterator[Path]:
    try:
        entries = sorted(os.scandir(folder), key=lambda e: natural_key(e.name))
    except OSError:
        return
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            yield from _walk(Path(entry.path))
        elif os.path.splitext(entry.name)[1].lower() in STORY_SUFFIXES and entry.is_file():
            yield Path(entry.path)


def find_stories(paths: list[Path]) -> list[Path]:
    """Story files named or found under the given folders (see iter_stories), as a list."""
    return list(iter_stories(paths))


def loads(text: str, *, name: str = "story.shot") -> Story:
    """Parse story text; raise StoryError if it cannot be read as a story."""
    sink = Sink(name)
    story = parse(text, sink, None, name)
    if story is None or sink.errors:
        raise StoryError(sink.sorted(), text)
    return story


def load(path: str | Path) -> Story:
    """Read and parse a story file; raise StoryError if it cannot be read as a story."""
    p = Path(path)
    sink = Sink(display_path(p))
    text = _read(p, sink)
    if text is None:
        raise StoryError(sink.sorted())
    story = parse(text, sink, p.absolute())
    if story is None or sink.errors:
        raise StoryError(sink.sorted(), text)
    return story


def compile_story(story: Story, model: str | None = None, local: LocalProbe | None = None) -> Payload:
    """Check a story and compile it (for `model` when given; local files looked into with
    `local`); raise StoryError with every diagnostic if it has errors."""
    sink = Sink(display_path(story.path) if story.path else "<story>")
    payload = _build_payload(story, sink, capabilities(), model, local)
    if payload is None:
        raise StoryError(sink.sorted(), _source(story))
    return payload


def _source(story: Story) -> str | None:
    try:
        return story.path.read_text("utf-8-sig") if story.path else None
    except OSError:
        return None
