"""Prompt assembly by the jinja2 templates shipped in compiler/templates/."""

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
_LANGS: dict[str, dict[str, str]] = tomllib.loads(_TEMPLATES.joinpath("langs.toml").read_text("utf-8"))
LANGS: tuple[str, ...] = tuple(_LANGS)


@dataclass(frozen=True)
class ShotText:
    """A shot as the template sees it."""

    index: int
    start: int
    end: int
    text: str


@cache
def template(lang: str) -> jinja2.Template:
    """The compiled template of a language (StrictUndefined: a missing field fails loudly)."""
    import jinja2

    env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)
    return env.from_string(_TEMPLATES.joinpath(_LANGS[lang]["template"]).read_text("utf-8"))


def render(lang: str, intro: str, shots: list[ShotText], prompt: str) -> str:
    """The prompt for a story: intro, then each shot's marker and text (or the prompt)."""
    return template(lang).render(intro=intro, shots=shots, prompt=prompt)


def markers(lang: str, prompt: str) -> list[tuple[int, int, int]]:
    """The (shot number, start, end) of each shot marker in a compiled prompt."""
    return [tuple(map(int, m.groups())) for m in re.finditer(_LANGS[lang]["marker"], prompt)]  # type: ignore[misc]
