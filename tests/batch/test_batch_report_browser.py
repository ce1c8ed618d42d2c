"""report.html in a real headless browser (Chromium from Debian's packages, installed by
.ci/run): it lays out one card per story, failures with their reasons, and draws pixels."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from PIL import Image

from tests.batch.batch_helpers import run, story_text, write_stories
from tests.emulator_process import Emulator

CHROMIUM = Path("/usr/bin/chromium")


def chromium(*args: str) -> subprocess.CompletedProcess[str]:
    """Headless Chromium with a throw-away profile and nothing reaching the network."""
    assert CHROMIUM.exists() or shutil.which("chromium"), (
        "Chromium is needed for this test: apt-get install chromium (see .ci/run)"
    )
    with tempfile.TemporaryDirectory(prefix="shotscript-chromium-") as profile:
        argv = [
            str(CHROMIUM if CHROMIUM.exists() else shutil.which("chromium")),
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={profile}", "--virtual-time-budget=3000", *args,
        ]  # fmt: skip
        return subprocess.run(argv, capture_output=True, text=True, timeout=90)


def test_the_report_shows_one_card_per_story_in_a_browser(emu: Emulator, tmp_path: Path) -> None:
    stories, out = tmp_path / "stories", tmp_path / "renders"
    write_stories(stories, 3)
    (stories / "refused.shot").write_text(story_text(7, extra=" [[moderate]]"), "utf-8")
    (stories / "broken.shot").write_text(story_text(8).replace("1280*720", "1280x720"), "utf-8")
    proc = run("render", str(stories), "--out", str(out))
    assert proc.returncode == 1, proc.stderr
    report = out / "report.html"
    url = report.resolve().as_uri()

    dom = chromium("--dump-dom", url)
    assert dom.returncode == 0, dom.stderr[-2000:]
    body = re.search(r"<body[^>]*>", dom.stdout)
    assert body is not None
    # Set by the page's own script once laid out: the browser, not this test, counted.
    assert 'data-cards="5"' in body.group(0) and 'data-stories="5"' in body.group(0), body.group(0)
    assert dom.stdout.count('class="card ') == 5
    assert dom.stdout.count('data-state="done"') == 3 and dom.stdout.count('data-state="failed"') == 2
    assert "DataInspectionFailed" in dom.stdout or "moderation" in dom.stdout.lower()
    assert "E405" in dom.stdout  # the broken story's reason
    assert dom.stdout.count("<img ") == 3  # a first-frame thumbnail per video

    shot = tmp_path / "report.png"
    done = chromium(f"--screenshot={shot}", "--window-size=1200,900", url)
    assert done.returncode == 0 and shot.is_file(), done.stderr[-2000:]
    with Image.open(shot) as image:
        assert image.size == (1200, 900)
        colours = image.convert("RGB").getcolors(maxcolors=1 << 20)
        assert colours is not None and len(colours) > 50  # text, badges and thumbnails, not a blank page
