"""Shared test helpers: where the repository's data and the shared originals are."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"
STORIES = ROOT / "stories"
# The originals this repository copies from, when it is checked out beside them.
SHARED = ROOT.parent / "shared"
