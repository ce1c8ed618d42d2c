"""What one target model has and another lacks: every such setting or input is a diagnostic
naming the models that have it, never a silent drop (the rules' data: facts/capabilities.toml)."""

from __future__ import annotations

from shotscript.compiler.ast import Span, Story
from shotscript.compiler.diagnostics import Sink
from shotscript.compiler.sizing import nearest_ratio, nearest_resolution
from shotscript.facts.capabilities import Capabilities

# Inputs a story may use that only some protocols have, and how messages name them.
_INPUTS = {"voice": "`voice` (per-reference voices)", "first_frame": "`first_frame`",
           "prompt_extend": "`prompt_extend`"}
# Settings a protocol may have no use for: sent nowhere, with the reason.
_DROPS = {
    "shot_type": ("`shot_type`", "multi-shot comes from the prompt's shot markers"),
    "audio": ("`audio` switch", "it always makes video with sound"),
}


def _listing(models: tuple[str, ...]) -> tuple[str, str]:
    return ", ".join(models), "has" if len(models) == 1 else "have"


def check_target(story: Story, model: str, caps: Capabilities, sink: Sink) -> None:
    """Inputs the target lacks (errors), settings it drops (warnings), and its size table."""
    if not model:
        return
    protocol = caps.protocol_of(model)
    for m in story.cast:
        if getattr(m, "voice", None) and "voice" not in protocol.features:
            _lacks(model, "voice", m.voice_span, caps, sink)
    for name in ("first_frame", "prompt_extend"):
        s = story.settings.get(name)
        if s is not None and s.value is not None and name not in protocol.features:
            _lacks(model, name, s.value_span, caps, sink)
    for name, (what, why) in _DROPS.items():
        s = story.settings.get(name)
        if s is None or name in protocol.features:
            continue
        if name == "audio" and s.value is False:
            continue  # `audio off` on a model that always has sound: E404
        users = caps.models_with(name)
        sink.add("W508", s.span, model=model, what=what, why=why,
                 help=f"remove `{name}` ({_listing(users)[0]} {_listing(users)[1]} it)")
    _check_frame(story, model, caps, sink)


def _lacks(model: str, feature: str, span: Span, caps: Capabilities, sink: Sink) -> None:
    models, have = _listing(caps.models_with(feature))
    first = caps.models_with(feature)[:1]
    sink.add("E501", span, model=model, what=_INPUTS[feature], models=models, have=have,
             help=f"use `model {first[0]}`, or remove it" if first else "remove it")


def _check_frame(story: Story, model: str, caps: Capabilities, sink: Sink) -> None:
    """Size spellings: one of them, values from the model's table; a ratio beside a first frame."""
    protocol = caps.protocol_of(model)
    size = story.settings.get("size")
    resolution, ratio = story.settings.get("resolution"), story.settings.get("ratio")
    for other in (resolution, ratio):
        if size is not None and other is not None:
            sink.add("E503", other.span, other=other.name,
                     help=f"keep `size {size.value}`, or replace it by `resolution` and `ratio`")
    tiers = caps.models[model].tiers
    res = resolution.value if resolution is not None else None
    if resolution is not None and isinstance(res, str) and res not in tiers:
        sink.add("E502", resolution.value_span, name="resolution", value=res, model=model,
                 allowed=" or ".join(tiers), help=f"use `resolution {nearest_resolution(res, tiers)}`")
    rat = ratio.value if ratio is not None else None
    if ratio is not None and isinstance(rat, str) and rat not in protocol.ratios:
        sink.add("E502", ratio.value_span, name="ratio", value=rat, model=model,
                 allowed=", ".join(protocol.ratios), help=f"use `ratio {nearest_ratio(rat, protocol)}`")
    first = story.settings.get("first_frame")
    shaped = ratio or size
    if first is not None and first.value and shaped is not None and "first_frame" in protocol.features:
        what = f"`ratio {rat}`" if ratio is not None else f"the ratio of `size {shaped.value}`"
        sink.add("W507", shaped.span, model=model, what=what,
                 help="remove the ratio, or use a first frame of that ratio")
