"""A batch's settings: command-line flags, over the folder's `shotscript.toml` `[render]`
table, over the defaults. Paths in a `shotscript.toml` are relative to that file."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from shotscript.batch import constants as C
from shotscript.compiler.diagnostics import Sink
from shotscript.compiler.folder_config import CONFIG_NAME, folder_config

BACKENDS = ("auto", "dashscope", "preview")


@dataclass(frozen=True)
class BatchFlags:
    """What the command line said (None: not given)."""

    out: Path | None = None
    concurrency: int | None = None
    backend: str | None = None
    budget: float | None = None
    prices: Path | None = None


@dataclass(frozen=True)
class BatchOptions:
    """The settings a batch runs with."""

    out_dir: Path
    concurrency: int | None  # None: the backend's default
    backend: str  # "dashscope" or "preview" (auto resolved)
    budget: float | None
    prices: Path | None
    auto_backend: bool = False  # chosen by `auto` (the user may want to be told)


def folder_render(base: Path) -> tuple[dict[str, object], dict[str, Path]]:
    """The `[render]` table that applies to a folder, and the file that set each key."""
    config = folder_config(base / CONFIG_NAME, Sink())  # problems in it show on every story
    origin: dict[str, Path] = {}
    for path in config.files:  # root first: the nearest file, last, wins
        try:
            table = tomllib.loads(path.read_text("utf-8")).get("render", {})
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            continue
        if isinstance(table, dict):
            origin.update({key: path for key in table if key in config.render})
    return dict(config.render), origin


def resolve(
    flags: BatchFlags,
    render: Mapping[str, object],
    origin: Mapping[str, Path],
    *,
    environ: Mapping[str, str] | None = None,
) -> BatchOptions:
    """Flags over the folder's `[render]` over the defaults."""
    env = os.environ if environ is None else environ

    def relative(key: str) -> Path | None:
        value = render.get(key)
        if not isinstance(value, str) or not value:
            return None
        path = Path(value).expanduser()
        return path if path.is_absolute() or key not in origin else origin[key].parent / path

    requested = flags.backend or str(render.get("backend") or "auto")
    if requested not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, not {requested!r}")
    backend = requested
    if requested == "auto":
        backend = "dashscope" if env.get("DASHSCOPE_API_KEY", "").strip() else "preview"
    concurrency = flags.concurrency if flags.concurrency is not None else render.get("concurrency")
    if concurrency is not None and (not isinstance(concurrency, int) or concurrency < 1):
        raise ValueError(f"concurrency must be a whole number ≥ 1, not {concurrency!r}")
    budget = flags.budget if flags.budget is not None else render.get("budget")
    if budget is not None and (not isinstance(budget, int | float) or budget < 0):
        raise ValueError(f"budget must be a number ≥ 0, not {budget!r}")
    return BatchOptions(
        out_dir=flags.out or relative("out") or Path(C.DEFAULT_OUT),
        concurrency=concurrency,
        backend=backend,
        budget=float(budget) if budget is not None else None,
        prices=flags.prices or relative("prices"),
        auto_backend=requested == "auto",
    )


def default_concurrency(backend: str) -> int:
    """Stories at once: the account's quota of tasks in progress; for previews, the cores."""
    if backend == "preview":
        return max(1, os.cpu_count() or 1)
    return C.DEFAULT_CONCURRENCY
