"""The checks that run before anything is sent: every offline-checkable rule of the API."""

from __future__ import annotations

from pathlib import Path

from shotscript.compiler.ast import CastMember, Story
from shotscript.compiler.diagnostics import Sink
from shotscript.compiler.references import (
    URL_SCHEMES,
    kind_by_extension,
    local_path,
    scheme,
    valid_url,
)
from shotscript.compiler.suggest import did_you_mean
from shotscript.facts.capabilities import Capabilities


def _names(values: object) -> str:
    return ", ".join(str(v) for v in values)  # type: ignore[attr-defined]


def check_model_region(story: Story, caps: Capabilities, sink: Sink) -> tuple[str, str]:
    """Model and region known and compatible; returns the effective pair."""
    model = str(story.value("model") or caps.defaults["model"])
    region = str(story.value("region") or caps.defaults["region"])
    if model not in caps.models:
        s = story.settings["model"]
        sink.add("E401", s.value_span, value=model, help=did_you_mean(model, caps.models))
        model = ""
    if region not in caps.regions:
        s = story.settings["region"]
        sink.add("E402", s.value_span, value=region, help=did_you_mean(region, caps.regions))
        return model, ""
    r = caps.regions[region]
    if model and model not in r.models:
        s = story.settings.get("model") or story.settings.get("region")
        span = s.value_span if s else None
        sink.add("E403", span, model=model, region=region, models=_names(r.models),
                 help=f"use `model {r.models[0]}` or another region")
    return model, region


def check_parameters(story: Story, model: str, region: str, caps: Capabilities, sink: Sink) -> None:
    """size, audio, seed, shot_type and negative_prompt against the model's limits."""
    size = story.settings.get("size")
    if size and isinstance(size.value, str) and model:
        allowed = caps.sizes_for(model)
        if size.value not in allowed:
            fixed = size.value.replace("x", "*").replace("X", "*").replace("×", "*")
            fixed = fixed.replace(" ", "")
            hint = f"did you mean `{fixed}`?" if fixed in allowed else (
                "allowed: " + _names(allowed))
            sink.add("E405", size.value_span, value=size.value, model=model, help=hint)
    audio = story.settings.get("audio")
    if audio and audio.value is False and model and not caps.models[model].audio_off:
        silent = [m.name for m in caps.models.values() if m.audio_off]
        sink.add("E404", audio.value_span, model=model, models=_names(silent),
                 help=f"remove `audio off`, or use `model {silent[0]}`" if silent else None)
    seed = story.settings.get("seed")
    lo, hi = caps.limit("seed_min"), caps.limit("seed_max")
    if seed and isinstance(seed.value, int) and not lo <= seed.value <= hi:
        sink.add("E406", seed.value_span, value=seed.value, min=lo, max=hi)
    shot_type = story.settings.get("shot_type")
    kinds = caps.limits["shot_types"]
    assert isinstance(kinds, list)
    if shot_type and isinstance(shot_type.value, str) and shot_type.value not in kinds:
        sink.add("E407", shot_type.value_span, value=shot_type.value, allowed=" or ".join(kinds),
                 help=did_you_mean(shot_type.value, kinds))
    if shot_type and shot_type.value == "single" and len(story.shots) > 1:
        sink.add("W503", shot_type.value_span, count=len(story.shots),
                 help="remove `shot_type single` (several shots are sent as `multi`)")
    neg = story.settings.get("negative_prompt")
    limit = caps.limit("negative_prompt_chars")
    if neg and isinstance(neg.value, str) and len(neg.value) > limit:
        sink.add("E409", neg.value_span, count=len(neg.value), max=limit)
    lang = story.settings.get("lang")
    if lang and isinstance(lang.value, str):
        from shotscript.compiler.prompt import LANGS

        if lang.value not in LANGS:
            sink.add("E410", lang.value_span, value=lang.value, help=did_you_mean(lang.value, LANGS))


def check_duration(duration: int, story: Story, region: str, caps: Capabilities, sink: Sink) -> None:
    """Duration allowed in the region."""
    if not region:
        return
    allowed = caps.regions[region].durations
    if duration not in allowed:
        s = story.settings.get("duration")
        span = s.value_span if s else (story.shots[-1].span if story.shots else None)
        lo, hi = min(allowed), max(allowed)
        text = (f"whole seconds from {lo} to {hi}" if len(allowed) == hi - lo + 1
                else " or ".join(str(d) for d in allowed) + " seconds")
        near = min(allowed, key=lambda d: abs(d - duration))
        fix = f"use `duration {near}`"
        last = story.shots[-1].timing if story.shots else None
        if s is None and last is not None:  # the duration came from the shots: fix the last one
            span, fix = last.span, f"end the last shot at {near} s"
        sink.add("E201", span, value=duration, region=region, allowed=text, help=fix)


def _check_member(m: CastMember, story: Story, caps: Capabilities, sink: Sink) -> None:
    sch = scheme(m.source)
    if sch is not None:
        if sch not in URL_SCHEMES:
            sink.add("E307", m.source_span,
                     detail=f"`{sch}://` references are not supported (http, https, oss only)")
            return
        if not valid_url(m.source):
            sink.add("E307", m.source_span, detail=f"`{m.source}` is not a valid URL")
            return
        by_ext = kind_by_extension(m.source, caps)
        if by_ext and by_ext != m.kind:
            sink.add("W505", m.source_span, name=m.name, kind=m.kind, actual=f"an {by_ext}"
                     if by_ext == "image" else f"a {by_ext}")
        return
    path = local_path(m.source, story.path)
    if not path.is_file():
        sink.add("E308", m.source_span, path=m.source,
                 help="paths are relative to the story file's folder")
        return
    _check_media(m, path, sink)


def _check_media(m: CastMember, path: Path, sink: Sink) -> None:
    """Probe a local file (PyAV, Pillow) and report what the service would refuse."""
    from shotscript.media import check_reference, probe  # PyAV: only for local files

    info = probe(path)
    for problem in check_reference(info, m.kind):
        if problem.code == "media-kind-mismatch":
            actual = info.kind
            sink.add("E309", m.source_span, name=m.name, kind=m.kind, path=m.source,
                     actual=f"an {actual}" if actual == "image" else f"a {actual}",
                     help=f"declare it as `{actual}`")
        else:
            code = "E314" if problem.severity == "error" else "W506"
            sink.add(code, m.source_span, detail=f"{problem.message} [{problem.code}]",
                     help=problem.help)


_CAST_ERRORS = {"E305", "E306", "E312", "E313", "E106", "E117"}


def check_cast(story: Story, region: str, caps: Capabilities, sink: Sink) -> None:
    """Reference counts, kinds allowed in the region, sources usable, mentions used."""
    cast = story.cast
    lo, hi = caps.limit("references_min"), caps.limit("references_max")
    cast_span = cast[0].span if cast else story.cast_span
    # With no cast left because its lines were already reported, "0 references" is noise.
    reported = any(d.code in _CAST_ERRORS for d in sink.items)
    if not lo <= len(cast) <= hi and not (not cast and reported):
        span = cast[hi].span if len(cast) > hi else cast_span
        sink.add("E301", span, count=len(cast), min=lo, max=hi,
                 help=("add a `cast` section with at least one reference" if story.cast_span is None
                       else "add members under `cast`: `  name image path/or/URL`") if not cast
                 else "merge or drop references")
    videos = [m for m in cast if m.kind == "video"]
    images = [m for m in cast if m.kind == "image"]
    if len(videos) > caps.limit("videos_max"):
        sink.add("E302", videos[caps.limit("videos_max")].span, count=len(videos),
                 max=caps.limit("videos_max"), help="use an image for one of them")
    if len(images) > caps.limit("images_max"):
        sink.add("E303", images[caps.limit("images_max")].span, count=len(images),
                 max=caps.limit("images_max"))
    if region and images and "image" not in caps.regions[region].inputs:
        sink.add("E304", images[0].span, region=region,
                 help="use a video reference, or another region")
    for m in cast:
        _check_member(m, story, caps, sink)
    local = [m for m in cast if scheme(m.source) is None]
    if region and local and not caps.regions[region].uploads:
        up = [r.name for r in caps.regions.values() if r.uploads]
        sink.add("W504", local[0].source_span, regions=_names(up),
                 help="host the file at an http(s) URL the service can reach")
    mentioned = {mm.name for t in _texts(story) for mm in t.mentions()}
    for m in cast:
        if m.name not in mentioned:
            billed = " (its video is still billed)" if m.kind == "video" else ""
            sink.add("W501", m.span, name=m.name,
                     help=f"mention it as `@{m.name}`, or remove it{billed}")


def _texts(story: Story) -> list:  # type: ignore[type-arg]
    texts = [s.text for s in story.shots]
    return texts + [t for t in (story.intro, story.prompt) if t is not None]


def check_structure(story: Story, sink: Sink) -> None:
    """Shots or a prompt, not neither and not both."""
    if story.prompt is not None and story.shots:
        sink.add("E108", story.prompt.span,
                 help="move the prompt's text into the shots, or drop the shots")
    elif story.prompt is None and not story.shots:
        sink.add("E107", None, help="add `shot 0-5s …` lines, or one `prompt …` line")




def check_remote_references(story: Story, sink: Sink) -> None:
    """Fetch the start of each http(s) reference (ranged GET) and report what the service
    may fail to fetch or refuse: unreachable, an error status, not media, a private host."""
    from shotscript.media.remote import check_remote, probe_remote  # network: only when asked

    members = [m for m in story.cast if scheme(m.source) in ("http", "https") and valid_url(m.source)]
    if not members:
        return
    for m, info in zip(members, probe_remote([m.source for m in members]), strict=True):
        for problem in check_remote(info, m.kind):
            code = "E314" if problem.severity == "error" else "W506"
            sink.add(code, m.source_span, detail=f"{problem.message} [{problem.code}]",
                     help=problem.help)
