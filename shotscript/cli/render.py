"""`shotscript render`: flags in, the engine's outcome out (the engine is `batch.session`)."""

from __future__ import annotations

import gc
import json
from pathlib import Path

import click

from shotscript.cli.common import model_option


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
@click.option(
    "--new-take",
    is_flag=True,
    help="Pay for another take of requests already rendered (here or into any folder: see the ledger).",
)
@click.option("--force", "force", is_flag=True, hidden=True, help="The former name of --new-take.")
@click.option(
    "--cancel", is_flag=True, help="Cancel the tasks recorded for these stories (PENDING ones can be)."
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per story on stdout: state, task, "
              "video, billed seconds, cost.")
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
    help="stories in flight at once (default: [render] concurrency, else 5, the account's "
    "quota of tasks in progress; previews: the CPU cores).",
)
@click.option(
    "--retry-failed", is_flag=True, help="submit again the failures that may succeed if retried."
)
@click.option(
    "--budget",
    type=click.FloatRange(min=0),
    default=None,
    metavar="AMOUNT",
    help="refuse to start if the estimated cost of what would be sent exceeds AMOUNT.",
)
@click.option("--dry-run", is_flag=True, help="check, compile and estimate; send nothing.")
@click.option(
    "--prices",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    metavar="FILE",
    help="a price file overriding the shipped prices (default: [render] prices).",
)
@click.option(
    "--submit-rate",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    metavar="PER_S",
    help="task creates per second at most (default 4.5: the quota of 5 with a margin).",
)
@click.option(
    "--poll-rate",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    metavar="PER_S",
    help="task polls per second at most (default 18: the quota of 20 with a margin).",
)
@click.option("--poll-scale", type=float, hidden=True, help="Multiply poll waits (emulator runs).")
@click.option("--open", "open_report", is_flag=True, help="open the contact sheet (report.html) when done.")
@model_option
def render(
    paths: tuple[Path, ...],
    out_dir: Path | None,
    base_url: str | None,
    resubmit: bool,
    new_take: bool,
    force: bool,
    cancel: bool,
    as_json: bool,
    backend: str | None,
    concurrency: int | None,
    retry_failed: bool,
    budget: float | None,
    dry_run: bool,
    prices: Path | None,
    submit_rate: float | None,
    poll_rate: float | None,
    poll_scale: float | None,
    model: str | None,
    open_report: bool = False,
) -> None:
    """Render stories or folders: upload local files, submit, poll, download DIR/<story>.mp4.

    \b
    shotscript render stories/seed/smartwatch.shot             renders/smartwatch.mp4
    shotscript render story.shot --out videos/                 videos/story.mp4 + story.json
    shotscript render stories/ --out renders/                  every story below stories/
    shotscript render stories/ --dry-run --budget 50           what it would cost; sends nothing
    shotscript render story.shot --new-take                    pay for another take, deliberately
    DASHSCOPE_HTTP_BASE_URL=http://127.0.0.1:8765/api/v1 \\
      shotscript render story.shot                             against `shotscript emulate`

    One story or many, every render goes through one engine: the output folder's journal
    (DIR/journal.sqlite: `shotscript status DIR`, locked while a render runs) and the ledger
    of money spent in $SHOTSCRIPT_HOME (`shotscript ledger`). A request already paid for —
    into this folder or any other — is never paid again: its task is polled or its video
    copied, and one line says which; --new-take pays for another take. Interrupt with
    Ctrl-C at any time: running the same command again resumes. A sidecar <story>.json
    records the task id, request ids, timings, usage and the prompt sent. Previews (no key,
    or --backend preview) are written as <story>.preview.mp4: never over a paid video.

    Exit codes: 0 every story done; 1 a story failed or could not finish, or nothing could
    be sent; 2 usage; 3 a story needs attention (a task may exist: the hint says what to
    run); 75 the service asked to wait longer than shotscript waits (run it again later;
    docs/runtime-limits.md); 130 interrupted; 143 terminated. Defaults come from shotscript.toml's [render]
    table (out, concurrency, backend, budget, prices); flags override them. See
    docs/runtime.md and docs/batch.md.
    """
    # The engine's modules are made once and live as long as the process: no collection passes
    # while they load (they free nothing and cost ~50 ms), and none over them afterwards
    # (`freeze`: each later pass, and the one at exit, would walk them all again).
    gc.disable()
    from shotscript.batch.options import BatchFlags
    from shotscript.batch.session import BatchError, RenderRequest, render_sync

    gc.freeze()
    gc.enable()

    if cancel and (dry_run or new_take or force or resubmit or retry_failed):
        raise click.UsageError("--cancel goes alone: it only cancels recorded tasks")
    request = RenderRequest(
        paths=paths,
        flags=BatchFlags(out=out_dir, concurrency=concurrency, backend=backend, budget=budget, prices=prices),
        retry_failed=retry_failed, dry_run=dry_run, base_url=base_url, poll_scale=poll_scale,
        submit_rate=submit_rate, poll_rate=poll_rate, resubmit=resubmit, new_take=new_take or force,
        model=model,
    )  # fmt: skip
    try:
        if cancel:
            from shotscript.batch.cancel import cancel_sync

            outcome = cancel_sync(request)
        else:
            outcome = render_sync(request)
    except BatchError as exc:
        _echo_error(exc.message, exc.hint)
        raise SystemExit(int(exc.code)) from None
    for result in outcome.results:
        if result.note and cancel:
            click.echo(result.note, err=True)
        if result.error:
            _echo_error(f"{result.key}: {result.error.get('message') or result.error.get('kind')}",
                        result.error.get("hint"))  # fmt: skip
        elif result.skipped and len(outcome.results) == 1 and result.video is not None:
            click.echo(f"{result.video} is up to date (use --new-take to pay for another take)", err=True)
    if as_json:
        for result in outcome.results:
            click.echo(json.dumps(result.to_json(), ensure_ascii=False))
    elif len(outcome.results) == 1 and outcome.results[0].video is not None and len(paths) == 1 \
            and paths[0].is_file():
        click.echo(str(outcome.results[0].video))
    elif outcome.report is not None:
        click.echo(str(outcome.report))
    if outcome.report is not None:
        # Last, whatever came before: where the contact sheet is, and how to open it.
        click.echo(f"report: {outcome.report}" + ("" if open_report else " (--open opens it)"), err=True)
        if open_report:
            click.launch(str(outcome.report))
    # The process ends here: its last collection passes, at exit, need not walk what the run
    # made either (half of the ~35 ms Python took to exit after the report was written).
    gc.freeze()
    raise SystemExit(int(outcome.code))


def _echo_error(message: str, hint: object = None) -> None:
    from shotscript.cli.common import shown  # server strings and paths, escaped

    click.echo(f"error: {shown(message)}", err=True)
    if hint:
        click.echo(f"hint: {shown(hint)}", err=True)
