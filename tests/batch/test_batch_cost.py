"""Billed seconds and prices: the seed stories against hand-computed figures, local videos by
their probed length, images free, user price files, and the `cost` command."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import av
import pytest
from click.testing import CliRunner

from shotscript.batch.cost import PriceError, PriceTable, billing, estimate, load_prices
from shotscript.cli import cli
from shotscript.compiler.driver import check_file
from tests.conftest import STORIES

# Hand-computed from the billing rules (docs/reference/wan-r2v-api.md, "Billing"): each video
# counts min(length, 5 / references); the seeds' videos are URLs, so they count at that cap.
# story: (input s, output s, billed s, price per s, cost)
SEEDS = {
    # 2 videos of 4 references: 2 × 5/4; flash, 1280*720 (720P), with sound: 0.3
    "multi-character": (2.5, 10, 12.5, 0.3, 3.75),
    # 2 videos of 2 references: 2 × 5/2; default size 1920*1080 (1080P), sound: 0.5
    "pet": (5.0, 10, 15.0, 0.5, 7.5),
    # 1 video: 5; 720P silent: 0.15
    "silent-dance": (5.0, 5, 10.0, 0.15, 1.5),
    # 1 video: 5; 720P with sound: 0.3
    "smartwatch": (5.0, 10, 15.0, 0.3, 4.5),
}


@pytest.mark.parametrize("spelling", ["shot", "yaml"])
@pytest.mark.parametrize("name", sorted(SEEDS))
def test_seed_stories_cost_what_the_rules_say(name: str, spelling: str) -> None:
    payload = check_file(STORIES / "seed" / f"{name}.{spelling}").payload
    assert payload is not None
    guess = estimate(payload, load_prices())
    input_s, output_s, billed, price, cost = SEEDS[name]
    assert guess.billing.input_seconds == pytest.approx(input_s)
    assert guess.billing.output_seconds == output_s
    assert guess.billing.seconds == pytest.approx(billed)
    assert not guess.billing.exact  # URLs: an upper bound, and it says so
    assert guess.price == pytest.approx(price) and guess.cost == pytest.approx(cost)


def make_mp4(path: Path, seconds: float) -> Path:
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = 320, 320, "yuv420p"
        frame = av.VideoFrame(320, 320, "yuv420p")
        frame.time_base = Fraction(1, 30)
        for i in range(round(seconds * 30)):
            frame.pts = i
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


def story(folder: Path, cast: str, duration: int = 5) -> Path:
    path = folder / "s.shot"
    mentions = " ".join(f"@{line.split()[0]}" for line in cast.strip().splitlines())
    path.write_text(
        f"size 1280*720\nduration {duration}\ncast\n{cast}\nprompt {mentions} 在海边散步。\n", "utf-8"
    )
    return path


def test_local_videos_count_their_probed_length_capped(tmp_path: Path) -> None:
    make_mp4(tmp_path / "clip.mp4", 2.0)
    from PIL import Image

    Image.new("RGB", (300, 300), "white").save(tmp_path / "cup.png")
    # Two references: the cap is 2.5 s, the 2-second clip counts 2 s, exactly.
    payload = check_file(story(tmp_path, "  a video clip.mp4\n  b image cup.png")).payload
    assert payload is not None
    b = billing(payload)
    assert (b.input_seconds, b.output_seconds, b.exact) == (2.0, 5, True)
    # Three references: the cap is 5/3 s, below the clip's length.
    payload = check_file(story(tmp_path, "  a video clip.mp4\n  b image cup.png\n  c image cup.png")).payload
    assert payload is not None
    assert billing(payload).input_seconds == pytest.approx(5 / 3, abs=1e-3)


def test_images_are_free(tmp_path: Path) -> None:
    payload = check_file(story(tmp_path, "  a image https://example.com/a.png", duration=4)).payload
    assert payload is not None
    b = billing(payload)
    assert (b.input_seconds, b.seconds, b.exact) == (0.0, 4.0, True)


def test_a_user_price_file_overrides_entry_by_entry(tmp_path: Path) -> None:
    own = tmp_path / "prices.toml"
    own.write_text(
        '[source]\ntitle = "our contract"\ndate = "2026-03"\n'
        '[prices."wan2.6-r2v-flash"."720P"]\naudio = 0.2\n'
        '[prices."some-new-model"."1080P"]\nsilent = 1.5\n',
        "utf-8",
    )
    table = load_prices(own)
    assert table.price("wan2.6-r2v-flash", "720P", True) == 0.2  # overridden
    assert table.price("wan2.6-r2v-flash", "720P", False) == 0.15  # kept from the shipped file
    assert table.price("some-new-model", "1080P", False) == 1.5
    assert (table.source, table.date, table.currency) == ("our contract", "2026-03", "CNY")
    assert table.files[-1] == str(own)
    payload = check_file(STORIES / "seed" / "smartwatch.shot").payload
    assert payload is not None
    assert estimate(payload, table).cost == pytest.approx(15 * 0.2)


BAD_PRICES = [
    ("[prices.m.720P]\naudio = 'cheap'\n", "must be a number"),
    ("[prices.m.720P]\nloud = 1\n", "expected one of audio, silent"),
    ("[prices]\nm = 3\n", "must be a table of tiers"),
    ("prices = [", "not valid TOML"),
]


@pytest.mark.parametrize(("text", "message"), BAD_PRICES)
def test_a_bad_price_file_is_a_clean_error(tmp_path: Path, text: str, message: str) -> None:
    own = tmp_path / "p.toml"
    own.write_text(text, "utf-8")
    with pytest.raises(PriceError, match=message):
        load_prices(own)
    with pytest.raises(PriceError, match="cannot read"):
        load_prices(tmp_path / "missing.toml")


def test_no_price_for_a_model_is_said_not_guessed() -> None:
    payload = check_file(STORIES / "seed" / "silent-dance.shot").payload  # flash, 720P, silent
    assert payload is not None
    table = PriceTable(
        {"beijing": {"wan2.6-r2v-flash": {"720P": {"audio": 0.3}}}}, "CNY", "ours", "2026", "beijing",
        ("p.toml",),
    )
    guess = estimate(payload, table)
    assert guess.price is None and guess.cost is None
    said = "no price is known for wan2.6-r2v-flash 720P silent in beijing (p.toml): cost unknown"
    assert guess.notes == (said,)


def test_the_cost_command(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["cost", str(STORIES / "seed"), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    by_story = {s["story"]: s for s in data["stories"]}
    assert set(by_story) == {f"{n}{ext}" for n in SEEDS for ext in ("", ".yaml")}
    for name, (input_s, output_s, billed, price, cost) in SEEDS.items():
        s = by_story[name]
        assert (s["input_seconds"], s["output_seconds"], s["billed_seconds"]) == (input_s, output_s, billed)
        assert (s["price"], s["cost"], s["exact"]) == (price, cost, False)
    assert data["total"]["billed_seconds"] == 2 * sum(v[2] for v in SEEDS.values())
    assert data["prices"]["date"].startswith("2026") and "模型价格" in data["prices"]["source"]

    text = runner.invoke(cli, ["cost", str(STORIES / "seed" / "pet.shot")])
    assert text.exit_code == 0
    assert "≤15" in text.output and "¥7.50" in text.output and "prices:" in text.output

    bad = tmp_path / "bad.shot"
    bad.write_text("size 1280x720\nprompt hello\n", "utf-8")
    result = runner.invoke(cli, ["cost", str(bad)])
    assert result.exit_code == 1 and "Traceback" not in result.output

    own = tmp_path / "p.toml"
    own.write_text("prices = [", "utf-8")
    result = runner.invoke(cli, ["cost", str(STORIES / "seed"), "--prices", str(own)])
    assert result.exit_code == 1 and "not valid TOML" in result.output and "Traceback" not in result.output


def test_prices_from_the_folder_s_shotscript_toml(tmp_path: Path) -> None:
    folder = tmp_path / "stories"
    folder.mkdir()
    (folder / "pet.shot").write_text((STORIES / "seed" / "pet.shot").read_text("utf-8"), "utf-8")
    (folder / "mine.toml").write_text('[prices."wan2.6-r2v-flash"."1080P"]\naudio = 2.0\n', "utf-8")
    (folder / "shotscript.toml").write_text('[render]\nprices = "mine.toml"\n', "utf-8")
    result = CliRunner().invoke(cli, ["cost", str(folder), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["stories"][0]["cost"] == 30.0
