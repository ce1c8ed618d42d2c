"""Every input that ever crashed a front end (tests/fuzz-corpus/, written by benchmarks/fuzz.py)
still gives diagnostics or a result, and formats without raising."""

from __future__ import annotations

from pathlib import Path

import pytest

from shotscript.compiler.driver import check_text
from shotscript.compiler.format import to_shot, to_yaml

CORPUS = Path(__file__).resolve().parents[1] / "fuzz-corpus"
FILES = sorted(p for p in CORPUS.iterdir() if p.suffix in (".shot", ".yaml"))


def test_the_corpus_is_there() -> None:
    assert FILES


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_a_past_crash_is_now_diagnostics_or_a_result(path: Path) -> None:
    text = path.read_text("utf-8", "surrogatepass")
    result = check_text(text, name=path.name)
    assert result.ok or result.diagnostics
    assert all(d.span.line >= 1 and d.span.column >= 1 for d in result.diagnostics)
    if result.story is not None:
        assert to_yaml(result.story)
        assert to_shot(result.story, text)
