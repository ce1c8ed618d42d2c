"""Named points where a crash test kills the render with SIGKILL, exactly there.

`SHOTSCRIPT_FAILPOINT=answered shotscript render …` dies by kill -9 the moment a create has
been answered and before its task id is recorded — the instants a crash must survive, reached
deterministically instead of by sleeping a random time. Unset (always, outside tests), each
point costs one dictionary lookup.
"""

from __future__ import annotations

import os
import signal

ENV = "SHOTSCRIPT_FAILPOINT"
POINTS = (
    "submitting",  # "submitting" is durable (ledger and journal); the create is not sent yet
    "answered",  # the create was answered with a task id, not yet recorded anywhere
    "cut",  # the download was cut: a partial .part is on disk
    "downloaded",  # every byte is in the .part; not yet checked nor renamed
    "renamed",  # the video is in place; its sidecar and "done" not yet written
)


def reached(point: str) -> None:
    """Die here by SIGKILL if the environment names this point."""
    if os.environ.get(ENV) == point:
        os.kill(os.getpid(), signal.SIGKILL)
