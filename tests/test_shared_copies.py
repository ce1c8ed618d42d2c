"""The repository's copies of the project's shared originals (spec, API references, seed payloads).

A clone works alone, so the copies are what the other tests read. Beside `../shared` the copies
must equal the originals byte for byte; in a lone clone they must still equal the hashes recorded
the last time they were compared (`tests/golden/copies.sha256`), so an edit by hand is caught.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tests.conftest import GOLDEN, ROOT, SHARED

MANIFEST = GOLDEN / "copies.sha256"
REFRESH = ("python -m tests.test_shared_copies  # copies ../shared again and rewrites "
           "tests/golden/copies.sha256")


def copies() -> list[tuple[str, str]]:
    """(copy in this repository, original under ../shared) for every copied file."""
    pairs = [
        (f"tests/golden/{folder}/{p.name}", f"reference/{folder}/{p.name}")
        for folder in ("seed-payloads", "seed-payloads-wan27")
        for p in sorted((GOLDEN / folder).iterdir())
    ]
    return [*pairs,
            ("docs/reference/wan-r2v-api.md", "reference/wan-r2v-api.md"),
            ("docs/reference/wan27-r2v-api.md", "reference/wan27-r2v-api.md"),
            ("docs/reference/language-spec.md", "spec/language.md")]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _recorded() -> dict[str, str]:
    lines = MANIFEST.read_text("utf-8").splitlines()
    return {copy: digest for digest, copy in (line.split(maxsplit=1) for line in lines if line)}


def test_the_manifest_lists_every_copy() -> None:
    assert sorted(_recorded()) == sorted(copy for copy, _ in copies()), f"refresh: {REFRESH}"


@pytest.mark.parametrize(("copy", "original"), copies())
def test_each_copy_still_has_the_recorded_hash(copy: str, original: str) -> None:
    assert _sha256(ROOT / copy) == _recorded().get(copy), (
        f"{copy} differs from the copy of ../shared/{original} recorded in {MANIFEST.name}: "
        f"copies are not edited by hand; refresh: {REFRESH}"
    )


if SHARED.exists():  # beside the originals, compare with them too (a lone clone has none to read)

    @pytest.mark.parametrize(("copy", "original"), copies())
    def test_each_copy_equals_its_shared_original(copy: str, original: str) -> None:
        assert (ROOT / copy).read_bytes() == (SHARED / original).read_bytes(), f"refresh: {REFRESH}"


def refresh() -> None:
    """Copy every original from ../shared and record the copies' hashes."""
    for copy, original in copies():
        (ROOT / copy).write_bytes((SHARED / original).read_bytes())
    MANIFEST.write_text("".join(f"{_sha256(ROOT / c)}  {c}\n" for c, _ in copies()), "utf-8")


if __name__ == "__main__":
    refresh()
