"""Thumbnails of cast references for preview cards: the image itself, or a video's first frame."""

from __future__ import annotations

import warnings
from pathlib import Path

import av
from PIL import Image, ImageOps

from shotscript.compiler.payload import Reference

# Cards never show a thumbnail larger than this; decode no more than needed.
MAX_SIDE = 1024
_BACKDROP = (58, 62, 70)  # what a transparent image is shown on


def reference_path(ref: Reference, story_dir: Path | None) -> Path | None:
    """The local file behind a reference, or None for a URL."""
    if ref.path is not None:
        return ref.path if ref.path.is_absolute() or story_dir is None else story_dir / ref.path
    if ref.url is not None or "://" in ref.source:
        return None
    source = Path(ref.source).expanduser()
    return source if source.is_absolute() or story_dir is None else story_dir / source


def load_thumbnail(path: Path, kind: str) -> Image.Image | None:
    """An RGB thumbnail (longest side ≤ MAX_SIDE) of a local image or video; None if unreadable."""
    try:
        image = _first_frame(path) if kind == "video" else _image(path)
    except Exception:  # a preview must render even when a reference is broken
        return None
    if image is None:
        return None
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    return image


def _image(path: Path) -> Image.Image:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # DecompressionBombWarning: we shrink it at once
        with Image.open(path) as opened:
            opened.draft("RGB", (MAX_SIDE, MAX_SIDE))  # JPEG decodes at reduced scale: much faster
            im: Image.Image = ImageOps.exif_transpose(opened)
            if im.mode in ("RGBA", "LA", "PA") or "transparency" in im.info:
                rgba = im.convert("RGBA")
                flat = Image.new("RGB", rgba.size, _BACKDROP)
                flat.paste(rgba, mask=rgba.getchannel("A"))
                return flat
            return im.convert("RGB")


def _first_frame(path: Path) -> Image.Image | None:
    with av.open(str(path), metadata_errors="ignore") as container:
        if not container.streams.video:
            return None
        for frame in container.decode(video=0):
            image: Image.Image = frame.to_image()
            # Phone videos store "rotate 90" as metadata rather than rotating pixels.
            rotation = int(getattr(frame, "rotation", 0) or 0) % 360
            return image.rotate(rotation, expand=True) if rotation else image
    return None
