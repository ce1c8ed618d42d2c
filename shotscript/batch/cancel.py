"""`render --cancel`: cancel the tasks recorded for stories, through the folder's journal."""

from __future__ import annotations

import asyncio
import sys
from typing import TextIO

from shotscript.batch.journal import JournalStore
from shotscript.batch.outcome import Exit, RenderOutcome, StoryResult
from shotscript.batch.session import BatchError, RenderRequest, Session


def cancel_sync(request: RenderRequest, *, err: TextIO | None = None) -> RenderOutcome:
    """Cancel each story's recorded task; every story's result says what happened and what to do."""
    from shotscript.runtime.cancel import cancel_recorded
    from shotscript.runtime.client import DashScopeClient
    from shotscript.runtime.errors import RenderError
    from shotscript.runtime.ledger import open_ledger
    from shotscript.runtime.settings import settings_from_env

    results: list[StoryResult] = []
    with Session(request, err or sys.stderr) as session:
        journal = session.journal
        assert journal is not None

        async def cancel_all() -> None:
            for file in session.files:
                row = journal.latest(file.key)
                region = str((row.summary if row else {}).get("region") or "beijing")
                try:
                    settings = settings_from_env(region, base_url=request.base_url)
                except RenderError as exc:
                    raise BatchError(exc.message, exc.hint) from None
                store = JournalStore(journal, file.key, row.fingerprint if row else "")
                error: dict[str, object] | None = None
                note = None
                try:
                    async with DashScopeClient(settings) as client:
                        canceled = await cancel_recorded(client, store, file.key.rsplit("/", 1)[-1])
                    note = canceled.message
                    with open_ledger() as ledger:  # nothing is billed for it: not a live task any more
                        ledger.ended(canceled.task_id, "failed")
                except RenderError as exc:
                    error = {**exc.to_dict(), "hint": exc.hint} if exc.hint else exc.to_dict()
                now = journal.latest(file.key)
                results.append(
                    StoryResult(
                        key=file.key, story=file.path, state=now.state if now else "queued", video=None,
                        task_id=now.task_id if now else None, billed_seconds=None, cost=None, currency=None,
                        error=error, note=note,
                    )
                )

        asyncio.run(cancel_all())
    code = Exit.FAILED if any(r.error for r in results) else Exit.OK
    return RenderOutcome(code, results, journal.path)
