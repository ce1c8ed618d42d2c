"""One emitter per request protocol, over the same checked story (sqlglot-style dialects).

`Dialect` holds the whole procedure; a protocol is a subclass that overrides tables: which
parameters it sends and in what order, what it calls each kind of reference, and how the
references go into `input`. The prompt forms (markers, mention labels) are data files
(templates/dialects.toml). Adding a model of a known protocol needs none of this.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from shotscript.compiler.payload import MediaItem, PayloadInput, PayloadMeta
from shotscript.compiler.prompt import form

# Every parameter value the story settled (name -> value or None), whatever the protocol.
Params = dict[str, Any]


class Dialect:
    """The shared emitter; subclasses set the tables below."""

    protocol: ClassVar[str]
    # `parameters` in the documented order; each is sent when its value is not None.
    PARAMETERS: ClassVar[tuple[str, ...]]

    # --- mentions ------------------------------------------------------------------------------
    def roles(self, kinds: Iterable[tuple[str, str]], lang: str) -> dict[str, str]:
        """Each cast name's label in the prompt, from (name, kind) pairs in cast order."""
        f = form(self.protocol, lang)
        counters: dict[str, int] = {}
        out: dict[str, str] = {}
        for name, kind in kinds:
            key = kind if f.count == "kind" else "cast"
            counters[key] = counters.get(key, 0) + 1
            out[name] = (f.image if kind == "image" else f.video).format(n=counters[key])
        return out

    # --- parameters ----------------------------------------------------------------------------
    def parameters(self, values: Params) -> dict[str, Any]:
        """The parameters this protocol sends, in its order, from every value the story settled."""
        return {name: values[name] for name in self.PARAMETERS if values.get(name) is not None}

    # --- input ---------------------------------------------------------------------------------
    def input(self, prompt: str, negative: str | None, meta: PayloadMeta) -> PayloadInput:
        """`input` of the request."""
        raise NotImplementedError

    def reemit(self, old: PayloadInput, meta: PayloadMeta) -> PayloadInput:
        """`input` again, after the files' URLs changed (uploads)."""
        return self.input(old.prompt, old.negative_prompt, meta)


class Wan26(Dialect):
    """The legacy protocol: `reference_urls` strings, `characterN`, `size`, `shot_type`, `audio`."""

    protocol = "2.6"
    PARAMETERS = ("size", "duration", "shot_type", "audio", "watermark", "seed")

    def input(self, prompt: str, negative: str | None, meta: PayloadMeta) -> PayloadInput:
        """`input.reference_urls`: the cast's sources in cast order."""
        return PayloadInput(prompt=prompt, reference_urls=tuple(r.sent for r in meta.references),
                            negative_prompt=negative)


class Wan27(Dialect):
    """The 2.7 protocol: `media` items, 图1/视频1 per kind, `resolution` + `ratio`, voices."""

    protocol = "2.7"
    PARAMETERS = ("resolution", "ratio", "duration", "prompt_extend", "watermark", "seed")
    MEDIA_TYPES: ClassVar[dict[str, str]] = {"image": "reference_image", "video": "reference_video"}
    FIRST_FRAME = "first_frame"

    def input(self, prompt: str, negative: str | None, meta: PayloadMeta) -> PayloadInput:
        """`input.media`: the first frame first, then the cast in cast order with its voices."""
        items = [MediaItem(self.FIRST_FRAME, meta.first_frame.sent)] if meta.first_frame else []
        items += [MediaItem(self.MEDIA_TYPES[r.kind], r.sent, r.voice.sent if r.voice else None)
                  for r in meta.references]
        return PayloadInput(prompt=prompt, negative_prompt=negative, media=tuple(items))


DIALECTS: dict[str, type[Dialect]] = {"2.6": Wan26, "2.7": Wan27}


def dialect(protocol: str) -> Dialect:
    """The emitter of a protocol."""
    return DIALECTS[protocol]()

