"""Assembles the payload of a checked story: request body, references, timeline, metadata."""

from __future__ import annotations

from shotscript.compiler.ast import Story
from shotscript.compiler.mentions import spell
from shotscript.compiler.payload import Payload, PayloadInput, PayloadMeta, Reference, ShotTiming
from shotscript.compiler.prompt import ShotText
from shotscript.compiler.references import local_path, scheme
from shotscript.compiler.settings import PARAMETER_ORDER, SETTINGS
from shotscript.facts.capabilities import Capabilities


def roles_of(story: Story) -> dict[str, str]:
    """Each cast name's role in the prompt: `character1`, `character2`, … in cast order."""
    return {m.name: f"character{i}" for i, m in enumerate(story.cast, 1)}


def parameters(story: Story, duration: int) -> dict[str, object]:
    """Only the parameters the story sets, plus `duration` always and `shot_type` when needed."""
    out: dict[str, object] = {}
    for name in PARAMETER_ORDER:
        value = duration if name == "duration" else story.value(name)
        if name == "shot_type" and value is None and len(story.shots) > 1:
            value = "multi"  # the API's default, single, would ignore the shot markers
        if value is not None and SETTINGS[name].api:
            out[name] = value
    return out


def references(story: Story) -> tuple[Reference, ...]:
    """The cast as the runtime needs it: URLs as written, local files resolved."""
    roles = roles_of(story)
    return tuple(
        Reference(
            name=m.name, role=roles[m.name], kind=m.kind, source=m.source,
            url=m.source if scheme(m.source) else None,
            path=None if scheme(m.source) else local_path(m.source, story.path).resolve(),
        )
        for m in story.cast
    )


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
    names = [m.name for m in story.cast]
    texts = [s.text for s in story.shots] or [story.prompt]
    shots = tuple(
        ShotTiming(index=st.index, start=st.start, end=st.end, text=spell(text, names),
                   prompt=st.text, cast=tuple(dict.fromkeys(m.name for m in text.mentions())))
        for st, text in zip(shot_texts, texts, strict=True)
        if text is not None
    )
    size = str(story.value("size") or caps.defaults["size"])
    audio = story.value("audio")
    negative = story.value("negative_prompt")
    title = story.value("title") or (story.path.stem if story.path else "story")
    return Payload(
        model=model,
        input=PayloadInput(prompt=prompt, reference_urls=tuple(m.source for m in story.cast),
                           negative_prompt=str(negative) if negative else None),
        parameters=parameters(story, duration),
        meta=PayloadMeta(
            title=str(title), story_path=story.path, region=region,
            base_url=caps.regions[region].base_url, lang=lang, size=size,
            tier=caps.tier_of(size) or "1080P",
            audio=bool(audio) if audio is not None else bool(caps.defaults["audio"]),
            references=references(story), shots=shots,
        ),
    )
