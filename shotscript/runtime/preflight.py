"""Before paying: can the result be saved? Every path a render writes is checked first.

A task is billed once it exists; a video that can then never be written (a name too long
for the file system, a folder that is not writable, a full disk, a symlink where the video
goes) is money lost. So the video, its `.part`, its sidecar and the temporary names beside
them are checked before the create, and a story that fails is refused with the reason.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from shotscript.runtime.errors import RenderError

# The longest temporary names written beside an output (atomic writes, downloads, copies):
# `.<name>.XXXXXXXX.tmp` (mkstemp), `<name>.part`, `.<name>.<pid>.copy`.
TEMP_OVERHEAD = 1 + 1 + 8 + 4
COPY_OVERHEAD = 1 + 1 + 10 + 5
# A generous bound of what a video weighs per second (1080P H.264 at a high bit rate), plus
# the sidecar and room for the file system.
BYTES_PER_SECOND = 2_000_000
MARGIN_BYTES = 8_000_000


class PreflightError(RenderError):
    """The result of a render could not be saved: refused before anything is paid."""

    kind = "preflight"


def expected_bytes(duration: float) -> int:
    """The free space a video of `duration` seconds needs, generously."""
    return int(duration * BYTES_PER_SECOND) + MARGIN_BYTES


def _limit(folder: Path, name: str, default: int) -> int:
    try:
        return int(os.pathconf(folder, name))
    except (OSError, ValueError):
        return default


def _existing(folder: Path) -> Path:
    """The folder itself or its nearest parent that exists (where it would be created)."""
    probe = folder.absolute()
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    return probe


def check_output(video: Path, *, duration: float) -> None:
    """Refuse (PreflightError) unless the video, its `.part`, its sidecar and the temporary
    names can all be written where they go, with room for the video."""
    folder = video.parent
    base = _existing(folder)
    name_max = _limit(base, "PC_NAME_MAX", 255)
    path_max = _limit(base, "PC_PATH_MAX", 4096)
    sidecar = video.with_suffix(".json")
    names = {
        "its download (.part)": len(video.name) + 5,
        "its temporary copy": len(video.name) + COPY_OVERHEAD,
        "its sidecar's temporary file": len(sidecar.name) + TEMP_OVERHEAD,
    }
    for what, length in names.items():
        if length > name_max:
            shown = video.name if len(video.name) <= 40 else video.name[:24] + "…" + video.name[-12:]
            raise PreflightError(
                f"the video could never be saved: the name of {what} would be {length} characters, over "
                f"this file system's limit of {name_max} ({shown})",
                hint="give the story a shorter file name",
            )
    if len(str(video.absolute())) + COPY_OVERHEAD > path_max:
        raise PreflightError(f"{video}: the path is over this system's limit of {path_max} characters",
                             hint="render into a shorter --out folder")  # fmt: skip
    for path in (video, video.with_name(video.name + ".part"), sidecar):
        if path.is_symlink():
            raise PreflightError(f"{path} is a symbolic link: refusing to write the result through it",
                                 hint="remove the link (the render writes only inside its output folder)")
        if path.exists() and not path.is_file():
            raise PreflightError(f"{path} exists and is not a file", hint="move it out of the way")
    if not os.access(base, os.W_OK | os.X_OK):
        raise PreflightError(f"{base}: not writable, so the video could not be saved",
                             hint="fix the folder's permissions, or choose another --out")  # fmt: skip
    need = expected_bytes(duration)
    free = shutil.disk_usage(base).free
    if free < need:
        raise PreflightError(
            f"{base}: {free / 1e6:.0f} MB free, and a {duration:g} s video needs up to {need / 1e6:.0f} MB",
            hint="free some space, or choose another --out",
        )
