"""`shotscript status`: a batch's journal as a table (or JSON): what is done, what failed and why."""

from __future__ import annotations

import json
import time
from pathlib import Path

import click


def _ago(epoch: float | None) -> str:
    if not epoch:
        return ""
    seconds = max(0, int(time.time() - epoch))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit} ago"
    return f"{seconds}s ago"


@click.command()
@click.argument(
    "out_dir", required=False, default="renders", type=click.Path(file_okay=False, path_type=Path)
)
@click.option("--json", "as_json", is_flag=True, help="The journal as JSON (totals, last run, every story).")
@click.option(
    "--all", "every", is_flag=True, help="Also rows of earlier batches and earlier versions of stories."
)
def status(out_dir: Path, as_json: bool, every: bool) -> None:
    """Show the journal of a batch render folder (default: renders/).

    \b
    shotscript status                 the current batch in renders/
    shotscript status out/ --json     for scripts: totals, last run, every story
    shotscript status --all           every row ever written (edited stories are new rows)

    One row per story: its state (queued, uploading, submitting, submitted, running,
    downloading, done, failed, needs-attention), task id, attempts, billed seconds and cost
    (as billed, or as estimated: `≤` marks an upper bound), and why it failed. Safe to run
    while a render writes the journal. Exit status: 0, or 1 without a journal.
    """
    from rich.table import Table

    from shotscript.batch.journal import JournalError, open_journal
    from shotscript.batch.lock import folder_busy
    from shotscript.batch.report import console_for, money, seconds_text, totals, totals_line, why

    try:
        journal = open_journal(out_dir, create=False)
    except JournalError as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(1) from None
    with journal:
        busy = folder_busy(out_dir)
        last = journal.last_run()
        if as_json:
            document = {
                "journal": str(journal.path),
                "running": busy is not None,
                "last_run": last,
                "totals": totals(journal).to_json(),
                "stories": [row.to_json() for row in journal.rows(current_only=not every)],
            }
            click.echo(json.dumps(document, ensure_ascii=False, indent=2))
            return
        console = console_for()
        table = Table(show_edge=False, pad_edge=False)
        columns = ("story", "state", "task", "tries", "billed s", "cost", "updated", "reason")
        for name in columns:
            justify = "right" if name in ("tries", "billed s", "cost") else "left"
            table.add_column(name, justify=justify, overflow="fold")  # type: ignore[arg-type]
        style = {"done": "green", "failed": "red", "needs-attention": "yellow"}
        for row in journal.rows(current_only=not every):
            state = f"[{style[row.state]}]{row.state}[/]" if row.state in style else row.state
            if every and not row.current:
                state += " [dim](earlier)[/]"
            table.add_row(
                row.key, state, (row.task_id or "")[:8], str(row.attempts), seconds_text(row),
                money(row.cost, row.currency), _ago(row.updated_at), why(row),
            )  # fmt: skip
        console.print(table)
        console.print(totals_line(totals(journal)))
        if busy is not None:
            console.print(f"a render is running now (pid {busy})")
        elif last is not None:
            when = _ago(last["ended_at"] or last["started_at"])
            console.print(f"last run: {last['outcome'] or 'killed'} {when}, backend {last['backend']}")
