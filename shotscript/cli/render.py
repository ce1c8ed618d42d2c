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
    from shotscript.cli.common import fail

    fail(message, hint, code)


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


def _batch(paths: tuple[Path, ...], **options: object) -> None:
    """Render folders (or several stories) through the batch engine; exit with its status."""
    from shotscript.batch.options import BatchFlags
    from shotscript.batch.session import BatchError, BatchRequest, render_batch

    request = BatchRequest(
        paths=paths,
        flags=BatchFlags(
            out=options["out_dir"],  # type: ignore[arg-type]
            concurrency=options["concurrency"],  # type: ignore[arg-type]
            backend=options["backend"],  # type: ignore[arg-type]
            budget=options["budget"],  # type: ignore[arg-type]
            prices=options["prices"],  # type: ignore[arg-type]
        ),
        retry_failed=bool(options["retry_failed"]),
        dry_run=bool(options["dry_run"]),
        base_url=options["base_url"],  # type: ignore[arg-type]
        poll_scale=options["poll_scale"],  # type: ignore[arg-type]
        submit_rate=options["submit_rate"],  # type: ignore[arg-type]
        poll_rate=options["poll_rate"],  # type: ignore[arg-type]
    )
    try:
        code = render_batch(request)
    except BatchError as exc:
        _fail(exc.message, exc.hint, exc.code)
        return
    raise SystemExit(code)


@click.command("render")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for <story>.mp4 and its <story>.json sidecar (default: renders, or [render] out).",
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
    default=None,
    help="dashscope renders for real; preview draws an offline animatic (no key, no cost); "
    "auto (the default) is dashscope when DASHSCOPE_API_KEY is set, else preview.",
)
@click.option(
    "--concurrency",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="Batch: stories in flight at once (default: [render] concurrency, else 5, the account's "
    "quota of tasks in progress; previews: the CPU cores).",
)
@click.option(
    "--retry-failed", is_flag=True, help="Batch: submit again the failures that may succeed if retried."
)
@click.option(
    "--budget",
    type=click.FloatRange(min=0),
    default=None,
    metavar="AMOUNT",
    help="Batch: refuse to start if the estimated cost of what would be sent exceeds AMOUNT.",
)
@click.option("--dry-run", is_flag=True, help="Batch: check, compile and estimate; send nothing.")
@click.option(
    "--prices",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    metavar="FILE",
    help="Batch: a price file overriding the shipped prices (default: [render] prices).",
)
@click.option(
    "--submit-rate",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    metavar="PER_S",
    help="Batch: task creates per second at most (default 4.5: the quota of 5 with a margin).",
)
@click.option(
    "--poll-rate",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    metavar="PER_S",
    help="Batch: task polls per second at most (default 18: the quota of 20 with a margin).",
)
@click.option("--poll-scale", type=float, hidden=True, help="Multiply poll waits (emulator runs).")
def render(
    paths: tuple[Path, ...],
    out_dir: Path | None,
    base_url: str | None,
    resubmit: bool,
    force: bool,
    cancel: bool,
    backend: str | None,
    concurrency: int | None,
    retry_failed: bool,
    budget: float | None,
    dry_run: bool,
    prices: Path | None,
    submit_rate: float | None,
    poll_rate: float | None,
    poll_scale: float | None,
) -> None:
    """Render a story: upload local files, submit, poll, download DIR/<story>.mp4.
    Give a folder (or several stories) to render a batch.

    \b
    shotscript render stories/seed/smartwatch.shot             renders/smartwatch.mp4
    shotscript render story.shot --out videos/                 videos/story.mp4 + story.json
    shotscript render stories/ --out renders/                  every story below stories/
    shotscript render stories/ --dry-run --budget 50           what it would cost; sends nothing
    DASHSCOPE_HTTP_BASE_URL=http://127.0.0.1:8765/api/v1 \\
      shotscript render story.shot                             against `shotscript emulate`

    The key comes from $DASHSCOPE_API_KEY only. Interrupt with Ctrl-C at any time: the
    task id is recorded beside the output, and running the same command again resumes
    polling instead of paying for a second task. A sidecar <story>.json records the task
    id, request ids, timings, usage and the prompt sent. Exit codes: 0 done, 1 failed,
    3 needs attention (a create's outcome is unknown: see the hint), 130 interrupted.

    A batch keeps a journal (DIR/journal.sqlite: `shotscript status DIR`), mirrors the
    folder tree under DIR, and ends with DIR/report.html (a contact sheet) and
    DIR/report.json. Rerunning the same command skips what is done and resumes what was
    submitted; an edited story is rendered anew. Defaults come from shotscript.toml's
    [render] table (out, concurrency, backend, budget, prices); flags override them.
    See docs/batch.md.
    """
    if not paths:
        raise click.UsageError("give a story file or a folder of stories")
    batch_only = concurrency is not None or retry_failed or budget is not None or dry_run or prices
    if len(paths) > 1 or paths[0].is_dir() or batch_only:
        if cancel or resubmit or force:
            raise click.UsageError("--cancel, --resubmit and --force work on one story at a time")
        _batch(
            paths, out_dir=out_dir, concurrency=concurrency, backend=backend, budget=budget, prices=prices,
            retry_failed=retry_failed, dry_run=dry_run, base_url=base_url, poll_scale=poll_scale,
            submit_rate=submit_rate, poll_rate=poll_rate,
        )  # fmt: skip
        return
    story = paths[0]
    out_dir = out_dir or Path("renders")
    backend = backend or "auto"
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
    except RenderError as exc:  # before OSError: an OutputError is both, with a hint
        record = store.load(story.stem)
        hint = exc.hint
        if hint is None and exc.retryable and record is not None and record.task_id:
            hint = f"task {record.task_id} is recorded; run the same command again to resume"
        _fail(exc.message, hint, exc.exit_code)
        return
    except OSError as exc:
        _fail(f"{exc.filename or out_dir}: {exc.strerror or exc}")
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
