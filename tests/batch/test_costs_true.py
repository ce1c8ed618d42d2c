"""Costs that are true for every state and backend: failed tasks and previews cost nothing,
a price is the story's own region's or unknown (and said so), money is in cents."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from shotscript.batch.cost import billed_seconds_of, cost_of, estimate, load_prices, round_money
from shotscript.batch.journal import JournalRow
from shotscript.batch.report import seconds_text
from shotscript.cli import cli
from shotscript.compiler.driver import check_file, find_stories

VIRGINIA = """title us
region virginia
model wan2.6-r2v
size 1280*720
duration 5
cast
  girl video https://example.com/girl.mp4
shot 0-5s @girl waves.
"""


def row(**fields: Any) -> JournalRow:
    base: dict[str, Any] = dict(
        key="a", fingerprint="f", path="a.shot", backend="dashscope", state="done", current=True,
        same_as=None, task_id=None, attempts=1, submissions=1, polls=1, video=None,
        estimate_seconds=10.0, estimate_exact=False, price=0.5, currency="CNY", billed_seconds=None,
        usage=None, timings={}, error=None, summary={}, created_at=0.0, updated_at=0.0,
    )  # fmt: skip
    return JournalRow(**{**base, **fields})


@pytest.mark.parametrize(
    ("fields", "seconds", "cost"),
    [
        ({"state": "failed"}, "0", 0.0),  # was "≤10" and ¥5.00: the service bills no failed task
        ({"backend": "preview", "state": "done"}, "0", 0.0),  # was "≤10": an animatic is free
        ({"backend": "preview", "state": "queued"}, "0", 0.0),
        ({"state": "done", "billed_seconds": 7.5}, "7.5", 3.75),
        ({"state": "queued"}, "≤10", 5.0),  # still to pay: the estimate
        ({"state": "needs-attention", "estimate_exact": True}, "10", 5.0),
        ({"state": "queued", "price": None}, "≤10", None),  # no price: unknown, not guessed
        ({"state": "done", "billed_seconds": 7.667, "price": 0.3}, "7.667", 2.3),  # not 2.3001
    ],
)
def test_a_row_costs_what_its_state_and_backend_say(
    fields: dict[str, Any], seconds: str, cost: float | None
) -> None:
    r = row(**fields)
    assert seconds_text(r) == seconds
    assert r.cost == cost


def test_billed_seconds_of_and_cents() -> None:
    assert billed_seconds_of(state="failed", backend="dashscope", billed=None, estimate=10) == (0.0, "free")
    assert billed_seconds_of(state="failed", backend="dashscope", billed=4.0, estimate=10) == (4.0, "billed")
    assert billed_seconds_of(state="running", backend="dashscope", billed=None, estimate=None) == (
        None,
        "unknown",
    )
    assert round_money(2.3001) == 2.3 and round_money(0.125) == 0.13 and round_money(2.675) == 2.68
    assert cost_of(0, None) == 0.0 and cost_of(None, 1.0) is None and cost_of(7.667, 0.3) == 2.3


def test_a_virginia_story_is_not_priced_from_beijing(tmp_path: Path) -> None:
    story = tmp_path / "us.shot"
    story.write_text(VIRGINIA, "utf-8")
    payload = check_file(story).payload
    assert payload is not None and payload.meta.region == "virginia"
    guess = estimate(payload, load_prices(), lambda ref: 3.0)
    assert guess.price is None and guess.cost is None  # Beijing's 0.6 would have been a guess
    assert "in virginia" in guess.notes[0] and "cost unknown" in guess.notes[0]
    result = CliRunner().invoke(cli, ["cost", str(story), "--json"])
    data = json.loads(result.output)
    assert data["stories"][0]["cost"] is None and data["stories"][0]["region"] == "virginia"
    assert data["total"]["unpriced"] == ["us"]


def test_cost_json_is_in_cents(tmp_path: Path) -> None:
    prices = tmp_path / "p.toml"
    prices.write_text('[source]\nregion = "beijing"\n[prices."wan2.6-r2v-flash"."720P"]\naudio = 0.230013\n')
    story = tmp_path / "s.shot"
    story.write_text(VIRGINIA.replace("region virginia\nmodel wan2.6-r2v\n", "model wan2.6-r2v-flash\n"))
    result = CliRunner().invoke(cli, ["cost", str(story), "--json", "--prices", str(prices)])
    data = json.loads(result.output)
    costs = [data["stories"][0]["cost"], data["total"]["cost"]]
    assert all(c == round(c, 2) for c in costs), costs  # 10 s × 0.230013 = 2.30013 was printed whole
    assert costs[0] == 2.3


def test_stories_in_natural_order(tmp_path: Path) -> None:
    for name in ("v10", "v2", "v1", "V3"):
        (tmp_path / f"{name}.shot").write_text(VIRGINIA, "utf-8")
    assert [p.stem for p in find_stories([tmp_path])] == ["v1", "v2", "V3", "v10"]  # was v1, v10, v2


def test_the_journal_lists_stories_in_natural_order(tmp_path: Path) -> None:
    for name in ("v10", "v2", "v1"):
        (tmp_path / "stories").mkdir(exist_ok=True)
        (tmp_path / "stories" / f"{name}.shot").write_text(VIRGINIA.replace("region virginia\n", ""), "utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli, ["render", str(tmp_path / "stories"), "--out", str(out), "--backend", "preview"]
    )
    assert result.exit_code == 0, result.output
    status = CliRunner().invoke(cli, ["status", str(out), "--json"])
    assert [s["key"] for s in json.loads(status.output)["stories"]] == ["v1", "v2", "v10"]
