"""Before paying: can the result be saved? Every path a render writes is checked first.

A task is billed once it exists; a video that can then never be written (a name too long
for the file system, a folder that is not writable, a full disk, a symlink where the video
goes) is money lost. So the video, its `.part`, its sidecar and the temporary names beside
them are checked before the create, and a story that fails is refused with the reason.
"""

from __future__ import annotations

from pathlib import Path

from shotscript.runtime.atomic import output_error, preflight
from shotscript.runtime.errors import RenderError

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


def check_output(video: Path, *, duration: float, root: Path | None = None) -> None:
    """Refuse (PreflightError, with the reason and a hint) unless the video, its `.part`, its
    sidecar and their temporary names can all be written where they go, with room for the
    video. The checks are the output folder's own (`atomic.preflight`); this says why they
    matter here: nothing has been paid yet."""
    try:
        preflight(video, root=root, expected_bytes=expected_bytes(duration))
    except OSError as exc:  # an OutputError, or the file system's own (a name too long to look at)
        error = output_error(exc, video)
        raise PreflightError(f"the video could never be saved, so nothing was sent: {error.message}",
                             hint=error.hint) from None  # fmt: skip
