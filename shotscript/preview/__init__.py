"""The preview backend: an offline animatic of a story, to see it before paying for it."""

from shotscript.preview.animatic import AnimaticResult, render_animatic

__all__ = ["AnimaticResult", "render_animatic"]
