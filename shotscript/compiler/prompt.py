"""Prompt assembly by the jinja2 templates shipped in compiler/templates/, one per protocol × lang."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import jinja2

_TEMPLATES = resources.files("shotscript.compiler").joinpath("templates")


@dataclass(frozen=True, slots=True)
class PromptForm:
    """How one protocol writes prompts in one language: template, marker, mention labels."""

    template: str
    marker: str
    image: str
    video: str
    count: str  # "cast" or "kind"


_FORMS: dict[str, dict[str, PromptForm]] = {
    protocol: {lang: PromptForm(**spec) for lang, spec in langs.items()}
    for protocol, langs in tomllib.loads(_TEMPLATES.joinpath("dialects.toml").read_text("utf-8")).items()
}
LANGS: tuple[str, ...] = tuple(dict.fromkeys(lang for langs in _FORMS.values() for lang in langs))
DEFAULT_PROTOCOL = "2.6"


@dataclass(frozen=True, slots=True)
class ShotText:
    """A shot as the template sees it."""

    index: int
    start: int
    end: int
    text: str


def form(protocol: str, lang: str) -> PromptForm:
    """The prompt form of a protocol and language."""
    return _FORMS[protocol][lang]


@cache
def template(lang: str, protocol: str = DEFAULT_PROTOCOL) -> jinja2.Template:
    """The compiled template (StrictUndefined: a missing field fails loudly)."""
    import jinja2

    env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)
    return env.from_string(_TEMPLATES.joinpath(form(protocol, lang).template).read_text("utf-8"))


def render(
    lang: str, intro: str, shots: list[ShotText], prompt: str, protocol: str = DEFAULT_PROTOCOL
) -> str:
    """The prompt for a story: intro, then each shot's marker and text (or the prompt)."""
    return template(lang, protocol).render(intro=intro, shots=shots, prompt=prompt)


def markers(lang: str, prompt: str, protocol: str = DEFAULT_PROTOCOL) -> list[tuple[int, int, int]]:
    """The (shot number, start, end) of each shot marker in a compiled prompt."""
    found = re.finditer(form(protocol, lang).marker, prompt)
    return [(int(m.group(1)), int(m.group(2)), int(m.group(3))) for m in found]
