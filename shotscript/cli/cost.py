"""`shotscript cost`: billed seconds and a price estimate per story, before anything is sent."""

from __future__ import annotations

import json
from pathlib import Path

import click

from shotscript.cli.common import EXIT_ERRORS, model_option, paths_argument


@click.command()
@paths_argument
@click.option(
    "--prices",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    metavar="FILE",
    help="A price file overriding the shipped prices, entry by entry (default: [render] prices).",
)
@click.option("--json", "as_json", is_flag=True, help="Every story's figures as JSON.")
@click.option(
    "--probe-remote",
    is_flag=True,
    help="Read the length of each http(s) reference video from its first bytes (network), "
    "instead of counting it at its cap.",
)
@model_option
def cost(
    paths: tuple[Path, ...], prices: Path | None, as_json: bool, probe_remote: bool, model: str | None
) -> None:
    """Billed seconds and estimated price of stories (or folders of them, recursively).

    \b
    shotscript cost stories/                      a table and the total
    shotscript cost story.shot --prices my.toml   with your own prices
    shotscript cost stories/ --json               for scripts
    shotscript cost stories/ --model wan2.7-r2v   what the same stories cost on another model

    Billed seconds = input video seconds + output seconds. Each reference video counts its
    length, capped at a share of 5 s: on wan2.6, 5 / the number of references; on wan2.7,
    5 / the number of reference videos; images (and a first frame) are free. A video whose
    length is unknown (a URL, unless --probe-remote) counts at its cap, so the figure is an
    upper bound, marked `≤`. The price per second depends on the
    model, the tier (720P/1080P) and, for wan2.6-r2v-flash, sound or silence; the shipped
    prices (shotscript/facts/prices.toml) say where they come from and when; a file of your
    own in the same shape overrides them. Exit status: 0, 1 if a story has errors, 2 usage.
    """
    from rich.table import Table

    from shotscript.batch.cost import (
        PriceError,
        durations_with,
        estimate,
        load_prices,
        remote_durations,
        round_money,
    )  # fmt: skip
    from shotscript.batch.options import folder_render
    from shotscript.batch.plan import batch_base, story_files
    from shotscript.batch.report import console_for, money
    from shotscript.cli.common import print_diagnostics
    from shotscript.media.check import check_file

    files = story_files(list(paths))
    if not files:
        raise click.UsageError("no story files (.shot, .yaml, .yml) found in " + ", ".join(map(str, paths)))
    if prices is None:
        render, origin = folder_render(batch_base(list(paths)))
        if isinstance(render.get("prices"), str):
            prices = origin["prices"].parent / str(render["prices"])
    try:
        table_of_prices = load_prices(prices)
    except PriceError as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(EXIT_ERRORS) from None
    results = [(f, check_file(f.path, model=model)) for f in files]
    bad = False
    for _, result in results:
        if not result.ok or result.payload is None:
            bad = True
            print_diagnostics(result)
    payloads = [(f, r.payload) for f, r in results if r.ok and r.payload is not None]
    known = remote_durations([p for _, p in payloads]) if probe_remote else {}
    durations = durations_with(known)
    rows = [(f, estimate(p, table_of_prices, durations)) for f, p in payloads]
    total_seconds = sum(e.billing.seconds for _, e in rows)
    currency = rows[0][1].currency if rows else table_of_prices.currency
    total_cost = round_money(sum(e.cost or 0.0 for _, e in rows), currency)
    unpriced = [f.key for f, e in rows if e.cost is None]
    upper = any(not e.billing.exact for _, e in rows)
    if as_json:
        document = {
            "prices": table_of_prices.provenance(),
            "stories": [
                {
                    "story": f.key,
                    "path": str(f.path),
                    "model": e.model,
                    "tier": e.tier,
                    "audio": e.audio,
                    "input_seconds": e.billing.input_seconds,
                    "output_seconds": e.billing.output_seconds,
                    "billed_seconds": e.billing.seconds,
                    "exact": e.billing.exact,
                    "videos_at_cap": list(e.billing.unknown_videos),
                    "region": e.region,
                    "price": e.price,
                    "cost": e.cost,
                    "currency": e.currency,
                    "notes": list(e.notes),
                }
                for f, e in rows
            ],
            "total": {
                "billed_seconds": round(total_seconds, 3),
                "cost": total_cost,
                "exact": not upper,
                "unpriced": unpriced,
                "currency": currency,
            },
        }
        click.echo(json.dumps(document, ensure_ascii=False, indent=2))
    else:
        console = console_for()
        table = Table(show_edge=False, pad_edge=False)
        for name in ("story", "model", "tier", "sound", "input s", "output s", "billed s", "price/s", "cost"):
            justify = "left" if name in ("story", "model", "tier", "sound") else "right"
            table.add_column(name, justify=justify)  # type: ignore[arg-type]
        for f, e in rows:
            mark = "" if e.billing.exact else "≤"
            table.add_row(
                f.key, e.model, e.tier, "sound" if e.audio else "silent",
                f"{mark}{e.billing.input_seconds:g}", str(e.billing.output_seconds),
                f"{mark}{e.billing.seconds:g}", money(e.price, currency) if e.price is not None else "—",
                money(e.cost, currency),
            )  # fmt: skip
        console.print(table)
        bound = "≤ " if upper else ""
        unknown = f" + unknown for {len(unpriced)} (no price for their region)" if unpriced else ""
        console.print(f"total: {bound}{total_seconds:g} billed s ≈ {money(total_cost, currency)}{unknown}")
        if upper:
            console.print("≤: a reference video of unknown length counts at its cap (try --probe-remote)")
        for f, e in rows:
            for note in e.notes:
                console.print(f"{f.key}: {note}")
        p = table_of_prices
        console.print(f"prices: {p.source} ({p.date}; {', '.join(p.files)})")
    if bad:
        raise SystemExit(EXIT_ERRORS)
