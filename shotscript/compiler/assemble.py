"""Assembles the payload of a checked story: neutral metadata, then the target's emitter."""

from __future__ import annotations

from pathlib import Path

from shotscript.compiler.ast import CastMember, Story, Text
from shotscript.compiler.dialects import Dialect, dialect
from shotscript.compiler.mentions import spell
from shotscript.compiler.payload import Payload, PayloadMeta, Reference, ReferenceKind, ShotTiming
from shotscript.compiler.prompt import ShotText
from shotscript.compiler.references import local_path, scheme
from shotscript.compiler.sizing import Framing, settle
from shotscript.facts.capabilities import Capabilities


def roles_of(story: Story, target: Dialect | None = None, lang: str = "zh") -> dict[str, str]:
    """Each cast name's label in the prompt (2.6: `character1`…; 2.7: `图1`, `视频1`…)."""
    return (target or dialect("2.6")).roles(((m.name, m.kind) for m in story.cast), lang)


def framing(story: Story, caps: Capabilities, model: str) -> Framing:
    """The size settings of a story, settled for the model's protocol."""
    def text(name: str) -> str | None:
        value = story.value(name)
        return str(value) if value is not None else None

    first = text("first_frame")
    aspect = _local_aspect(local_path(first, story.path)) if first and scheme(first) is None else None
    return settle(text("size"), text("resolution"), text("ratio"), caps.protocol_of(model), aspect)


def _local_aspect(path: Path) -> float | None:
    """Width / height of a local image, from its header only (None when unreadable)."""
    from PIL import Image  # only for stories with a local first frame

    try:
        with Image.open(path) as im:
            return im.width / im.height if im.height else None
    except Exception:  # the checks already reported an unreadable file
        return None


def values(story: Story, duration: int, frame: Framing) -> dict[str, object]:
    """Every parameter value the story settled; each dialect sends the ones it has."""
    shot_type = story.value("shot_type")
    if shot_type is None and len(story.shots) > 1:
        shot_type = "multi"  # the 2.6 default, single, would ignore the shot markers
    return {
        "size": frame.size, "resolution": frame.resolution, "ratio": frame.ratio,
        "duration": duration, "shot_type": shot_type, "audio": story.value("audio"),
        "watermark": story.value("watermark"), "seed": story.value("seed"),
        "prompt_extend": story.value("prompt_extend"),
    }


def file_reference(name: str, role: str, kind: ReferenceKind, source: str, story: Story,
                   voice: Reference | None = None) -> Reference:
    """A reference as the runtime needs it: a URL as written, a local file resolved."""
    is_url = scheme(source) is not None
    return Reference(name=name, role=role, kind=kind, source=source,
                     url=source if is_url else None,
                     path=None if is_url else local_path(source, story.path).resolve(), voice=voice)


def _member(m: CastMember, role: str, story: Story) -> Reference:
    voice_source = getattr(m, "voice", None)
    voice = file_reference(f"{m.name} voice", "", "audio", voice_source, story) if voice_source else None
    return file_reference(m.name, role, m.kind, m.source, story, voice)


def references(story: Story, roles: dict[str, str] | None = None) -> tuple[Reference, ...]:
    """The cast as the runtime needs it, with voices; labels from `roles` (2.6 by default)."""
    roles = roles if roles is not None else roles_of(story)
    return tuple(_member(m, roles[m.name], story) for m in story.cast)


def assemble(
    story: Story,
    *,
    model: str,
    region: str,
    duration: int,
    lang: str,
    prompt: str,
    shot_texts: list[ShotText],
    caps: Capabilities,
) -> Payload:
    """The payload of a story that passed every check."""
    target = dialect(caps.protocol_of(model).name)
    names = [m.name for m in story.cast]
    texts: list[Text | None] = [s.text for s in story.shots] or [story.prompt]
    shots = tuple(
        ShotTiming(index=st.index, start=st.start, end=st.end, text=spell(text, names),
                   prompt=st.text, cast=tuple(dict.fromkeys(m.name for m in text.mentions())))
        for st, text in zip(shot_texts, texts, strict=True)
        if text is not None
    )
    frame = framing(story, caps, model)
    audio = story.value("audio")
    negative = story.value("negative_prompt")
    title = story.value("title") or (story.path.stem if story.path else "story")
    first = story.value("first_frame")
    meta = PayloadMeta(
        title=str(title), story_path=story.path, region=region,
        base_url=caps.regions[region].base_url, lang=lang, size=frame.output, tier=frame.tier,
        # `audio off` on a model that always has sound was refused by the checks.
        audio=bool(audio) if audio is not None else bool(caps.defaults["audio"]),
        references=references(story, roles_of(story, target, lang)), shots=shots,
        protocol=target.protocol, ratio=frame.output_ratio,
        first_frame=file_reference("first frame", "", "image", str(first), story) if first else None,
    )
    return Payload(model=model, input=target.input(prompt, str(negative) if negative else None, meta),
                   parameters=target.parameters(values(story, duration, frame)), meta=meta)
