"""Folder defaults: `shotscript.toml` in a story's folder or any parent.

Story settings set there apply to every story below that does not set them (the nearest
file wins, key by key); `[render]` holds defaults for `shotscript render` (output folder,
concurrency, …). Story settings override the file; command-line flags override both.

    # shotscript.toml
    model = "wan2.6-r2v"
    size = "1280*720"
    watermark = true

    [render]
    out = "renders"
    concurrency = 4
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from shotscript.compiler.ast import Setting, Span
from shotscript.compiler.diagnostics import Sink, display_path
from shotscript.compiler.settings import SETTINGS, convert
from shotscript.compiler.suggest import did_you_mean

CONFIG_NAME = "shotscript.toml"
# Settings a folder may not decide for its stories: they name one story.
STORY_ONLY = ("title",)
RENDER_KEYS: dict[str, type] = {
    "out": str,
    "concurrency": int,
    "backend": str,
    "budget": float,
    "prices": str,
}


# The backends `render` knows (batch/options.py reads the same list for `--backend`).
RENDER_BACKENDS = ("auto", "dashscope", "preview")


def _render_problem(key: str, value: object) -> tuple[str, str | None] | None:
    """What is wrong with a well-typed `[render]` value (what it should be, a fix), or None:
    said at its line here, rather than by `render` later without the file."""
    if key == "concurrency" and isinstance(value, int) and value < 1:
        return "is a whole number ≥ 1 (stories rendered at once)", "write 1 or more, or remove it"
    if key == "budget" and isinstance(value, int | float) and value < 0:
        return "is a number ≥ 0", None
    if key == "backend" and value not in RENDER_BACKENDS:
        return f"is one of {', '.join(RENDER_BACKENDS)}", did_you_mean(str(value), RENDER_BACKENDS)
    return None


@dataclass(frozen=True)
class FolderConfig:
    """The defaults that apply to one story, merged from every shotscript.toml above it."""

    settings: dict[str, Setting] = field(default_factory=dict)
    render: dict[str, object] = field(default_factory=dict)
    files: tuple[Path, ...] = ()


def _spans(text: str, key: str, shown: str, section: str | None = None) -> tuple[Span, Span]:
    """Where `key` and its value stand in the file (tomllib keeps no positions, so look)."""
    in_section = section is None
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith("["):
            in_section = stripped.strip("[] ") == section if section else False
            continue
        m = re.match(rf"(\s*){re.escape(key)}\s*=\s*", line)
        if in_section and m:
            key_span = Span.at(number, len(m.group(1)) + 1, len(key), shown)
            width = max(len(line.rstrip()) - m.end(), 1)
            return key_span, Span.at(number, m.end() + 1, width, shown)
    return Span.at(1, 1, 1, shown), Span.at(1, 1, 1, shown)


@cache
def _read(path: Path, mtime_ns: int) -> tuple[dict[str, Setting], dict[str, object], Sink]:
    """One file's settings and render defaults, with its own diagnostics (cached per version)."""
    shown = display_path(path)
    sink = Sink(shown)
    try:
        text = path.read_text("utf-8")
        data = tomllib.loads(text)
    except (OSError, UnicodeDecodeError) as e:
        sink.add("E111", Span.at(1, 1, 1, shown), detail=f"cannot read {shown}: {e}")
        return {}, {}, sink
    except ValueError as e:  # TOMLDecodeError, or an integer of over 4,300 digits
        if not isinstance(e, tomllib.TOMLDecodeError):
            sink.add("E110", Span.at(1, 1, 1, shown), detail=f"TOML: {e}")
            return {}, {}, sink
        m = re.search(r"line (\d+), column (\d+)", str(e))
        line, col = (int(m.group(1)), int(m.group(2))) if m else (1, 1)
        sink.add("E110", Span.at(line, col, 1, shown), detail=f"TOML: {str(e).split(' (at')[0]}")
        return {}, {}, sink
    settings: dict[str, Setting] = {}
    render: dict[str, object] = {}
    allowed = [k for k in SETTINGS if k not in STORY_ONLY]
    for key, value in data.items():
        if key == "render" and isinstance(value, dict):
            for rkey, rvalue in value.items():
                key_span, span = _spans(text, rkey, shown, "render")
                want = RENDER_KEYS.get(rkey)
                if want is None:
                    sink.add("E104", key_span, name=f"render.{rkey}",
                             help=did_you_mean(rkey, RENDER_KEYS))
                    continue
                number = want is float and isinstance(rvalue, int | float) and not isinstance(
                    rvalue, bool) and math.isfinite(rvalue)
                if not number and (not isinstance(rvalue, want) or isinstance(rvalue, bool | float)):
                    sink.add("E105", span, name=f"render.{rkey}", value=rvalue,
                             expected=f"is a {'number' if want is not str else 'string'}")
                elif (problem := _render_problem(rkey, rvalue)) is not None:
                    sink.add("E105", span, name=f"render.{rkey}", value=rvalue, expected=problem[0],
                             help=problem[1])
                else:
                    render[rkey] = float(rvalue) if number else rvalue
            continue
        key_span, span = _spans(text, key, shown)
        if key not in allowed:
            sink.add("E104", key_span, name=key, help=did_you_mean(key, [*allowed, "render"]))
            continue
        if isinstance(value, float) and not math.isfinite(value):
            value = str(value)  # `inf`, `nan`: no setting takes them; said as written
        typed = convert(SETTINGS[key], value, span, sink)
        if typed is not None:
            settings[key] = Setting(name=key, value=typed, span=key_span, value_span=span)
    return settings, render, sink


def configs_above(story_path: Path) -> tuple[Path, ...]:
    """The shotscript.toml files from the filesystem root down to the story's folder."""
    return _configs_in(story_path.absolute().parent)


@cache
def _configs_in(folder: Path) -> tuple[Path, ...]:
    # Cached per folder: a batch checks many stories of few folders. A file created
    # while the process runs is seen by the next process.
    found = [d / CONFIG_NAME for d in (folder, *folder.parents) if (d / CONFIG_NAME).is_file()]
    return tuple(found[::-1])


def folder_config(story_path: Path | None, sink: Sink) -> FolderConfig:
    """The merged defaults for a story (nearest file wins), reporting problems in the files."""
    if story_path is None:
        return FolderConfig()
    settings: dict[str, Setting] = {}
    render: dict[str, object] = {}
    files = configs_above(story_path)
    for f in files:
        s, r, own = _read(f, os.stat(f).st_mtime_ns)
        settings.update(s)
        render.update(r)
        sink.items.extend(own.items)
    return FolderConfig(settings, render, tuple(files))
