"""A contact-sheet thumbnail of each rendered video: its first frame as a small JPEG (PyAV)."""

from __future__ import annotations

import os
from pathlib import Path

from shotscript.batch import constants as C


def thumbnail_path(out_dir: Path, key: str) -> Path:
    """Where the thumbnail of a story's video goes."""
    return out_dir / C.THUMBS_DIR / f"{key}.jpg"


def make_thumbnail(video: Path, target: Path, width: int = C.THUMB_WIDTH) -> bool:
    """Write the first frame of `video`, `width` pixels wide, to `target`; False if unreadable.

    Only key frames are decoded and the frame is scaled by libswscale before Pillow sees it:
    a few milliseconds a video, so that thumbnails never slow a batch down.
    """
    import av  # only when used

    with av.open(str(video)) as container:
        if not container.streams.video:
            return False
        stream = container.streams.video[0]
        stream.codec_context.skip_frame = "NONKEY"
        frame = next(container.decode(stream), None)
        if frame is None:
            return False
        height = max(2, round(frame.height * width / frame.width / 2) * 2)
        image = frame.reformat(width=width, height=height, format="rgb24").to_image()
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    image.save(partial, "JPEG", quality=80)
    os.replace(partial, target)  # a reader sees no half-written image
    return True
