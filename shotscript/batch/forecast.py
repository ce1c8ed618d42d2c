"""What a run would do and cost, counted while planning: the forecast line, the budget check."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from shotscript.batch.cost import PriceError, PriceTable, load_prices
from shotscript.batch.journal import Journal, PlannedRow
from shotscript.batch.options import BatchOptions
from shotscript.batch.outcome import Exit
from shotscript.batch.plan import FirstPayloads, Planned
from shotscript.batch.policy import PlanAction, error_retryable, plan_action, spends
from shotscript.batch.report import money

if TYPE_CHECKING:
    from rich.table import Table  # a dry run's table; a render never loads rich for it

    from shotscript.batch.session import RenderRequest


class BatchError(Exception):
    """A render that cannot start; the message (and hint) are for the user."""

    def __init__(self, message: str, hint: str | None = None, code: Exit = Exit.FAILED) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.code = code


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
        order = ("new", "take", "retry", "resume", "copy", "done", "failed", "invalid")
        labels = {"take": "new take"}
        parts = ", ".join(f"{self.actions[a]} {labels.get(a, a)}" for a in order if self.actions.get(a))
        bound = "≤ " if self.upper_bound else ""
        text = f"{total} stor{'y' if total == 1 else 'ies'}: {parts}"
        cost = f"{bound}{self.spend_seconds:g} billed s ≈ {money(self.spend_cost, self.currency)}"
        if self.free:
            return text + f" · previews: nothing is billed (for real: {cost})"
        return text + f" · to send: {cost}"


def prices_of(options: BatchOptions) -> PriceTable:
    try:
        return load_prices(options.prices)
    except PriceError as exc:
        raise BatchError(
            str(exc), "fix the price file, or leave --prices out to use the shipped prices"
        ) from None


def planned_rows(
    planned: Iterator[Planned],
    journal: Journal | None,
    forecast: Forecast,
    request: RenderRequest,
    out_dir: Path,
    err: TextIO,
    table: Table | None,
    first: FirstPayloads | None = None,
) -> Iterator[PlannedRow]:
    """Each story's row, its diagnostics printed and its action counted, as planning goes;
    `first` keeps the payloads of the first stories the run will work on."""
    for p in planned:
        row = p.row
        if row.error is not None or any(d.severity == "warning" for d in p.result.diagnostics):
            from shotscript.compiler.terminal import print_diagnostics  # only for a story that has some

            with contextlib.redirect_stderr(err):
                print_diagnostics(p.result)
        known = journal.row(row.key, row.fingerprint) if journal is not None else None
        action = plan_action(
            known.state if known else None,
            invalid=row.error is not None,
            same_as=row.same_as is not None,
            video_exists=p.file.output(out_dir, row.backend).exists(),
            retry_failed=request.retry_failed,
            retryable=error_retryable(known.error) if known else False,
            new_take=request.new_take,
        )
        forecast.add(row, action)
        if first is not None and action in ("new", "take", "retry", "resume"):
            first.offer(p)
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


def check_budget(options: BatchOptions, forecast: Forecast) -> None:
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
