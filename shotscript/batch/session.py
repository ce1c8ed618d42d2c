"""The render engine: every render — one story or many, DashScope or preview — goes through
here, in one order: settings → plan → lock and journal → budget → run → report."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import signal
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, TextIO

from shotscript.batch import constants as C
from shotscript.batch.cost import PriceTable
from shotscript.batch.display import Tally, display_for
from shotscript.batch.forecast import BatchError, Forecast, check_budget, planned_rows, prices_of
from shotscript.batch.journal import (
    Journal,
    JournalError,
    JournalRow,
    journal_path,
    open_journal,
)
from shotscript.batch.lock import folder_lock
from shotscript.batch.options import BatchFlags, BatchOptions, default_concurrency, folder_render, resolve
from shotscript.batch.outcome import Exit, RenderOutcome, StoryResult, exit_for
from shotscript.batch.pacing import PacedTransport, Pacer
from shotscript.batch.plan import FirstPayloads, StoryFile, batch_base, inside, plan, story_files
from shotscript.batch.report import console_for, money, summary_table, write_html, write_json
from shotscript.batch.report import prepare as prepare_report
from shotscript.batch.runner import BatchRunner, BatchStores, RunOptions
from shotscript.compiler.payload import Payload
from shotscript.runtime.backend import Backend
from shotscript.runtime.events import EventSink
from shotscript.runtime.lifecycle import RenderResult


class Closable(Protocol):
    """A connection pool the stories share, closed once the run is over."""

    async def close(self) -> None:
        """Close it."""
        ...


@dataclass(frozen=True)
class RenderRequest:
    """What `shotscript render PATH…` (or `shotscript.render(...)`) asked for."""

    paths: tuple[Path, ...]
    flags: BatchFlags = field(default_factory=BatchFlags)
    retry_failed: bool = False
    dry_run: bool = False
    base_url: str | None = None
    poll_scale: float | None = None
    submit_rate: float | None = None
    poll_rate: float | None = None
    resubmit: bool = False  # send a create although an earlier one's outcome is unknown
    new_take: bool = False  # pay for another take of requests already rendered
    model: str | None = None  # `--model`: every story compiled for this model


class RegionRouter:
    """A DashScope backend per region (keys, endpoints and quotas belong to one region)."""

    name = "dashscope"

    def __init__(self, factory: Callable[[Payload], Backend]) -> None:
        self._factory = factory
        self._backends: dict[str, Backend] = {}

    async def render(self, payload: Payload, out_path: Path, events: EventSink) -> RenderResult:
        """Render through the backend of the story's region."""
        region = payload.meta.region
        if region not in self._backends:
            self._backends[region] = self._factory(payload)
        return await self._backends[region].render(payload, out_path, events)


def _backend(
    options: BatchOptions,
    request: RenderRequest,
    stores: BatchStores,
    journal: Journal,
    pacer: Pacer,
    stack: contextlib.ExitStack,
) -> tuple[Backend, list[Closable], str | None]:
    """The backend of the run, the shared transports to close after, and the key to keep secret
    (the ledger is closed with `stack`, when the run's lock and journal are)."""
    if options.backend == "preview":
        from shotscript.runtime.preview_backend import PreviewBackend

        return PreviewBackend(stores=stores, force=request.new_take), [], None
    from shotscript.facts.capabilities import capabilities
    from shotscript.runtime.backend import ApiTransport, DashScopeBackend, SharedPlainTransport
    from shotscript.runtime.errors import RenderError
    from shotscript.runtime.settings import RuntimeSettings, settings_from_env
    from shotscript.runtime.url_policy import UrlPolicy

    def settings(region: str, compiled: str | None = None) -> RuntimeSettings:
        return pacer.lifecycle_settings(settings_from_env(
            region, base_url=request.base_url, compiled_base_url=compiled, poll_scale=request.poll_scale
        ))  # fmt: skip

    try:  # a missing key or a bad base URL stops the batch before it starts
        first = settings(str(capabilities().defaults["region"]))
    except RenderError as exc:
        raise BatchError(exc.message, exc.hint) from None
    from shotscript.runtime.ledger import LedgerError, open_ledger

    try:  # fail closed: without the ledger, no create is sent
        ledger = stack.enter_context(open_ledger())
        stores.on_moved = ledger.moved
    except LedgerError as exc:
        raise BatchError(str(exc), "move the damaged file aside only if you know what it held; "
                         "nothing was sent") from None  # fmt: skip
    transport = PacedTransport(pacer, ApiTransport())
    shared: list[Closable] = [transport]

    def make(payload: Payload) -> Backend:
        region = settings(payload.meta.region, payload.meta.base_url)
        plain = SharedPlainTransport(UrlPolicy.for_base_url(region.base_url))  # the clients' own policy
        shared.append(plain)
        return DashScopeBackend(
            region,
            stores=stores,
            known_tasks=journal.task_ids,
            submit_gate=pacer.submit_turn,
            transport=transport,
            plain_transport=plain,
            resubmit=request.resubmit,
            new_take=request.new_take,
            ledger=ledger,
        )

    return RegionRouter(make), shared, first.api_key


def _options(request: RenderRequest) -> tuple[BatchOptions, PriceTable, list[StoryFile]]:
    render_table, origin = folder_render(batch_base(request.paths))
    try:
        options = resolve(request.flags, render_table, origin)
    except ValueError as exc:
        raise BatchError(str(exc), code=Exit.USAGE) from None
    prices = prices_of(options)
    files = story_files(request.paths)
    if not files:
        raise BatchError(
            "no story files (.shot, .yaml, .yml) found in " + ", ".join(map(str, request.paths)),
            code=Exit.USAGE,
        )
    for file in files:  # keys hold no `..` by construction; checked before anything is created
        target = file.output(options.out_dir, options.backend)
        if not inside(options.out_dir, target):
            raise BatchError(f"{file.path}: its video would be written to {target}, outside the output "
                             f"folder {options.out_dir}; nothing was sent", code=Exit.USAGE)  # fmt: skip
    return options, prices, files


class Session:
    """One render run: the output folder's lock and journal, held from `open` to `close`."""

    def __init__(self, request: RenderRequest, err: TextIO | None = None) -> None:
        self.request = request
        self.err = err or sys.stderr
        self.options, self.prices, self.files = _options(request)
        self._stack = contextlib.ExitStack()
        self.journal: Journal | None = None
        self.runner: BatchRunner | None = None
        self.run_id = 0
        self._shared: list[Closable] = []  # connection pools of every story, closed after the run

    def _say(self, text: str) -> None:
        # Plain lines: rich (~25 ms to load) is for tables and the live board only.
        print(text, file=self.err, flush=True)

    def __enter__(self) -> Session:
        try:
            self._stack.enter_context(folder_lock(self.options.out_dir))
            self.journal = self._stack.enter_context(open_journal(self.options.out_dir))
        except JournalError as exc:
            self._stack.close()
            raise BatchError(str(exc), "wait for it to end, or render into another --out folder") from None
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def plan(self) -> None:
        """Plan every story into the journal, say what the run will do, check the budget."""
        journal, options, request = self.journal, self.options, self.request
        assert journal is not None
        forecast = Forecast(currency=self.prices.currency, free=options.backend == "preview")
        # --new-take pays for another take: a request rendered here under another name is no copy.
        rendered = None if request.new_take else journal.rendered_as
        planned = plan(self.files, backend=options.backend, prices=self.prices, rendered=rendered,
                       model=request.model)
        self.run_id = journal.run_started(options.backend, 0)
        # The first creates (every slot's, and the story on deck) need no second compile.
        first = FirstPayloads(self._concurrency() + 1)
        rows = planned_rows(planned, journal, forecast, request, options.out_dir, self.err, None, first)
        count = journal.plan(rows, self.run_id)
        journal.run_counted(self.run_id, count)
        self._say(forecast.line())
        check_budget(options, forecast)
        if options.auto_backend and options.backend == "preview":
            self._say("DASHSCOPE_API_KEY is not set: rendering offline previews (animatics); "
                      "set the key to render for real")  # fmt: skip
        self._prepare_runner(count, first)

    def _concurrency(self) -> int:
        return self.options.concurrency or default_concurrency(self.options.backend)

    def _prepare_runner(self, count: int, first: FirstPayloads) -> None:
        from shotscript.runtime.poll_schedule import scale_from_env

        journal, options, request = self.journal, self.options, self.request
        assert journal is not None
        concurrency = self._concurrency()
        scale = request.poll_scale or scale_from_env()
        pacer = Pacer(
            concurrency=concurrency,
            create_rate=request.submit_rate or C.CREATE_RATE * C.RATE_MARGIN,
            poll_rate=request.poll_rate or C.POLL_RATE * C.RATE_MARGIN,
            scale=scale,
        )
        stores = BatchStores(journal, options.out_dir)
        backend, self._shared, secret = _backend(options, request, stores, journal, pacer, self._stack)
        journal.secret = secret
        tally = Tally(total=count, concurrency=concurrency)
        display = display_for(self.err, tally)
        self.runner = BatchRunner(
            journal, backend, stores,
            options=RunOptions(out_dir=options.out_dir, retry_failed=request.retry_failed, scale=scale,
                               run=self.run_id, new_take=request.new_take, model=request.model),
            display=display, slots=pacer.slots, task_ended=pacer.forget, first=first,
            quiet_work=functools.partial(_ahead, count),
        )  # fmt: skip

    async def run(self) -> None:
        """Render every story of the run (returns when all have ended; cancellable)."""
        assert self.runner is not None
        try:
            with self.runner.display:
                await self.runner.run()
        finally:
            for shared in self._shared:
                await shared.close()

    def finish(self, how: str) -> RenderOutcome:
        """Record how the run ended, write the report, print the summary; the outcome."""
        journal, options = self.journal, self.options
        assert journal is not None and self.runner is not None
        journal.run_ended(self.run_id, how)
        extra = {"backend": self.runner.backend.name, "out": str(options.out_dir),
                 "prices": self.prices.provenance()}  # fmt: skip
        write_json(journal, options.out_dir, extra)
        html = write_html(journal, options.out_dir, extra)
        summary_table(journal, self.err)
        results = [_result(row, options.out_dir, self.runner) for row in journal.run_rows(self.run_id)]
        if how != "finished":
            message = (f"{how}: every task is recorded in {journal.path}; "
                       "run the same command again to resume (nothing is sent twice)")  # fmt: skip
            self._say(message)
            code = Exit.INTERRUPTED if how == "interrupted" else Exit.TERMINATED
            return RenderOutcome(code, results, journal.path, html, message)
        stopped = [(r.error or {}).get("kind") for r in results if r.state not in ("done", "needs-attention")]
        return RenderOutcome(exit_for(journal.counts(self.run_id), stopped), results, journal.path, html)


def _ahead(stories: int) -> None:
    """What the end of each story and of the run will need (PyAV ~40 ms, the report ~45 ms),
    loaded while the tasks run: a small batch's tasks end together, and all of it would come
    after the last video."""
    from shotscript.runtime.download import prepare as prepare_video_check

    prepare_video_check()
    prepare_report(stories)


def _result(row: JournalRow, out_dir: Path, runner: BatchRunner) -> StoryResult:
    video = out_dir / row.video if row.video else None
    return StoryResult(
        key=row.key,
        story=Path(row.path),
        state=row.state,
        video=video if video is not None and video.is_file() else None,
        task_id=row.task_id,
        billed_seconds=row.billed_seconds,
        cost=row.cost if row.state == "done" else None,
        currency=row.currency,
        error=row.error if row.state != "done" else None,
        skipped=row.key in runner.skipped,
        note=runner.notes.get(row.key),
    )


def render_sync(request: RenderRequest, *, err: TextIO | None = None) -> RenderOutcome:
    """Render (or with `dry_run`, plan) every story under the paths, in a loop of its own.

    Ctrl-C and SIGTERM end it cleanly: everything is recorded, the same call resumes."""
    if request.dry_run:
        return _dry_run(request, err or sys.stderr)
    with Session(request, err) as session:
        session.plan()

        async def main() -> None:
            loop = asyncio.get_running_loop()
            pool = ThreadPoolExecutor(C.WORKER_THREADS, thread_name_prefix="shotscript-batch")
            loop.set_default_executor(pool)
            task = asyncio.current_task()
            assert task is not None
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(signal.SIGTERM, task.cancel)
            await session.run()

        how = "finished"
        try:
            asyncio.run(main())
        except KeyboardInterrupt:
            how = "interrupted"
        except asyncio.CancelledError:
            how = "terminated"
        return session.finish(how)


async def render_async(request: RenderRequest, *, err: TextIO | None = None) -> RenderOutcome:
    """`render_sync` inside a running event loop (cancelling it leaves everything recorded)."""
    if request.dry_run:
        return _dry_run(request, err or sys.stderr)
    with Session(request, err) as session:
        session.plan()
        try:
            await session.run()
        except asyncio.CancelledError:
            session.finish("terminated")
            raise
        return session.finish("finished")


def _dry_run(request: RenderRequest, err: TextIO) -> RenderOutcome:
    options, prices, files = _options(request)
    from rich.table import Table  # the dry run's table: not loaded for a render

    console = console_for(sys.stdout)  # the plan is what a dry run is for: stdout
    journal = None
    if journal_path(options.out_dir).is_file():
        with contextlib.suppress(JournalError):
            journal = open_journal(options.out_dir)
    table = Table(show_edge=False, pad_edge=False)
    for name, justify in (("story", "left"), ("action", "left"), ("billed s", "right"), ("cost", "right"),
                          ("note", "left")):  # fmt: skip
        table.add_column(name, justify=justify, overflow="fold")  # type: ignore[arg-type]
    forecast = Forecast(currency=prices.currency, free=options.backend == "preview")
    try:
        rendered = journal.rendered_as if journal is not None and not request.new_take else None
        planned = plan(files, backend=options.backend, prices=prices, rendered=rendered, model=request.model)
        for _ in planned_rows(planned, journal, forecast, request, options.out_dir, err, table):
            pass
    finally:
        if journal is not None:
            journal.close()
    console.print(table)
    console.print(forecast.line())
    console.print(f"prices: {prices.source}, {prices.date} ({prices.currency}); dry run: nothing was sent")
    if options.budget is not None and not forecast.free:
        check_budget(options, forecast)
        console.print(f"within the budget of {money(options.budget, prices.currency)}")
    code = Exit.FAILED if forecast.actions.get("invalid") else Exit.OK
    return RenderOutcome(code, message="dry run: nothing was sent")
