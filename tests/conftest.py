"""Shared test helpers: where the repository's data and the shared originals are."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

# A run started in the background by a shell without job control inherits SIGINT ignored, an
# ignored signal stays ignored across exec, and Python keeps it so: the tests that Ctrl-C a
# child would wait forever. A handler here makes every child start with the default.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"
STORIES = ROOT / "stories"
# The originals this repository copies from, when it is checked out beside them.
SHARED = ROOT.parent / "shared"


def hermetic(monkeypatch: pytest.MonkeyPatch, home: Path, key: str) -> Path:
    """A private SHOTSCRIPT_HOME, a test key, the loopback guard on, no base URL or poll scale."""
    monkeypatch.setenv("SHOTSCRIPT_HOME", str(home))
    monkeypatch.setenv("SHOTSCRIPT_REQUIRE_LOOPBACK", "1")
    monkeypatch.setenv("DASHSCOPE_API_KEY", key)
    monkeypatch.delenv("DASHSCOPE_HTTP_BASE_URL", raising=False)
    monkeypatch.delenv("SHOTSCRIPT_POLL_SCALE", raising=False)
    return home


def pytest_report_header() -> str:
    """Say once what a missing ../shared means, so a lone clone's run is not a puzzle."""
    if SHARED.exists():
        return f"shared originals: {SHARED} (copies compared with them byte for byte)"
    return ("shared originals: ../shared is not beside this clone; the copies in tests/golden and "
            "docs/reference are checked against their recorded hashes (tests/golden/copies.sha256)")


# What the quick command (`pytest -m 'not slow'`) leaves out: suites that start emulator
# processes, render videos, open a browser or run the type checker.
SLOW = ("tests/batch/", "tests/emulator/", "tests/preview/", "tests/runtime/test_runtime_",
        "tests/runtime/test_hostile_cli", "tests/test_quickstart.py", "tests/test_preview_backend.py",
        "tests/test_types.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the slow suites by where they live, so a new test there is slow without a decorator."""
    for item in items:
        where = Path(item.fspath).relative_to(ROOT).as_posix()
        if where.startswith(SLOW):
            item.add_marker(pytest.mark.slow)
