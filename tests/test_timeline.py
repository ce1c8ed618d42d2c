"""Shot layout, table-driven: ranges, lengths, and untimed shots sharing the rest, earlier
shots getting the spare seconds."""

from __future__ import annotations

import pytest

from shotscript.compiler.driver import check_text

CAST = "cast\n  a video https://e.com/a.mp4\n"


def layout(shots: list[str], duration: int | None) -> list[tuple[int, int]] | list[str]:
    head = f"duration {duration}\n" if duration is not None else ""
    lines = "".join(f"shot {s} @a 走\n".replace("shot  ", "shot ") for s in shots)
    result = check_text(f"{head}{CAST}{lines}", name="t.shot")
    if result.payload is None:
        return sorted({d.code for d in result.diagnostics if d.severity == "error"})
    return [(s.start, s.end) for s in result.payload.meta.shots]


@pytest.mark.parametrize(
    ("shots", "duration", "expected"),
    [
        (["0-3s", "3-5s", "3s", ""], 10, [(0, 3), (3, 5), (5, 8), (8, 10)]),  # the spec's
        (["", "", ""], 10, [(0, 4), (4, 7), (7, 10)]),  # 10 = 4 + 3 + 3: spares go first
        (["", ""], None, [(0, 3), (3, 5)]),  # no duration, untimed: the API default, 5 s
        (["0-2s", "2s", "4-6s"], None, [(0, 2), (2, 4), (4, 6)]),  # all timed: ends at 6
        (["", "5-10s"], 10, [(0, 5), (5, 10)]),  # untimed before a range fills up to it
        (["", "2s", "", "8-10s"], 10, [(0, 3), (3, 5), (5, 8), (8, 10)]),
        (["0-3", "3-5"], 5, [(0, 3), (3, 5)]),  # the `s` of a range is optional
        (["0 - 2s", "2-5s"], 5, [(0, 2), (2, 5)]),  # blanks around the dash
    ],
)
def test_layout(shots: list[str], duration: int | None, expected: list[tuple[int, int]]) -> None:
    assert layout(shots, duration) == expected


@pytest.mark.parametrize(
    ("shots", "duration", "codes"),
    [
        (["0-5s", ""], 5, ["E208"]),  # nothing left for the untimed shot
        (["0-2.5s", "2.5-5s"], 5, ["E202"]),
        (["1-5s"], 5, ["E203"]),
        (["0-2s", "3-5s"], 5, ["E204"]),
        (["0-3s", "2-5s"], 5, ["E205"]),
        (["0-3s", "3-3s", "3-5s"], 5, ["E206"]),
        (["0-3s"], 5, ["E207"]),
        (["0-6s", "6-12s"], None, ["E201"]),  # derived duration 12 is over the limit
    ],
)
def test_layout_errors(shots: list[str], duration: int | None, codes: list[str]) -> None:
    assert layout(shots, duration) == codes
