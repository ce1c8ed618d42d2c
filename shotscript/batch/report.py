"""Telling what a batch did: totals, a summary table, report.json and report.html.

Both files are written story by story from the journal (never the whole batch in memory),
and atomically: a reader sees the previous report or the new one.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from shotscript.batch import constants as C
from shotscript.batch.cost import billed_seconds_of, round_money
from shotscript.batch.journal import Journal, JournalRow
from shotscript.batch.thumbnails import thumbnail_path
from shotscript.facts.version import __version__
from shotscript.runtime.ledger import folder_spent

if TYPE_CHECKING:  # rich is loaded only to draw a table (~25 ms, and a render may show none)
    import jinja2
    from rich.console import Console


@cache
def _template() -> jinja2.Template:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("shotscript.batch", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.get_template("report.html.jinja")


@dataclass(frozen=True)
class Totals:
    """The current batch in numbers."""

    stories: int
    states: dict[str, int]
    billed_seconds: float  # of done stories, as the service billed them
    cost: float  # of done stories
    pending_seconds: float  # estimated, of stories neither done nor failed
    pending_cost: float
    upper_bound: bool  # some estimate counts a video of unknown length at its cap
    currency: str
    # What the ledger says was billed into this folder over every take (earlier takes, replaced
    # videos): the journal keeps only each story's current take. None: no ledger to ask.
    all_takes_seconds: float | None = None

    @property
    def failed(self) -> int:
        """Stories that failed."""
        return self.states.get("failed", 0)

    @property
    def done(self) -> int:
        """Stories whose video is there."""
        return self.states.get("done", 0)

    def to_json(self) -> dict[str, Any]:
        """For report.json and `status --json`."""
        return {
            "stories": self.stories,
            "states": self.states,
            "done": self.done,
            "failed": self.failed,
            "needs_attention": self.states.get("needs-attention", 0),
            "billed_seconds": round(self.billed_seconds, 3),
            "cost": round_money(self.cost, self.currency),
            "pending_seconds": round(self.pending_seconds, 3),
            "pending_cost": round_money(self.pending_cost, self.currency),
            "estimate_is_upper_bound": self.upper_bound,
            "currency": self.currency,
            "billed_seconds_all_takes": (
                None if self.all_takes_seconds is None else round(self.all_takes_seconds, 3)
            ),
        }


def totals(journal: Journal) -> Totals:
    """Aggregate the journal's current batch (one query, nothing kept per story)."""
    states = journal.counts()
    row = journal.db.execute(
        """
        SELECT COUNT(*),
            COALESCE(SUM(CASE WHEN state = 'done' THEN billed_seconds END), 0),
            COALESCE(SUM(CASE WHEN state = 'done' THEN billed_seconds * price END), 0),
            COALESCE(SUM(CASE WHEN state NOT IN ('done', 'failed') AND backend != 'preview'
                THEN estimate_seconds END), 0),
            COALESCE(SUM(CASE WHEN state NOT IN ('done', 'failed') AND backend != 'preview'
                THEN estimate_seconds * price END), 0),
            COALESCE(MAX(CASE WHEN state NOT IN ('done', 'failed') AND backend != 'preview'
                AND estimate_exact = 0 THEN 1 END), 0),
            MAX(currency)
        FROM stories WHERE current = 1
        """
    ).fetchone()
    return Totals(
        stories=row[0],
        states=states,
        billed_seconds=row[1],
        cost=row[2],
        pending_seconds=row[3],
        pending_cost=row[4],
        upper_bound=bool(row[5]),
        currency=row[6] or "CNY",
        all_takes_seconds=folder_spent(journal.path.parent),
    )


def prepare(stories: int) -> None:
    """Load what the end of a run of `stories` will need — Pillow for the thumbnails, the
    contact sheet's template, and rich if the summary table will list them — so that it is not
    done after the last video."""
    import PIL.Image  # noqa: F401

    _template()
    if stories <= C.SUMMARY_ROWS_MAX:
        import rich.table  # noqa: F401


def console_for(stream: TextIO | None = None) -> Console:
    """A console for tables: as wide as the terminal, or wide enough when writing to a file."""
    from rich.console import Console

    console = Console(file=stream, highlight=False, soft_wrap=True)
    if not console.is_terminal:
        console = Console(file=stream, highlight=False, soft_wrap=True, width=200)
    return console


def money(amount: float | None, currency: str | None) -> str:
    """`¥3.75` for CNY, `12.50 USD` otherwise; `—` when unknown."""
    if amount is None:
        return "—"
    return f"¥{amount:,.2f}" if (currency or "CNY") == "CNY" else f"{amount:,.2f} {currency}"


def seconds_text(row: JournalRow) -> str:
    """Billed seconds as billed (0 for previews and failed tasks), else as estimated (`≤` when
    an upper bound)."""
    seconds, kind = billed_seconds_of(state=row.state, backend=row.backend, billed=row.billed_seconds,
                                      estimate=row.estimate_seconds)  # fmt: skip
    if seconds is None:
        return "—"
    bound = "≤" if kind == "estimate" and not row.estimate_exact else ""
    return f"{bound}{seconds:g}"


def why(row: JournalRow) -> str:
    """The reason of a failure, in one line ('' when none)."""
    if not row.error or row.state == "done":
        return ""
    message = str(row.error.get("message") or row.error.get("kind") or "")
    hint = row.error.get("hint")
    return f"{message} (hint: {hint})" if hint else message


def story_json(row: JournalRow, out_dir: Path) -> dict[str, Any]:
    """One story as report.json lists it."""
    thumb = thumbnail_path(out_dir, row.key)
    data = row.to_json()
    data["thumbnail"] = thumb.relative_to(out_dir).as_posix() if thumb.exists() else None
    data["reason"] = why(row) or None
    return data


def _atomic(path: Path) -> tuple[Path, TextIO]:
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    return partial, partial.open("w", encoding="utf-8")


def write_json(journal: Journal, out_dir: Path, extra: dict[str, Any]) -> Path:
    """report.json: the totals, then every story of the current batch."""
    target = out_dir / C.REPORT_JSON
    head = {
        "shotscript": __version__,
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        **extra,
        "totals": totals(journal).to_json(),
    }
    partial, f = _atomic(target)
    with f:
        f.write(json.dumps(head, ensure_ascii=False, indent=2)[:-2] + ',\n  "stories": [')
        for i, row in enumerate(journal.rows()):
            f.write(("," if i else "") + "\n    " + json.dumps(story_json(row, out_dir), ensure_ascii=False))
        f.write("\n  ]\n}\n")
    os.replace(partial, target)
    return target


def _cards(journal: Journal, out_dir: Path) -> Iterator[dict[str, Any]]:
    for row in journal.rows():
        data = story_json(row, out_dir)
        summary = row.summary
        prompt = str(summary.get("prompt") or "")
        data.update(
            title=summary.get("title") or row.key,
            meta=" · ".join(
                str(x)
                for x in (
                    summary.get("model"),
                    summary.get("size"),
                    f"{summary['duration']} s" if summary.get("duration") else None,
                    ("sound" if summary.get("audio") else "silent") if "audio" in summary else None,
                )
                if x
            ),
            prompt=prompt,
            prompt_short=prompt[: C.PROMPT_PREVIEW_CHARS]
            + ("…" if len(prompt) > C.PROMPT_PREVIEW_CHARS else ""),
            shots=summary.get("shots") or [],
            cast=summary.get("cast") or [],
            seconds=seconds_text(row),
            billed=row.billed_seconds is not None,
            money=money(row.cost, row.currency),
            video_exists=bool(row.video) and (out_dir / str(row.video)).exists(),
        )
        yield data


def write_html(journal: Journal, out_dir: Path, extra: dict[str, Any]) -> Path:
    """report.html: a contact sheet, one card per story, failures with their reasons."""
    target = out_dir / C.REPORT_HTML
    t = totals(journal)
    template = _template()
    partial, f = _atomic(target)
    with f:
        for chunk in template.generate(
            totals=t,
            money=money,
            cards=_cards(journal, out_dir),
            generated_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            version=__version__,
            **extra,
        ):
            f.write(chunk)
    os.replace(partial, target)
    return target


def summary_table(journal: Journal, stream: TextIO) -> None:
    """The end-of-run table: every story (or, for big batches, those not done) and totals.

    A big batch that is all done has no table: then rich is not even loaded."""
    t = totals(journal)
    every = t.stories <= C.SUMMARY_ROWS_MAX
    rows: list[JournalRow] = []
    shown = 0
    for row in journal.rows():
        if not every and row.state == "done":
            continue
        shown += 1
        if shown <= C.SUMMARY_ROWS_MAX:
            rows.append(row)
    if rows:
        from rich.table import Table

        table = Table(title=None if every else "stories not done", show_edge=False, pad_edge=False)
        for name, justify in (("story", "left"), ("state", "left"), ("billed s", "right"),
                              ("cost", "right"), ("reason", "left")):  # fmt: skip
            table.add_column(name, justify=justify, overflow="fold")  # type: ignore[arg-type]
        for row in rows:
            style = {"done": "green", "failed": "red", "needs-attention": "yellow"}.get(row.state, "")
            table.add_row(row.key, f"[{style}]{row.state}[/]" if style else row.state, seconds_text(row),
                          money(row.cost, row.currency), why(row))  # fmt: skip
        console_for(stream).print(table)
    if shown > C.SUMMARY_ROWS_MAX:
        print(f"… and {shown - C.SUMMARY_ROWS_MAX} more (shotscript status)", file=stream)
    print(totals_line(t), file=stream, flush=True)


def totals_line(t: Totals) -> str:
    """`50 stories: 45 done, 5 failed · billed 612.5 s = ¥183.75 · still to pay ≤ ¥12.00`."""
    parts = [f"{state} {n}" for state, n in sorted(t.states.items()) if state not in ("done", "failed")]
    noun = "story" if t.stories == 1 else "stories"
    text = f"{t.stories} {noun}: {t.done} done, {t.failed} failed" + "".join(f", {p}" for p in parts)
    text += f" · billed {t.billed_seconds:g} s = {money(t.cost, t.currency)}"
    if t.all_takes_seconds is not None and t.all_takes_seconds > t.billed_seconds + 1e-6:
        text += f" (this take; all takes into this folder: {t.all_takes_seconds:g} s, the ledger says)"
    if t.pending_seconds:
        bound = "≤ " if t.upper_bound else ""
        text += f" · not done: {bound}{t.pending_seconds:g} s ≈ {money(t.pending_cost, t.currency)}"
    return text
