"""Builders shared by the batch tests: story folders, the command line as a process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
# Unusual enough that finding it in a file can only mean it leaked there.
KEY = "sk-test-batch-7c1e-secret-0099"
REMOTE_VIDEO = "https://cdn.wanx.aliyuncs.com/static/demo-wan26/vace.mp4"


def story_text(i: int, *, extra: str = "", duration: int = 5) -> str:
    """A valid story whose request differs from every other `i`."""
    return (
        f"title Story {i}\nsize 1280*720\nduration {duration}\n\ncast\n"
        f"  girl video {REMOTE_VIDEO}\n\n"
        f"shot 0-2s @girl walks along the beach, take {i}.{extra}\n"
        f"shot @girl turns and waves at the camera, take {i}.\n"
    )


def write_stories(folder: Path, n: int, *, per_folder: int = 20, start: int = 0) -> list[Path]:
    """N distinct stories in sub-folders of `per_folder`."""
    paths = []
    for i in range(start, start + n):
        sub = folder / f"part{i // per_folder}"
        sub.mkdir(parents=True, exist_ok=True)
        path = sub / f"story{i:03d}.shot"
        path.write_text(story_text(i), "utf-8")
        paths.append(path)
    return paths


def command(*args: str) -> list[str]:
    """`python -m shotscript ARGS` as an argv."""
    return [sys.executable, "-m", "shotscript", *args]


def run(
    *args: str, timeout: float = 120, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the command line as a process (the environment of the test, plus `env`)."""
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run(
        command(*args), capture_output=True, text=True, cwd=ROOT, env=environment, timeout=timeout
    )


def status(out: Path, *, every: bool = False) -> dict[str, Any]:
    """`shotscript status OUT --json` (with `--all` when `every`), parsed."""
    proc = run("status", str(out), "--json", *(["--all"] if every else []))
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)  # type: ignore[no-any-return]


def states(out: Path) -> dict[str, str]:
    """story key -> state, from the journal."""
    return {s["key"]: s["state"] for s in status(out)["stories"]}
