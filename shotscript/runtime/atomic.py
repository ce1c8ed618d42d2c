"""Files written only inside the output folder: created exclusively, never through a link,
replaced atomically (a reader sees the old content or the new, never half)."""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import shutil
import stat
from pathlib import Path

from shotscript.runtime.errors import OutputError, UnsafePathError

_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)
_CREATE_FLAGS = (
    os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
)

# What the machine said, as a person would say it, with what to do about it.
_REASONS: dict[int, tuple[str, str]] = {
    errno.ENOSPC: ("no space left on the device", "free some space and run the same command again"),
    errno.EDQUOT: ("the disk quota is used up", "free some space and run the same command again"),
    errno.EROFS: ("the file system is read-only", "choose a writable folder with --out"),
    errno.EACCES: ("permission denied", "choose a folder you may write to with --out"),
    errno.EPERM: ("operation not permitted", "choose a folder you may write to with --out"),
    errno.ENAMETOOLONG: ("the file name is too long", "give the story a shorter name"),
    errno.ENOTDIR: ("a part of the path is not a folder", "choose another folder with --out"),
    errno.EISDIR: ("a folder is in the way", "move the folder away or choose another --out"),
}


def output_error(exc: OSError, path: Path | str) -> OutputError:
    """The typed error for an OSError while writing `path`: one line, with a hint."""
    if isinstance(exc, OutputError):
        return exc
    reason, hint = _REASONS.get(exc.errno or -1, (exc.strerror or str(exc), "check the output folder"))
    text = str(path)
    shown = text if len(text) <= 160 else f"{text[:100]}…{text[-59:]}"  # the reason must show
    error = OutputError(f"cannot write {shown}: {reason}", hint=hint)
    error.errno, error.strerror, error.filename = exc.errno, reason, str(path)
    return error


def refuse_links(path: Path, root: Path | None = None) -> None:
    """UnsafePathError when `path`, or a folder between `root` and it, is a symbolic link."""
    chain = [path]
    if root is not None:
        try:
            inside = path.parent.relative_to(root)
        except ValueError:
            raise UnsafePathError(f"{path} is outside the output folder {root}") from None
        chain += [root / Path(*inside.parts[:i]) for i in range(len(inside.parts), 0, -1)]
    for p in chain:
        if p.is_symlink():
            raise UnsafePathError(
                f"{p} is a symbolic link; refusing to write through it",
                hint="remove the link (shotscript writes only inside the output folder)",
            )


def preflight(dest: Path, *, root: Path | None = None, expected_bytes: int = 0,
              companions: tuple[str, ...] = (".part", ".json")) -> None:
    """Before paying: can `dest` (and its `.part`, its sidecar, the temporary names) be
    written? UnsafePathError for a link on the way, OutputError for a name too long, a folder
    that cannot be written or too little free space."""
    paths = [dest, *(dest.with_name(dest.name + c) if c == ".part" else dest.with_suffix(c)
                     for c in companions)]
    for p in paths:
        refuse_links(p, root)
    existing = dest.parent
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise output_error(OSError(errno.ENOTDIR, "not a folder"), existing)
    try:
        name_max = os.pathconf(existing, "PC_NAME_MAX")
    except (OSError, ValueError):
        name_max = 255
    # The longest name written: the temporary file of an atomic write, `.<name>.<8 hex>.tmp`.
    longest = max(len(p.name.encode()) for p in paths) + len(".") + len(".12345678.tmp")
    if longest > name_max:
        raise output_error(OSError(errno.ENAMETOOLONG, "name too long"), dest)
    if not os.access(existing, os.W_OK | os.X_OK):
        raise output_error(OSError(errno.EACCES, "permission denied"), existing)
    if expected_bytes and shutil.disk_usage(existing).free < expected_bytes:
        raise output_error(OSError(errno.ENOSPC, "no space"), dest)


def open_dir(folder: Path, root: Path | None = None) -> int:
    """A descriptor of `folder` (created if missing), after checking no link leads into it."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise output_error(exc, folder) from None
    if root is not None and folder != root:
        refuse_links(folder / ".", root)
    try:
        return os.open(folder, _DIR_FLAGS)
    except OSError as exc:
        raise output_error(exc, folder) from None


def refuse_link_at(dir_fd: int, name: str, shown: Path) -> bool:
    """Whether `name` exists in the folder; UnsafePathError when it is a symbolic link."""
    try:
        info = os.lstat(name, dir_fd=dir_fd)
    except FileNotFoundError:
        return False
    if stat.S_ISLNK(info.st_mode):
        raise UnsafePathError(
            f"{shown} is a symbolic link; refusing to write through it",
            hint="remove the link (shotscript writes only inside the output folder)",
        )
    return True


def create_exclusive(dir_fd: int, name: str, shown: Path, *, mode: int = 0o644) -> int:
    """A new file `name` in the folder, created exclusively and never through a link; a stale
    regular file of that name (left by a killed run) is removed first."""
    try:
        if refuse_link_at(dir_fd, name, shown):
            os.unlink(name, dir_fd=dir_fd)
        return os.open(name, _CREATE_FLAGS, mode, dir_fd=dir_fd)
    except FileExistsError:
        # Planted between our look and our create: whatever it is, it is not ours.
        raise UnsafePathError(f"{shown} appeared while it was being created; refusing it") from None
    except OutputError:
        raise
    except OSError as exc:
        raise output_error(exc, shown) from None


def replace_in(dir_fd: int, src: str, dst: str, shown: Path) -> None:
    """Rename `src` to `dst` within one folder (never a link at `dst`), then make it durable."""
    try:
        refuse_link_at(dir_fd, dst, shown)
        os.replace(src, dst, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except OutputError:
        raise
    except OSError as exc:
        raise output_error(exc, shown) from None
    # Durable rename where the file system can say so (some refuse fsync on a folder: the
    # file is in place all the same).
    with contextlib.suppress(OSError):
        os.fsync(dir_fd)


def atomic_write_text(path: Path, text: str, *, mode: int = 0o600, root: Path | None = None) -> None:
    """Write a file so readers see the old or the new content, never half of either."""
    dir_fd = open_dir(path.parent, root)
    tmp = f".{path.name[:200]}.{secrets.token_hex(4)}.tmp"
    try:
        refuse_link_at(dir_fd, path.name, path)
        fd = create_exclusive(dir_fd, tmp, path.parent / tmp, mode=mode)
        try:
            os.fchmod(fd, mode)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
                f.flush()
                os.fsync(f.fileno())
            replace_in(dir_fd, tmp, path.name, path)
        except BaseException as exc:
            _unlink_quietly(dir_fd, tmp)
            if isinstance(exc, OSError) and not isinstance(exc, OutputError):
                raise output_error(exc, path) from None
            raise
    finally:
        os.close(dir_fd)


def _unlink_quietly(dir_fd: int, name: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(name, dir_fd=dir_fd)
