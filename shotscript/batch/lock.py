"""One render per output folder: an advisory lock the kernel releases even after kill -9."""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from shotscript.batch import constants as C
from shotscript.batch.journal import JournalError


@contextlib.contextmanager
def folder_lock(folder: Path) -> Iterator[None]:
    """Hold the output folder's lock: two renders writing one journal could pay twice."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / C.LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            other = os.pread(fd, 32, 0).decode(errors="replace").strip()
            raise JournalError(
                f"another render is working in {folder}" + (f" (pid {other})" if other else "")
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)  # closing releases the lock; the kernel does the same after kill -9


def folder_busy(folder: Path) -> str | None:
    """The pid of a render holding the folder's lock, or None when no render runs there."""
    path = folder / C.LOCK_NAME
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
    finally:
        os.close(fd)
    return None
