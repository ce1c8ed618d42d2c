"""`shotscript ledger`: what was spent, per day and per output folder, from the per-user ledger."""

from __future__ import annotations

import json

import click


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Every line as JSON, for scripts.")
def ledger(as_json: bool) -> None:
    """Show the money spent: creates, tasks, billed seconds and cost per day (UTC) and folder.

    \b
    shotscript ledger               a table, oldest day first
    shotscript ledger --json        for scripts

    The ledger ($SHOTSCRIPT_HOME/ledger.sqlite, else the platform's user data folder) holds
    every create shotscript sent, from any folder, written before the create left; renders
    consult it before paying, so a request already paid for is polled or copied instead.
    Costs use the shipped prices (see `shotscript cost`); `creates` counts attempts, `tasks`
    the ones the service answered with a task.
    """
    from rich.table import Table

    from shotscript.batch.cost import cost_of, load_prices
    from shotscript.batch.report import console_for, money
    from shotscript.runtime.ledger import LedgerError, open_ledger

    try:
        book = open_ledger()
    except LedgerError as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(1) from None
    prices = load_prices()
    with book:
        lines = book.spent()
    for line in lines:
        region = str(line.get("region") or "")
        price = prices.price(str(line["model"]), str(line["tier"] or ""), bool(line["audio"]), region)
        line["cost"] = cost_of(line["billed_seconds"], price, prices.currency_of(region))
        line["currency"] = prices.currency_of(region)
    if as_json:
        click.echo(json.dumps({"ledger": str(book.path), "spent": lines}, ensure_ascii=False, indent=2))
        return
    console = console_for()
    table = Table(show_edge=False, pad_edge=False)
    numbers = ("creates", "tasks", "billed s", "cost")
    for name in ("day", "folder", "model", *numbers):
        table.add_column(name, justify="right" if name in numbers else "left", overflow="fold")
    for line in lines:
        table.add_row(str(line["day"]), str(line["folder"]), f"{line['model']} {line['tier'] or ''}",
                      str(line["creates"]), str(line["tasks"]), f"{line['billed_seconds']:g}",
                      money(line["cost"], line["currency"]) if line["cost"] is not None else "?")  # fmt: skip
    console.print(table)
    total = sum(line["cost"] or 0 for line in lines)
    seconds = sum(line["billed_seconds"] for line in lines)
    console.print(f"billed {seconds:g} s = {money(total, prices.currency)} in all · {book.path}")
