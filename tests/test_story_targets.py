"""Every shipped story, checked for both protocols: it compiles for the target, or its
diagnostics name exactly what that target lacks (and the models that have it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from shotscript.compiler.driver import find_stories
from shotscript.facts.capabilities import capabilities
from shotscript.media.check import check_file
from tests.conftest import STORIES

TARGETS = ("wan2.6-r2v-flash", "wan2.7-r2v")
STORY_FILES = find_stories([STORIES])
# What retargeting may add: inputs the target lacks (E501, E404 audio off), durations,
# counts and prompt lengths beyond it (E201, E302, E408), regions without it (E403); and
# settings it drops (W508).
TARGET_ERRORS = {"E501", "E404", "E201", "E302", "E408", "E403"}
TARGET_WARNINGS = {"W508", "W507"}


def _own(path: Path) -> set[tuple[str, int, int]]:
    return {(d.code, d.span.line, d.span.column) for d in check_file(path).diagnostics}


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("path", STORY_FILES, ids=[str(p.relative_to(STORIES)) for p in STORY_FILES])
def test_story_compiles_for_the_target_or_says_what_it_lacks(path: Path, target: str) -> None:
    result = check_file(path, model=target)
    added = [d for d in result.diagnostics if (d.code, d.span.line, d.span.column) not in _own(path)]
    for d in added:
        assert d.code in (TARGET_ERRORS if d.severity == "error" else TARGET_WARNINGS), d
        others = [m for m in capabilities().models if m != target]
        said = d.message + " " + (d.help or "")
        assert any(m in said for m in others), f"{d.code} names no model that has it: {said}"
    if result.ok:
        assert result.payload is not None and result.payload.model == target
        shape = "media" if capabilities().protocol_of(target).name == "2.7" else "reference_urls"
        assert shape in result.payload.body()["input"]
    else:
        assert any(d.severity == "error" for d in added)  # the story itself was fine


def test_every_story_compiles_for_its_own_model() -> None:
    for path in STORY_FILES:
        result = check_file(path)
        assert result.payload is not None, (path, result.diagnostics)


def test_both_targets_are_exercised_both_ways() -> None:
    outcomes = {(t, check_file(p, model=t).ok) for p in STORY_FILES for t in TARGETS}
    assert outcomes == {(t, ok) for t in TARGETS for ok in (True, False)}
