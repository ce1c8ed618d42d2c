"""What a render loads before its first create, and what it leaves for later (#11: at a
benchmark's time scale every fixed cost of the process counts thirty times)."""

from __future__ import annotations

import subprocess
import sys

# Loaded only where used: rich for tables and the live board, PyAV and Pillow once a video is
# checked, pydantic nowhere on the render path, pygments only by httpx's own command line.
LATER = ("rich", "pydantic", "av", "PIL", "pygments")


def loaded_after(code: str) -> set[str]:
    """The top-level packages a new process has imported after running `code`."""
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys; print(' '.join(sys.modules))"],
                         capture_output=True, text=True, check=True).stdout  # fmt: skip
    return {m.split(".")[0] for m in out.split()}


def test_the_engine_loads_nothing_it_needs_only_later() -> None:
    loaded = loaded_after("import shotscript.batch.session, shotscript.cli.render")
    assert {"httpx", "sqlite3", "shotscript"} <= loaded
    assert not loaded & set(LATER)


def test_httpx_keeps_its_command_line() -> None:
    code = "import shotscript.batch.session, sys, httpx\nsys.argv = ['httpx', '--help']\nhttpx.main()"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "Usage" in proc.stdout and "httpx" in proc.stdout
