"""Text with @mentions: parsed by the grammar's `text` rule, resolved against the cast."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from shotscript.compiler.ast import Mention, Plain, Segment, Span, Text
from shotscript.compiler.diagnostics import Sink
from shotscript.compiler.suggest import closest
from shotscript.grammar.parser import scan_text

_ASCII_WORD = re.compile(r"[A-Za-z0-9_]")
_ASCII_RUN = re.compile(r"[A-Za-z0-9_]+")
_WORD_RUN = re.compile(r"\w+")
_LITERAL_CHARACTER = re.compile(r"character\d+")


def is_wide(char: str) -> bool:
    """Whether a character is CJK-wide (such lines join without a space)."""
    return unicodedata.east_asian_width(char) in "WF"


class Names(tuple[str, ...]):
    """The cast's names in order, indexed once, so that resolving a mention costs the
    length of the word, not the size of the cast."""

    members: frozenset[str]
    lengths: tuple[int, ...]
    bad: tuple[str, ...]  # names that are not words (reported at their cast line)

    def __new__(cls, names: Sequence[str]) -> Names:
        self = super().__new__(cls, (n for n in names if n))  # "" names nothing
        self.members = frozenset(self)
        self.lengths = tuple(sorted({len(n) for n in self}, reverse=True))
        self.bad = tuple(n for n in self if not _WORD_RUN.fullmatch(n))
        return self


def names_of(names: Sequence[str]) -> Names:
    """`names` as an index (itself when it already is one)."""
    return names if isinstance(names, Names) else Names(names)


# A full-width `＠` (CJK input methods) before a name: text, with W104 saying `@name` mentions.
WIDE_AT = re.compile(r"＠(\w+)")


def wide_mentions(text: str, names: Sequence[str]) -> list[tuple[int, str]]:
    """(offset, cast name) of each `＠name` in `text` that would be a mention with `@`."""
    found = ((m.start(), resolve(m.group(1), names)) for m in WIDE_AT.finditer(text))
    return [(at, name) for at, name in found if name is not None]


def resolve(word: str, names: Sequence[str]) -> str | None:
    """The cast name `@word` refers to: the longest name that starts `word`.

    An ASCII name may not run into further ASCII letters or digits (`@girls` is not
    `@girl` + `s`); any name may run into CJK text (`@girl在办公室`).
    """
    if isinstance(names, Names):
        for k in names.lengths:
            name = word[:k]
            if len(name) < k or name not in names.members:
                continue
            rest = word[k:]
            if rest and _ASCII_WORD.match(name[-1]) and _ASCII_WORD.match(rest[0]):
                continue
            return name
        return None
    best: str | None = None
    for name in names:
        if not name or not word.startswith(name) or (best is not None and len(name) <= len(best)):
            continue
        rest = word[len(name) :]
        if rest and _ASCII_WORD.match(name[-1]) and _ASCII_WORD.match(rest[0]):
            continue
        best = name
    return best


@dataclass(frozen=True)
class Piece:
    """One line of source text and where its characters are in the file."""

    text: str
    line: int
    column: int
    exact: bool = True  # False: offsets inside cannot be mapped (YAML escapes, folding)

    def span(self, offset: int, width: int) -> Span:
        """The span of `width` characters starting `offset` characters into the piece."""
        if not self.exact:
            return Span.at(self.line, self.column, 1)
        return Span.at(self.line, self.column + offset, width)


# A segment before it becomes a node: ("plain", text, span) or ("mention", name, span).
_Raw = tuple[str, str, Span | None]


def _parse_piece(piece: Piece, names: Sequence[str], sink: Sink) -> list[_Raw]:
    """Segments of one line of text, reporting unknown mentions and lone `@`."""
    if "@" not in piece.text:
        _warn_literal_characters(piece.text, 0, piece, sink)
        return [("plain", piece.text, piece.span(0, len(piece.text)))]
    out: list[_Raw] = []
    skip_to = 0  # after `@` + a bad cast name: the name's characters are taken
    for kind, value, at in scan_text(piece.text):
        if at < skip_to:
            if at + len(value) <= skip_to or kind != "LITERAL":
                continue
            value, at = value[skip_to - at:], skip_to
        if kind == "LITERAL":
            _warn_literal_characters(value, at, piece, sink)
            out.append(("plain", value, piece.span(at, len(value))))
        elif kind == "ESCAPED_AT":
            out.append(("plain", "@", piece.span(at, 2)))
        elif kind == "LONE_AT":
            # `@🙂` of a cast line already reported as a bad name: a mention, not a new error.
            bad = next((n for n in names_of(names).bad if piece.text.startswith(n, at + 1)), None)
            if bad is not None:
                out.append(("mention", bad, piece.span(at, len(bad) + 1)))
                skip_to = at + 1 + len(bad)
                continue
            brace = re.match(r"\{([^\s{}]*)", piece.text[at + 1:])
            sink.add("E311", piece.span(at, 1),
                     help=f"close the brace: `@{{{brace.group(1)}}}`" if brace
                     else "write `@@` for a literal `@`")
            if brace and brace.group(1) in names:  # meant as a mention: no "never mentioned"
                out.append(("mention", brace.group(1), piece.span(at, len(brace.group()) + 1)))
                skip_to = at + 1 + len(brace.group())
                continue
            out.append(("plain", "@", piece.span(at, 1)))
        elif kind == "BRACED_MENTION":
            name = value[2:-1].strip()
            span = piece.span(at, len(value))
            if name not in names:
                _unknown(name, name, span, names, sink)
            out.append(("mention", name, span))
        else:  # MENTION: @ + a run of word characters, resolved by the longest cast name
            word = value[1:]
            found = resolve(word, names)
            if found is None:
                ascii_run = _ASCII_RUN.match(word)
                name = ascii_run.group() if ascii_run else word
                _unknown(name, word, piece.span(at, len(name) + 1), names, sink)
            else:
                name = found
            out.append(("mention", name, piece.span(at, len(name) + 1)))
            rest = word[len(name) :]
            if rest:
                start = at + len(value) - len(rest)
                _warn_literal_characters(rest, start, piece, sink)
                out.append(("plain", rest, piece.span(start, len(rest))))
    return out


def _unknown(shown: str, word: str, span: Span, names: Sequence[str], sink: Sink) -> None:
    """Report an unknown mention, suggesting the cast name it most likely meant."""
    index = names_of(names)
    candidates = [shown] + [word[:k] for k in index.lengths if len(word) >= k]
    best = None
    for c in candidates:
        best = closest(c, index, cutoff=0.5)
        if best:
            break
    if best:
        hint = f"did you mean `@{best}`?"
    elif names:
        shown_names = ", ".join(f"`{n}`" for n in names[:8]) + (", …" if len(names) > 8 else "")
        hint = "the cast is: " + shown_names
    else:
        hint = "add a `cast` section that names it"
    sink.add("E310", span, name=shown, help=hint if best else hint + " (`@@` writes a literal `@`)")


def _warn_literal_characters(text: str, at: int, piece: Piece, sink: Sink) -> None:
    for m in _LITERAL_CHARACTER.finditer(text):
        sink.add("W502", piece.span(at + m.start(), len(m.group())), text=m.group(),
                 help="mention the cast member by name, e.g. `@name`")


def join(pieces: Sequence[Piece]) -> list[Piece | str]:
    """Pieces with the separators that join continued lines (CJK: none; Latin: one space)."""
    out: list[Piece | str] = []
    for i, p in enumerate(pieces):
        if i and out:
            prev = pieces[i - 1].text
            if prev and p.text and not is_wide(prev[-1]) and not is_wide(p.text[0]):
                out.append(" ")
        out.append(p)
    return out


def build_text(pieces: Sequence[Piece], names: Sequence[str], sink: Sink, span: Span) -> Text:
    """A Text node from one or more lines of source, mentions resolved against `names`.

    Adjacent plain runs are merged, so one text has one shape however it was split
    into lines (a DSL text over three lines equals its one-line YAML twin).
    """
    # Runs of plain text are gathered as lists and joined once: linear however many
    # lines or `@@` a text has.
    raw: list[tuple[str, list[str], Span | None]] = []
    names = names_of(names)
    for part in join(pieces):
        found = [("plain", part, None)] if isinstance(part, str) else _parse_piece(part, names, sink)
        for kind, value, at in found:
            if kind == "plain" and raw and raw[-1][0] == "plain":
                raw[-1][1].append(value)
            elif value or kind == "mention":
                raw.append((kind, [value], at))
    segments: list[Segment] = [
        Plain(text="".join(v), span=at or span) if k == "plain" else Mention(name=v[0], span=at or span)
        for k, v, at in raw
    ]
    return Text(segments=tuple(segments), span=span)


def spell(text: Text, names: Sequence[str]) -> str:
    """The text as a person writes it: `@name`, or `@{name}` where `@name` would misread."""
    out: list[str] = []
    segs = text.segments
    for i, s in enumerate(segs):
        if isinstance(s, Plain):
            out.append(s.text.replace("@", "@@"))
            continue
        nxt = segs[i + 1] if i + 1 < len(segs) else None
        follow = nxt.text if isinstance(nxt, Plain) else ""
        run = _WORD_RUN.match(s.name + follow)
        word = run.group() if run else s.name
        plain = _WORD_RUN.fullmatch(s.name) and resolve(word, names) == s.name
        out.append(f"@{s.name}" if plain else f"@{{{s.name}}}")
    return "".join(out)


def compiled(text: Text, roles: dict[str, str]) -> str:
    """The text as sent: each mention replaced by its `characterN`."""
    return "".join(s.text if isinstance(s, Plain) else roles.get(s.name, s.name) for s in text.segments)

