"""Golden tests: the seed stories compile to the official request bodies, byte for byte."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import shotscript
from tests.conftest import GOLDEN, ROOT, SHARED, STORIES

SEEDS = ("multi-character", "smartwatch", "silent-dance")
SPELLINGS = (".shot", ".yaml")


def reference(name: str) -> Path:
    """The official file: from ../shared when present (the source of truth), else our copy."""
    shared = SHARED / "reference" / "seed-payloads" / name
    return shared if shared.exists() else GOLDEN / "seed-payloads" / name


@pytest.mark.parametrize("suffix", SPELLINGS)
@pytest.mark.parametrize("seed", SEEDS)
def test_seed_story_compiles_to_the_official_payload(seed: str, suffix: str) -> None:
    payload = shotscript.load(STORIES / "seed" / f"{seed}{suffix}").compile()
    golden = json.loads(reference(f"{seed}.json").read_text("utf-8"))
    assert payload.body() == golden
    assert payload.input.prompt == golden["input"]["prompt"]  # byte for byte, not just equal JSON


@pytest.mark.parametrize("suffix", SPELLINGS)
def test_pet_story_prompt_equals_the_official_prompt(suffix: str) -> None:
    payload = shotscript.load(STORIES / "seed" / f"pet{suffix}").compile()
    official = reference("pet-prompt.txt").read_text("utf-8")
    assert payload.input.prompt == official.removesuffix("\n")


@pytest.mark.parametrize("seed", [*SEEDS, "pet"])
def test_both_spellings_give_the_same_ast(seed: str) -> None:
    dsl = shotscript.load(STORIES / "seed" / f"{seed}.shot")
    yaml = shotscript.load(STORIES / "seed" / f"{seed}.yaml")
    assert dsl.to_dict() == yaml.to_dict()


def _spec_blocks() -> list[tuple[str, str]]:
    """Every fenced block of the spec: ("shot" | "yaml", text), in order."""
    spec = (ROOT / "docs" / "reference" / "language-spec.md").read_text("utf-8")
    blocks = re.findall(r"```(\w*)\n(.*?)```", spec, flags=re.S)
    return [("yaml" if lang == "yaml" else "shot", body) for lang, body in blocks]


def _spec_examples() -> dict[str, str]:
    """The spec's main example (its first block of each spelling)."""
    out: dict[str, str] = {}
    for spelling, body in _spec_blocks():
        out.setdefault(spelling, body)
    return out


@pytest.mark.parametrize("spelling", ["shot", "yaml"])
def test_spec_examples_work_exactly_as_written(spelling: str, tmp_path: Path) -> None:
    text = _spec_examples()[spelling]
    shipped = STORIES / "spec" / f"smartwatch.{spelling}"
    assert shipped.read_text("utf-8") == text  # the shipped copy is the spec's example
    payload = shotscript.load(shipped).compile()
    assert [(s.start, s.end) for s in payload.meta.shots] == [(0, 3), (3, 5), (5, 8), (8, 10)]
    assert payload.parameters["duration"] == 10
    assert payload.input.reference_urls[1] == "refs/watch.png"
    assert payload.local_references[0].path == (STORIES / "spec" / "refs" / "watch.png")
