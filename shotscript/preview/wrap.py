"""Line breaking for mixed CJK and Latin text: CJK breaks between any two characters, Latin
between words, and closing punctuation never starts a line (kinsoku)."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from shotscript.preview.highlight import Span

# May not start a line: glued to the atom before.
_NO_START = set(
    ",.!?;:)]}%、。，．！？；：）］｝」』》〉】〕’”…‥·・ーぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮ々〻"
)
# May not end a line: glued to the atom after.
_NO_END = set("([{「『《〈【〔‘“（［｛")
_NO_BREAK_SPACE = "\u00a0"


@dataclass
class Atom:
    """The smallest piece a line may not be broken inside: styled pieces plus trailing spaces."""

    pieces: list[Span]
    space: str = ""  # trailing spaces: drawn mid-line, dropped at a line's end

    @property
    def text(self) -> str:
        """The atom's characters without its trailing space."""
        return "".join(t for t, _ in self.pieces)


Line = list[Span]
Measure = Callable[[str], float]


def wrap(spans: Sequence[Span], width: float, measure: Measure) -> list[Line]:
    """Break styled text into lines no wider than `width` (over-long words split by character)."""
    lines: list[Line] = []
    current: list[Atom] = []
    used = 0.0
    for atom in _fit(atoms(spans), width, measure):
        w = measure(atom.text)
        space = measure(current[-1].space) if current else 0.0
        if current and used + space + w > width:
            lines.append(_join(current))
            current, used, space = [], 0.0, 0.0
        current.append(atom)
        used += space + w
    if current:
        lines.append(_join(current))
    return lines


def atoms(spans: Sequence[Span]) -> list[Atom]:
    """The unbreakable pieces of styled text, punctuation glued by the kinsoku rules."""
    out: list[Atom] = []
    glue_next = False  # the last chunk may not end a line
    in_word = False  # the last chunk was narrow text with no space after: a word goes on
    for text, style in spans:
        for chunk, is_space in _chunks(text):
            if is_space:
                if out:
                    out[-1].space += chunk
                glue_next = in_word = False
                continue
            # A word may change style midway ("@girl's"): it is still one word.
            continues = in_word and not _breaks_anywhere(chunk[0])
            if out and not out[-1].space and (glue_next or continues or chunk[0] in _NO_START):
                _append(out[-1], chunk, style)
            else:
                out.append(Atom([(chunk, style)]))
            glue_next = chunk[-1] in _NO_END
            in_word = not _breaks_anywhere(chunk[-1])
    return out


def _chunks(text: str) -> list[tuple[str, bool]]:
    """Runs of spaces, single wide (CJK) characters, and words of everything else."""
    out: list[tuple[str, bool]] = []
    word: list[str] = []
    for c in text:
        space = c.isspace() and c != _NO_BREAK_SPACE
        # Narrow punctuation stays inside its word ("3.5", "don’t", "“hello”"); wide (CJK)
        # punctuation is its own chunk, glued to a neighbour by the kinsoku sets.
        if space or _breaks_anywhere(c):
            if word:
                out.append(("".join(word), False))
                word = []
            if space and out and out[-1][1]:
                out[-1] = (out[-1][0] + c, True)
            else:
                out.append((c, space))
        else:
            word.append(c)
    if word:
        out.append(("".join(word), False))
    return out


def _breaks_anywhere(c: str) -> bool:
    """CJK ideographs, kana, Hangul and fullwidth forms: a line may break before any of them."""
    return unicodedata.east_asian_width(c) in ("W", "F")


def _append(atom: Atom, text: str, style: str | None) -> None:
    last_text, last_style = atom.pieces[-1]
    if last_style == style:
        atom.pieces[-1] = (last_text + text, style)
    else:
        atom.pieces.append((text, style))


def _fit(items: list[Atom], width: float, measure: Measure) -> list[Atom]:
    """Atoms wider than a whole line, split into character-sized atoms that fit."""
    out: list[Atom] = []
    for atom in items:
        if measure(atom.text) <= width or len(atom.text) <= 1:
            out.append(atom)
            continue
        pieces = [(c, style) for text, style in atom.pieces for c in text]
        part: list[Span] = []
        for c, style in pieces:
            if part and measure("".join(t for t, _ in part) + c) > width:
                out.append(Atom(_merge(part)))
                part = []
            part.append((c, style))
        out.append(Atom(_merge(part), atom.space))
    return out


def _merge(chars: list[Span]) -> list[Span]:
    merged: list[Span] = []
    for c, style in chars:
        if merged and merged[-1][1] == style:
            merged[-1] = (merged[-1][0] + c, style)
        else:
            merged.append((c, style))
    return merged


def _join(line: list[Atom]) -> Line:
    spans: list[Span] = []
    for i, atom in enumerate(line):
        pieces = list(atom.pieces)
        if atom.space and i < len(line) - 1:
            text, style = pieces[-1]
            pieces[-1] = (text + atom.space, style)
        for text, style in pieces:
            if spans and spans[-1][1] == style:
                spans[-1] = (spans[-1][0] + text, style)
            else:
                spans.append((text, style))
    return spans
