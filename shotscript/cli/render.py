"""`shotscript render`: compile a story, submit it, wait for it, download the video."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

import shotscript
from shotscript.compiler.payload import Payload

if TYPE_CHECKING:
    from shotscript.runtime.record import JsonRecordStore

EXIT_OK, EXIT_FAILED, EXIT_ATTENTION, EXIT_INTERRUPTED = 0, 1, 3, 130


def _fail(message: str, hint: str | None = None, code: int = EXIT_FAILED) -> None:
    click.echo(f"error: {message}", err=True)
    if hint:
        click.echo(f"hint: {hint}", err=True)
    raise SystemExit(code)


def _compile(story: Path) -> Payload:
    """The story's payload, or its diagnostics printed and exit 1."""
    from shotscript.cli.common import use_color

    try:
        return shotscript.load(story).compile()
    except shotscript.StoryError as exc:  # type: ignore[misc]
        click.echo(exc.render(color=use_color()), err=True)
        raise SystemExit(EXIT_FAILED) from None


def choose_backend(requested: str) -> str:
    """`auto` means DashScope when a key is set, else the offline preview."""
    if requested != "auto":
        return requested
    return "dashscope" if os.environ.get("DASHSCOPE_API_KEY") else "preview"


def _preview(
    payload: Payload, out_path: Path, store: JsonRecordStore, force: bool, announce: bool
) -> None:
    """Render with the offline preview backend."""
    from shotscript.runtime.preview_backend import PreviewBackend
    from shotscript.runtime.progress import progress_for
    if announce:
        click.echo("DASHSCOPE_API_KEY is not set: rendering offline previews (animatics); "
                   "set the key to render for real", err=True)
    progress = progress_for(sys.stderr)
    try:
        with progress:
            result = asyncio.run(
                PreviewBackend(store=store, force=force).render(payload, out_path, progress)
            )
    except KeyboardInterrupt:
        raise SystemExit(EXIT_INTERRUPTED) from None
    except Exception as exc:  # a preview that cannot be drawn is one clear line, not a traceback
        _fail(f"{out_path.stem}: preview failed: {exc}")
        return
    if result.skipped:
        click.echo(f"{out_path} is up to date (use --force to render again)", err=True)
    click.echo(str(out_path))


@click.command("render")
@click.argument("story", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("renders"),
    show_default=True,
    help="Folder for <story>.mp4 and its <story>.json sidecar.",
)
@click.option(
    "--base-url",
    metavar="URL",
    help="API base URL (default: $DASHSCOPE_HTTP_BASE_URL, else the story's region).",
)
@click.option(
    "--resubmit",
    is_flag=True,
    help="Send a new task even if an earlier create's outcome is unknown (may pay twice).",
)
@click.option("--force", is_flag=True, help="Render again even if the video is up to date.")
@click.option("--cancel", is_flag=True, help="Cancel the task recorded for this story.")
@click.option(
    "--backend",
    type=click.Choice(["auto", "dashscope", "preview"]),
    default="auto",
    show_default=True,
    help="dashscope renders for real; preview draws an offline animatic (no key, no cost); "
    "auto is dashscope when DASHSCOPE_API_KEY is set, else preview.",
)
@click.option("--poll-scale", type=float, hidden=True, help="Multiply poll waits (emulator runs).")
def render(
    story: Path,
    out_dir: Path,
    base_url: str | None,
    resubmit: bool,
    force: bool,
    cancel: bool,
    backend: str,
    poll_scale: float | None,
) -> None:
    """Render a story: upload local files, submit, poll, download DIR/<story>.mp4.

    \b
    shotscript render stories/seed/smartwatch.shot             renders/smartwatch.mp4
    shotscript render story.shot --out videos/                 videos/story.mp4 + story.json
    DASHSCOPE_HTTP_BASE_URL=http://127.0.0.1:8765/api/v1 \\
      shotscript render story.shot                             against `shotscript emulate`

    The key comes from $DASHSCOPE_API_KEY only. Interrupt with Ctrl-C at any time: the
    task id is recorded beside the output, and running the same command again resumes
    polling instead of paying for a second task. A sidecar <story>.json records the task
    id, request ids, timings, usage and the prompt sent. Exit codes: 0 done, 1 failed,
    3 needs attention (a create's outcome is unknown: see the hint), 130 interrupted.
    """
    from shotscript.runtime.backend import DashScopeBackend
    from shotscript.runtime.errors import OutcomeUnknownError, RenderError
    from shotscript.runtime.progress import progress_for
    from shotscript.runtime.record import JsonRecordStore
    from shotscript.runtime.settings import settings_from_env

    payload = _compile(story)
    out_path = out_dir / f"{story.stem}.mp4"
    store = JsonRecordStore(out_dir)
    if choose_backend(backend) == "preview":
        _preview(payload, out_path, store, force, announce=backend == "auto")
        return
    try:
        settings = settings_from_env(
            payload.meta.region,
            base_url=base_url,
            compiled_base_url=payload.meta.base_url,
            poll_scale=poll_scale,
        )
    except RenderError as exc:
        _fail(exc.message, exc.hint)
        return
    backend = DashScopeBackend(settings, store=store, resubmit=resubmit, force=force)
    progress = progress_for(sys.stderr)
    try:
        with progress:
            if cancel:
                task_id = asyncio.run(backend.cancel(out_path, progress))
                click.echo(f"canceled task {task_id}", err=True)
                return
            result = asyncio.run(backend.render(payload, out_path, progress))
    except KeyboardInterrupt:
        record = store.load(story.stem)
        if record is not None and record.task_id:
            click.echo(
                f"\ninterrupted; task {record.task_id} is recorded in {store.path_for(story.stem)}"
                " — run the same command again to resume",
                err=True,
            )
        elif record is not None and record.phase == "submitting":
            click.echo(
                "\ninterrupted while submitting; running the same command again checks the "
                "task list before sending anything",
                err=True,
            )
        else:
            click.echo("\ninterrupted before anything was submitted", err=True)
        raise SystemExit(EXIT_INTERRUPTED) from None
    except OutcomeUnknownError as exc:
        _fail(exc.message, exc.hint, EXIT_ATTENTION)
        return
    except OSError as exc:
        _fail(f"{exc.filename or out_dir}: {exc.strerror or exc}")
        return
    except RenderError as exc:
        record = store.load(story.stem)
        hint = exc.hint
        if hint is None and exc.retryable and record is not None and record.task_id:
            hint = f"task {record.task_id} is recorded; run the same command again to resume"
        _fail(exc.message, hint)
        return
    if result.skipped:
        click.echo(f"{out_path} is up to date (use --force to render again)", err=True)
    else:
        probe = result.probe
        shape = f"{probe.size}, {probe.fps:g} fps, {probe.duration:.1f} s" if probe else ""
        click.echo(
            f"{story.stem}: task {result.task_id}, {result.polls} polls, {shape}; "
            f"sidecar {result.sidecar}",
            err=True,
        )
    click.echo(str(out_path))
