"""The checks that run before anything is sent: every offline-checkable rule of the API."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from shotscript.compiler.ast import Plain, Span, Story, Text
from shotscript.compiler.diagnostics import Sink
from shotscript.compiler.mentions import wide_mentions
from shotscript.compiler.references import (
    URL_SCHEMES,
    kind_by_extension,
    local_path,
    scheme,
    valid_url,
)
from shotscript.compiler.sizing import nearest_size
from shotscript.compiler.suggest import did_you_mean, one_of
from shotscript.facts.capabilities import Capabilities, MediaLimits, Protocol


def _names(values: Iterable[object]) -> str:
    return ", ".join(str(v) for v in values)


def check_model_region(
    story: Story, caps: Capabilities, sink: Sink, model_override: str | None = None
) -> tuple[str, str]:
    """Model and region known and compatible; returns the effective pair.

    `model_override` (`--model`) wins over the story and its folder's shotscript.toml.
    """
    model = str(model_override or story.value("model") or caps.defaults["model"])
    region = str(story.value("region") or caps.defaults["region"])
    model_setting = None if model_override else story.settings.get("model")
    if model not in caps.models:
        span = model_setting.value_span if model_setting else None
        sink.add("E401", span, value=model, help=one_of(model, caps.models))
        model = ""
    if region not in caps.regions:
        s = story.settings["region"]
        sink.add("E402", s.value_span, value=region, help=one_of(region, caps.regions))
        return model, ""
    r = caps.regions[region]
    if model and model not in r.models:
        where = model_setting or story.settings.get("region")
        span = where.value_span if where else None
        elsewhere = [n for n, reg in caps.regions.items() if model in reg.models]
        fix = (" or ".join(f"`region {n}`" for n in elsewhere) + f", or `model {r.models[0]}`" if elsewhere
               else f"use `model {r.models[0]}` or another region")
        sink.add("E403", span, model=model, region=region, models=_names(r.models), help=fix)
    return model, region


def check_parameters(story: Story, model: str, region: str, caps: Capabilities, sink: Sink) -> None:
    """size, audio, seed, shot_type and negative_prompt against the model's limits."""
    protocol = caps.protocol_of(model)
    size = story.settings.get("size")
    if size and isinstance(size.value, str) and model:
        allowed = caps.sizes_for(model)
        if size.value not in allowed:
            fixed = size.value.replace("x", "*").replace("X", "*").replace("×", "*")
            fixed = fixed.replace(" ", "")
            near = nearest_size(fixed, allowed)
            hint = f"did you mean `{fixed}`?" if fixed in allowed else (
                f"the nearest is `size {near}`" + _pair_hint(near, protocol) if near
                else "allowed: " + _names(allowed))
            sink.add("E405", size.value_span, value=size.value, model=model, help=hint)
    audio = story.settings.get("audio")
    if audio and audio.value is False and model and not caps.models[model].audio_off:
        silent = [m.name for m in caps.models.values() if m.audio_off]
        sink.add("E404", audio.value_span, model=model, models=_names(silent),
                 help=f"remove `audio off`, or use `model {silent[0]}`" if silent else None)
    seed = story.settings.get("seed")
    lo, hi = protocol.limit("seed_min"), protocol.limit("seed_max")
    if seed and isinstance(seed.value, int) and not lo <= seed.value <= hi:
        sink.add("E406", seed.value_span, value=seed.value, min=lo, max=hi)
    shot_type = story.settings.get("shot_type")
    kinds = caps.default_protocol.limits["shot_types"] if model == "" else (
        protocol.limits["shot_types"] or caps.default_protocol.limits["shot_types"])
    assert isinstance(kinds, list)
    if shot_type and isinstance(shot_type.value, str) and shot_type.value not in kinds:
        sink.add("E407", shot_type.value_span, value=shot_type.value, allowed=" or ".join(kinds),
                 help=did_you_mean(shot_type.value, kinds))
    if (shot_type and shot_type.value == "single" and len(story.shots) > 1
            and "shot_type" in protocol.features):
        sink.add("W503", shot_type.value_span, count=len(story.shots),
                 help="remove `shot_type single` (several shots are sent as `multi`)")
    neg = story.settings.get("negative_prompt")
    limit = protocol.limit("negative_prompt_chars")
    if neg and isinstance(neg.value, str) and len(neg.value) > limit:
        sink.add("E409", neg.value_span, count=len(neg.value), max=limit)
    lang = story.settings.get("lang")
    if lang and isinstance(lang.value, str):
        from shotscript.compiler.prompt import LANGS

        if lang.value not in LANGS:
            sink.add("E410", lang.value_span, value=lang.value, help=one_of(lang.value, LANGS))


def _pair_hint(size: str, protocol: Protocol) -> str:
    """` (or `resolution R` + `ratio Q`)` where the protocol spells sizes that way."""
    pair = protocol.pair_of(size)
    if not pair or "resolution" not in protocol.features:
        return ""
    return f" (or `resolution {pair[0]}` + `ratio {pair[1]}`)"


def check_duration(
    duration: int, story: Story, model: str, region: str, caps: Capabilities, sink: Sink
) -> None:
    """Duration allowed for the model in the region (shorter with any reference video)."""
    if not region or not model:
        return
    videos = any(m.kind == "video" for m in story.cast)
    allowed = caps.durations(model, region, videos=videos)
    if duration not in allowed:
        s = story.settings.get("duration")
        span = s.value_span if s else (story.shots[-1].span if story.shots else None)
        lo, hi = min(allowed), max(allowed)
        text = (f"whole seconds from {lo} to {hi}" if len(allowed) == hi - lo + 1
                else " or ".join(str(d) for d in allowed) + " seconds")
        near = min(allowed, key=lambda d: abs(d - duration))
        longer = caps.durations(model, region)
        target = f"{model} in {region}"
        if videos and max(longer) > hi:
            target += " with a reference video"
        others = [m for m in caps.models_in(region) if duration in caps.durations(m, region, videos=videos)]
        fix = f"use `duration {near}`" + (f", or `model {others[0]}`" if others else "")
        last = story.shots[-1].timing if story.shots else None
        if s is None and last is not None:  # the duration came from the shots: fix the last one
            span = last.span
            fix = f"end the last shot at {near} s" + (f", or `model {others[0]}`" if others else "")
        sink.add("E201", span, value=duration, target=target, allowed=text, help=fix)


@dataclass(frozen=True, slots=True)
class Source:
    """A file a story refers to: a cast member's reference, its voice, or the first frame."""

    name: str  # as messages call it: `girl`, `girl voice`, `first_frame`
    kind: str  # "video" | "image" | "audio"
    source: str
    span: Span


KIND_WORDS = {"audio": "a voice"}


def article(kind: str) -> str:
    """`an image`, `a video`, `a voice`: a kind as messages name it."""
    return KIND_WORDS.get(kind) or (f"an {kind}" if kind[0] in "aeiou" else f"a {kind}")


# A look inside a local file the story refers to (it exists), reported on the sink. The
# compiler opens no media: the media stage lends this (shotscript.media.check); without it,
# local files are only checked to exist.
LocalProbe = Callable[[Source, Path, Mapping[str, MediaLimits], Sink], None]
# A look at the http(s) files of a story (`--probe-remote`), with the target's media limits.
RemoteProbe = Callable[[Story, Sink, Mapping[str, MediaLimits]], None]


def sources(story: Story) -> list[Source]:
    """Every file the story refers to, in story order: first frame, then each member and voice."""
    out: list[Source] = []
    first = story.settings.get("first_frame")
    if first is not None and isinstance(first.value, str) and first.value:
        out.append(Source("first_frame", "image", first.value, first.value_span))
    for m in story.cast:
        out.append(Source(m.name, m.kind, m.source, m.source_span))
        voice = getattr(m, "voice", None)
        if voice:
            out.append(Source(f"{m.name} voice", "audio", voice, m.voice_span))
    return out


def _check_source(
    src: Source, story: Story, media: Mapping[str, MediaLimits], sink: Sink, probe: LocalProbe | None
) -> None:
    sch = scheme(src.source)
    if sch is not None:
        if sch not in URL_SCHEMES:
            sink.add("E307", src.span,
                     detail=f"`{sch}://` references are not supported (http, https, oss only)")
            return
        if not valid_url(src.source):
            sink.add("E307", src.span, detail=f"`{src.source}` is not a valid URL")
            return
        by_ext = kind_by_extension(src.source, media)
        if by_ext and by_ext != src.kind:
            sink.add("W505", src.span, name=src.name, kind=KIND_WORDS.get(src.kind, src.kind),
                     actual=article(by_ext))
        return
    path = local_path(src.source, story.path)
    try:
        found = path.is_file()
    except OSError as e:  # a folder on the way that may not be read, a path too long
        sink.add("E308", src.span, path=f"{src.source} ({e.strerror or e})",
                 help="paths are relative to the story file's folder")
        return
    if not found:
        sink.add("E308", src.span, path=src.source,
                 help="paths are relative to the story file's folder")
        return
    if probe is not None:
        probe(src, path, media, sink)


_CAST_ERRORS = {"E305", "E306", "E312", "E313", "E106", "E117"}


def check_cast(
    story: Story, model: str, region: str, caps: Capabilities, sink: Sink, probe: LocalProbe | None = None
) -> None:
    """Reference counts, kinds allowed in the region, sources usable (local files looked into
    with `probe`), mentions used."""
    cast = story.cast
    protocol = caps.protocol_of(model)
    lo, hi = protocol.limit("references_min"), protocol.limit("references_max")
    cast_span = cast[0].span if cast else story.cast_span
    # With no cast left because its lines were already reported, "0 references" is noise.
    reported = any(d.code in _CAST_ERRORS for d in sink.items)
    if not lo <= len(cast) <= hi and not (not cast and reported):
        span = cast[hi].span if len(cast) > hi else cast_span
        sink.add("E301", span, count=len(cast), min=lo, max=hi,
                 help=("add a `cast` section with at least one reference" if story.cast_span is None
                       else "add members under `cast`: `  name image path/or/URL`") if not cast
                 else "merge or drop references" + (" (a first_frame does not count)"
                                                    if "first_frame" in protocol.features else ""))
    videos = [m for m in cast if m.kind == "video"]
    images = [m for m in cast if m.kind == "image"]
    videos_max, images_max = protocol.limit("videos_max"), protocol.limit("images_max")
    if len(videos) > videos_max:
        more = caps.models_allowing("videos_max", len(videos))
        sink.add("E302", videos[videos_max].span, count=len(videos), max=videos_max,
                 help="use an image for one of them" + (f", or `model {more[0]}`" if more else ""))
    # With no more images allowed than references, too many images is too many references:
    # E301 said it already.
    if len(images) > images_max and not (len(cast) > hi and images_max >= hi):
        sink.add("E303", images[images_max].span, count=len(images), max=images_max)
    if region and images and "image" not in caps.regions[region].inputs:
        sink.add("E304", images[0].span, region=region,
                 help="use a video reference, or another region")
    # Inputs the target lacks are reported by targets.py; their files are not probed.
    files = [s for s in sources(story) if s.kind in protocol.media]
    for src in files:
        _check_source(src, story, protocol.media, sink, probe)
    local = [s for s in files if scheme(s.source) is None]
    if region and local and not caps.regions[region].uploads:
        up = [r.name for r in caps.regions.values() if r.uploads]
        sink.add("W504", local[0].span, regions=_names(up),
                 help="host the file at an http(s) URL the service can reach")
    mentioned = {mm.name for t in _texts(story) for mm in t.mentions()}
    names = [m.name for m in cast]
    mentioned |= {  # `＠name` already has its W104: "never mentioned" would say it twice
        name for t in _texts(story) for s in t.segments if isinstance(s, Plain)
        for _, name in wide_mentions(s.text, names)
    }
    for m in cast:
        if m.name not in mentioned:
            billed = " (its video is still billed)" if m.kind == "video" else ""
            sink.add("W501", m.span, name=m.name,
                     help=f"mention it as `@{m.name}`, or remove it{billed}")


def _texts(story: Story) -> list[Text]:
    texts = [s.text for s in story.shots]
    return texts + [t for t in (story.intro, story.prompt) if t is not None]


def check_structure(story: Story, sink: Sink) -> None:
    """Shots or a prompt, not neither and not both."""
    if story.prompt is not None and story.shots:
        sink.add("E108", story.prompt.span,
                 help="move the prompt's text into the shots, or drop the shots")
    elif story.prompt is None and not story.shots:
        sink.add("E107", None, help="add `shot 0-5s …` lines, or one `prompt …` line")




def remote_sources(story: Story, media: Mapping[str, MediaLimits]) -> list[Source]:
    """The http(s) files of a story the target takes (references, voices, first frame)."""
    return [s for s in sources(story)
            if s.kind in media and scheme(s.source) in ("http", "https") and valid_url(s.source)]
