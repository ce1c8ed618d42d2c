"""`shotscript adopt`: tell a batch which task is a story's, when the task list could not."""

from __future__ import annotations

from pathlib import Path

import click

from shotscript.cli.common import fail, shown


@click.command()
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
@click.argument("story")
@click.argument("task_id")
def adopt(out_dir: Path, story: str, task_id: str) -> None:
    """Claim a task for a story whose create's outcome is unknown, instead of paying again.

    \b
    shotscript adopt renders part1/ad 0385dc79-5ff8-4d82-bcb6-xxxxxxxxxxxx
    shotscript render stories/ --out renders      follows that task, downloads its video

    For a story in needs-attention (the create got no answer and the task list showed
    several candidates, or none that had finished): find the task in the Model Studio
    console and name it here. STORY is its key as `shotscript status OUT_DIR` shows it.
    Nothing is sent now; the next render polls the task and adopts it only once it has
    SUCCEEDED with this story's prompt, otherwise the story needs attention again. Exit
    status: 0, or 1 when the claim cannot be recorded (nothing changed).
    """
    from shotscript.batch.adopt import adopt as claim
    from shotscript.batch.journal import JournalError

    try:
        done = claim(out_dir, story, task_id)
    except JournalError as exc:
        fail(str(exc))
    click.echo(
        f"{shown(done.story)}: task {done.task_id} recorded (was {done.previous_state}); "
        "render the folder again to follow it"
    )
