"""shotscript: story files for Wan 2.6 reference-to-video — check, compile, render."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from shotscript.compiler.ast import Story

__all__ = ["StoryError", "load", "loads"]
__version__ = "0.1.0"


def load(path: str | Path) -> Story:
    """Read and check a story file; raise StoryError with every diagnostic if it has errors."""
    from shotscript.compiler.driver import load as _load

    return _load(path)


def loads(text: str, *, name: str = "story.shot") -> Story:
    """Parse story text (the spelling is chosen by the extension of `name`)."""
    from shotscript.compiler.driver import loads as _loads

    return _loads(text, name=name)


def __getattr__(name: str) -> object:
    if name == "StoryError":
        from shotscript.compiler.diagnostics import StoryError

        return StoryError
    raise AttributeError(name)
