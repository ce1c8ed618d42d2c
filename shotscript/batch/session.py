"""The one place that knows a batch's order: settings → plan → journal → budget → run → report."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from rich.console import Console
from rich.table import Table

from shotscript.batch import constants as C
from shotscript.batch.cost import PriceError, PriceTable, load_prices
from shotscript.batch.display import Tally, display_for
from shotscript.batch.journal import (
    Journal,
    JournalError,
    PlannedRow,
    journal_path,
    open_journal,
)
from shotscript.batch.lock import folder_lock
from shotscript.batch.options import BatchFlags, BatchOptions, default_concurrency, folder_render, resolve
from shotscript.batch.pacing import PacedTransport, Pacer
from shotscript.batch.plan import Planned, StoryFile, batch_base, plan, story_files
from shotscript.batch.policy import PlanAction, error_retryable, plan_action, spends
from shotscript.batch.report import console_for, money, summary_table, write_html, write_json
from shotscript.batch.runner import BatchRunner, BatchStores, RunOptions
from shotscript.compiler.payload import Payload
from shotscript.runtime.backend import Backend
from shotscript.runtime.events import EventSink
from shotscript.runtime.lifecycle import RenderResult

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_ATTENTION, EXIT_INTERRUPTED, EXIT_TERMINATED = 0, 1, 2, 3, 130, 143


class BatchError(Exception):
    """A batch that cannot start; the message (and hint) are for the user."""

    def __init__(self, message: str, hint: str | None = None, code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.code = code


@dataclass(frozen=True)
class BatchRequest:
    """What `shotscript render PATH…` asked for."""

    paths: tuple[Path, ...]
    flags: BatchFlags = field(default_factory=BatchFlags)
    retry_failed: bool = False
    dry_run: bool = False
    base_url: str | None = None
    poll_scale: float | None = None
    submit_rate: float | None = None
    poll_rate: float | None = None


@dataclass
class Forecast:
    """What a run would do, counted while planning."""

    actions: dict[str, int] = field(default_factory=dict)
    spend_seconds: float = 0.0
    spend_cost: float = 0.0
    upper_bound: bool = False
    unpriced: list[str] = field(default_factory=list)
    currency: str = "CNY"
    free: bool = False  # previews: nothing is billed

    def add(self, row: PlannedRow, action: PlanAction) -> None:
        """Count one story."""
        self.actions[action] = self.actions.get(action, 0) + 1
        if not spends(action) or row.estimate_seconds is None:
            return
        self.spend_seconds += row.estimate_seconds
        self.upper_bound |= not row.estimate_exact
        if row.price is None:
            self.unpriced.append(row.key)
        else:
            self.spend_cost += row.estimate_seconds * row.price
        self.currency = row.currency or self.currency

    def line(self) -> str:
        """`8 stories: 6 new, 2 done · to send: ≤ 75 s ≈ ¥22.50`."""
        total = sum(self.actions.values())
        order = ("new", "retry", "resume", "copy", "done", "failed", "invalid")
        parts = ", ".join(f"{self.actions[a]} {a}" for a in order if self.actions.get(a))
        bound = "≤ " if self.upper_bound else ""
        text = f"{total} stor{'y' if total == 1 else 'ies'}: {parts}"
        cost = f"{bound}{self.spend_seconds:g} billed s ≈ {money(self.spend_cost, self.currency)}"
        if self.free:
            return text + f" · previews: nothing is billed (for real: {cost})"
        return text + f" · to send: {cost}"


def _prices(options: BatchOptions) -> PriceTable:
    try:
        return load_prices(options.prices)
    except PriceError as exc:
        raise BatchError(
            str(exc), "fix the price file, or leave --prices out to use the shipped prices"
        ) from None


def _planned_rows(
    planned: Iterator[Planned],
    journal: Journal | None,
    forecast: Forecast,
    request: BatchRequest,
    out_dir: Path,
    err: TextIO,
    table: Table | None,
) -> Iterator[PlannedRow]:
    """Each story's row, its diagnostics printed and its action counted, as planning goes."""
    from shotscript.cli.common import print_diagnostics

    for p in planned:
        row = p.row
        if row.error is not None or any(d.severity == "warning" for d in p.result.diagnostics):
            with contextlib.redirect_stderr(err):
                print_diagnostics(p.result)
        known = journal.row(row.key, row.fingerprint) if journal is not None else None
        action = plan_action(
            known.state if known else None,
            invalid=row.error is not None,
            same_as=row.same_as is not None,
            video_exists=p.file.output(out_dir).exists(),
            retry_failed=request.retry_failed,
            retryable=error_retryable(known.error) if known else False,
        )
        forecast.add(row, action)
        if table is not None:
            seconds = (
                "—"
                if row.estimate_seconds is None
                else (("" if row.estimate_exact else "≤") + f"{row.estimate_seconds:g}")
            )
            cost = (
                None
                if row.estimate_seconds is None or row.price is None
                else row.estimate_seconds * row.price
            )
            note = f"same as {row.same_as}" if row.same_as else (row.error or {}).get("message", "")
            table.add_row(row.key, action, seconds, money(cost, row.currency), note)
        yield row


def _check_budget(options: BatchOptions, forecast: Forecast) -> None:
    if options.budget is None or forecast.free:
        return
    if forecast.unpriced:
        n = len(forecast.unpriced)
        raise BatchError(
            f"no price is known for {n} stor{'y' if n == 1 else 'ies'}"
            f" ({', '.join(forecast.unpriced[:3])}{'…' if n > 3 else ''}): cannot check the budget",
            "add their model and tier to a --prices file",
        )
    if forecast.spend_cost > options.budget:
        bound = "up to " if forecast.upper_bound else ""
        raise BatchError(
            f"the batch would cost {bound}{money(forecast.spend_cost, forecast.currency)} "
            f"({forecast.spend_seconds:g} billed s), over the budget of "
            f"{money(options.budget, forecast.currency)}; nothing was sent",
            "raise --budget, or render fewer stories",
        )


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
    options: BatchOptions, request: BatchRequest, stores: BatchStores, journal: Journal, pacer: Pacer
) -> tuple[Backend, PacedTransport | None, str | None]:
    """The backend of the run, the shared transport to close after, and the key to keep secret."""
    if options.backend == "preview":
        from shotscript.runtime.preview_backend import PreviewBackend

        return PreviewBackend(stores=stores), None, None
    from shotscript.facts.capabilities import capabilities
    from shotscript.runtime.backend import DashScopeBackend
    from shotscript.runtime.errors import RenderError
    from shotscript.runtime.settings import RuntimeSettings, settings_from_env

    def settings(region: str, compiled: str | None = None) -> RuntimeSettings:
        return settings_from_env(
            region, base_url=request.base_url, compiled_base_url=compiled, poll_scale=request.poll_scale
        )

    try:  # a missing key or a bad base URL stops the batch before it starts
        first = settings(str(capabilities().defaults["region"]))
    except RenderError as exc:
        raise BatchError(exc.message, exc.hint) from None
    transport = PacedTransport(pacer)

    def make(payload: Payload) -> Backend:
        return DashScopeBackend(
            settings(payload.meta.region, payload.meta.base_url),
            stores=stores,
            known_tasks=journal.task_ids,
            submit_gate=pacer.submit_turn,
            transport=transport,
        )

    return RegionRouter(make), transport, first.api_key


def render_batch(request: BatchRequest, *, err: TextIO | None = None, out: TextIO | None = None) -> int:
    """Render (or with `dry_run`, plan) every story under the paths; the exit status."""
    err = err or sys.stderr
    out = out or sys.stdout
    console = console_for(err)
    render_table, origin = folder_render(batch_base(request.paths))
    try:
        options = resolve(request.flags, render_table, origin)
    except ValueError as exc:
        raise BatchError(str(exc), code=EXIT_USAGE) from None
    prices = _prices(options)
    files = story_files(request.paths)
    if not files:
        raise BatchError(
            "no story files (.shot, .yaml, .yml) found in " + ", ".join(map(str, request.paths)),
            code=EXIT_USAGE,
        )
    out_dir = options.out_dir
    if request.dry_run:
        # The plan is what a dry run is for: its table goes to stdout, diagnostics to stderr.
        return _dry_run(request, options, prices, files, console_for(out), err)
    with contextlib.ExitStack() as stack:
        try:
            stack.enter_context(folder_lock(out_dir))
            journal = stack.enter_context(open_journal(out_dir))
        except JournalError as exc:
            raise BatchError(str(exc)) from None
        _no_previews_over_renders(options, journal)
        forecast = Forecast(currency=prices.currency, free=options.backend == "preview")
        planned = plan(files, backend=options.backend, prices=prices, rendered=journal.rendered_as)
        count = journal.plan(_planned_rows(planned, journal, forecast, request, out_dir, err, None))
        console.print(forecast.line())
        _check_budget(options, forecast)
        if options.auto_backend and options.backend == "preview":
            console.print("DASHSCOPE_API_KEY is not set: rendering offline previews (animatics); "
                          "set the key to render for real")  # fmt: skip
        return _run(request, options, prices, journal, count, console, out)
    return EXIT_OK  # pragma: no cover (the with block returns)


def _no_previews_over_renders(options: BatchOptions, journal: Journal) -> None:
    """Animatics must never overwrite videos that were paid for."""
    if options.backend != "preview":
        return
    paid = journal.done_with("dashscope")
    if paid:
        why = (
            "DASHSCOPE_API_KEY is not set, so previews were chosen"
            if options.auto_backend
            else "--backend preview"
        )
        raise BatchError(
            f"{options.out_dir} holds {paid} video(s) rendered by DashScope; {why}, "
            "and they would overwrite them",
            "set DASHSCOPE_API_KEY to resume the real renders, or render previews into another --out folder",
        )


def _dry_run(
    request: BatchRequest,
    options: BatchOptions,
    prices: PriceTable,
    files: list[StoryFile],
    console: Console,
    err: TextIO,
) -> int:
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
        rendered = journal.rendered_as if journal is not None else None
        planned = plan(files, backend=options.backend, prices=prices, rendered=rendered)
        for _ in _planned_rows(planned, journal, forecast, request, options.out_dir, err, table):
            pass
    finally:
        if journal is not None:
            journal.close()
    console.print(table)
    console.print(forecast.line())
    console.print(f"prices: {prices.source}, {prices.date} ({prices.currency}); dry run: nothing was sent")
    if options.budget is not None and not forecast.free:
        _check_budget(options, forecast)
        console.print(f"within the budget of {money(options.budget, prices.currency)}")
    return EXIT_FAILED if forecast.actions.get("invalid") else EXIT_OK


def _run(
    request: BatchRequest,
    options: BatchOptions,
    prices: PriceTable,
    journal: Journal,
    count: int,
    console: Console,
    out: TextIO,
) -> int:
    from shotscript.runtime.poll_schedule import scale_from_env

    concurrency = options.concurrency or default_concurrency(options.backend)
    scale = request.poll_scale or scale_from_env()
    pacer = Pacer(
        concurrency=concurrency,
        create_rate=request.submit_rate or C.CREATE_RATE * C.RATE_MARGIN,
        poll_rate=request.poll_rate or C.POLL_RATE * C.RATE_MARGIN,
        scale=scale,
    )
    stores = BatchStores(journal, options.out_dir)
    backend, transport, secret = _backend(options, request, stores, journal, pacer)
    journal.secret = secret
    tally = Tally(total=count, concurrency=concurrency)
    display = display_for(console.file, tally)  # type: ignore[arg-type]
    runner = BatchRunner(
        journal, backend, stores,
        options=RunOptions(out_dir=options.out_dir, retry_failed=request.retry_failed, scale=scale),
        display=display, slots=pacer.slots, task_ended=pacer.forget,
    )  # fmt: skip
    run_id = journal.run_started(backend.name, count)
    outcome = "finished"

    async def main() -> None:
        loop = asyncio.get_running_loop()
        loop.set_default_executor(ThreadPoolExecutor(C.WORKER_THREADS, thread_name_prefix="shotscript-batch"))
        task = asyncio.current_task()
        assert task is not None
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signal.SIGTERM, task.cancel)
        try:
            with display:
                await runner.run()
        finally:
            if transport is not None:
                await transport.close()

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        outcome = "interrupted"
    except asyncio.CancelledError:
        outcome = "terminated"
    journal.run_ended(run_id, outcome)
    extra = {"backend": backend.name, "out": str(options.out_dir), "prices": prices.provenance()}
    write_json(journal, options.out_dir, extra)
    html = write_html(journal, options.out_dir, extra)
    summary_table(journal, console)
    if outcome != "finished":
        console.print(f"{outcome}: every task is recorded in {journal.path}; "
                      "run the same command again to resume (nothing is sent twice)")  # fmt: skip
        return EXIT_INTERRUPTED if outcome == "interrupted" else EXIT_TERMINATED
    print(html, file=out)
    counts = journal.counts()
    if counts.get("failed") or any(counts.get(s) for s in ("queued", "submitted", "running", "downloading",
                                                           "uploading", "submitting")):  # fmt: skip
        return EXIT_FAILED
    return EXIT_ATTENTION if counts.get("needs-attention") else EXIT_OK
