"""shotscript: story files for Wan 2.6 and 2.7 reference-to-video — check, compile, render."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path
    from typing import TextIO

    from shotscript.batch.outcome import RenderOutcome
    from shotscript.batch.session import RenderRequest
    from shotscript.compiler.ast import Story
    from shotscript.compiler.driver import Result

from shotscript.facts.version import __version__

__all__ = [
    "RenderRefused", "StoryError", "__version__", "check_file", "load", "loads", "render", "render_async",
]


def load(path: str | Path) -> Story:
    """Read and check a story file; raise StoryError with every diagnostic if it has errors."""
    from shotscript.compiler.driver import load as _load

    return _load(path)


def loads(text: str, *, name: str = "story.shot") -> Story:
    """Parse story text (the spelling is chosen by the extension of `name`)."""
    from shotscript.compiler.driver import loads as _loads

    return _loads(text, name=name)


def check_file(path: str | Path, *, model: str | None = None, probe_remote: bool = False) -> Result:
    """Check and compile one story file as `shotscript check` does (local files probed, http(s)
    ones with `probe_remote`; `model` retargets it); `.diagnostics`, `.payload`, `.ok`."""
    from pathlib import Path

    from shotscript.media.check import check_file as _check_file

    return _check_file(Path(path), probe_remote=probe_remote, model=model)


def _request(paths: str | Path | Sequence[str | Path], options: dict[str, object]) -> RenderRequest:
    from pathlib import Path

    from shotscript.batch.options import BatchFlags
    from shotscript.batch.session import RenderRequest

    given = [paths] if isinstance(paths, str | Path) else list(paths)
    flags = {k: options.pop(k) for k in ("out", "concurrency", "backend", "budget", "prices") if k in options}
    if flags.get("out") is not None:
        flags["out"] = Path(flags["out"])  # type: ignore[arg-type]
    return RenderRequest(paths=tuple(Path(p) for p in given), flags=BatchFlags(**flags), **options)  # type: ignore[arg-type]


def render(
    paths: str | Path | Sequence[str | Path], *, err: TextIO | None = None, **options: object
) -> RenderOutcome:
    """Render stories or folders into `out` (the one engine `shotscript render` uses); the outcome
    holds each story's result (`outcome.results`) and the exit status (`outcome.code`).

    Options: out, backend ("auto", "dashscope", "preview"), concurrency, budget, prices,
    retry_failed, dry_run, base_url, resubmit, new_take. Progress goes to `err` (stderr).
    Raises RenderRefused when the render cannot start (no stories, a busy folder, no key)."""
    from shotscript.batch.session import render_sync

    return render_sync(_request(paths, dict(options)), err=err)


async def render_async(
    paths: str | Path | Sequence[str | Path], *, err: TextIO | None = None, **options: object
) -> RenderOutcome:
    """`render` for a running event loop."""
    from shotscript.batch.session import render_async as _render_async

    return await _render_async(_request(paths, dict(options)), err=err)


def __getattr__(name: str) -> object:
    if name == "StoryError":
        from shotscript.compiler.diagnostics import StoryError

        return StoryError
    if name == "RenderRefused":
        from shotscript.batch.session import BatchError

        return BatchError
    raise AttributeError(name)
