"""Every story's key (its path under the folder given, without the suffix) and the names of
the files made from it, so that `compile --out` and `render` mirror the input tree alike."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from shotscript.compiler.driver import find_stories

PREVIEW_SUFFIX = ".preview.mp4"


@dataclass(frozen=True)
class StoryFile:
    """A story file and its key: its path under the batch folder, without the suffix."""

    key: str
    path: Path

    def output(self, out_dir: Path, backend: str = "dashscope") -> Path:
        """Where its video goes: the folder tree mirrored under the output folder."""
        return out_dir / video_name(self.key, backend)

    def named(self, out_dir: Path, suffix: str) -> Path:
        """The file `<key><suffix>` under `out_dir` (the input tree mirrored)."""
        return out_dir / f"{self.key}{suffix}"


def video_name(key: str, backend: str) -> str:
    """A story's video in the output folder: `<key>.mp4`, or `<key>.preview.mp4` for an animatic,
    so that a preview never replaces a video that was paid for."""
    return f"{key}{PREVIEW_SUFFIX if backend == 'preview' else '.mp4'}"


def normal(path: Path) -> Path:
    """An absolute path with `.` and `..` resolved by name (`a/b/../c` is `a/c`): keys are made
    from these, so no key holds a `..` that would lead out of the output folder."""
    return Path(os.path.abspath(path))


def inside(folder: Path, path: Path) -> bool:
    """Whether `path` (by name, `..` resolved) lies inside `folder`."""
    root, target = normal(folder), normal(path)
    return target != root and os.path.commonpath([root, target]) == str(root)


def batch_base(paths: Sequence[Path]) -> Path:
    """The folder keys are relative to: the one folder given, else the common parent."""
    if len(paths) == 1 and paths[0].is_dir():
        return normal(paths[0])
    parents = [normal(p) if p.is_dir() else normal(p).parent for p in paths]
    return Path(os.path.commonpath(parents))


def story_files(paths: Sequence[Path]) -> list[StoryFile]:
    """Every story under the paths (recursively, sorted), each with a key no other one has.

    `pet.shot` and `pet.yaml` side by side would both be `pet`: the first (in sorted order)
    keeps it, the others keep their suffix (`pet.yaml`).
    """
    base = batch_base(paths)
    seen: set[Path] = set()
    keys: set[str] = set()
    files = []
    for path in find_stories(list(paths)):
        absolute = normal(path)
        if absolute in seen:
            continue
        seen.add(absolute)
        relative = absolute.relative_to(base).as_posix()
        key = relative.rsplit(".", 1)[0]
        if key in keys:
            key = relative
        keys.add(key)
        files.append(StoryFile(key, path))
    return files
