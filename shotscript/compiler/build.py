"""Builds the Story AST from what a front end (DSL or YAML) read, checking names and values.

Both front ends call the same methods, so both spellings give the very same nodes.
"""

from __future__ import annotations

import math
import os
import re
import typing
from dataclasses import dataclass, field
from pathlib import Path

from shotscript.compiler.ast import (
    CastMember,
    ReferenceKind,
    Setting,
    Shot,
    Span,
    Story,
    Text,
    Timing,
)
from shotscript.compiler.diagnostics import Sink, shorten
from shotscript.compiler.input_limits import limits
from shotscript.compiler.mentions import Names, Piece, build_text, wide_mentions
from shotscript.compiler.settings import SETTINGS, convert
from shotscript.compiler.suggest import did_you_mean

_NAME = re.compile(r"[^\W\d]\w*")
KINDS = ("video", "image")
# Separators as this system's file names have them (a `\` is part of a name on POSIX).
_PATH_PARTS = re.compile(r"[/\\]" if os.sep == "\\" else "/")
# Settings whose value is a file or URL, checked like a cast member's reference.
_REFERENCE_SETTINGS = ("first_frame",)
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")  # as compiler/references.py reads a scheme


# Something a person meant as a time: a range with any dash, tilde or 至/到, or a number
# with a unit — but not a bare number (`shot 3 people` is text).
_NUM = r"[0-9０-９]+(?:[.．][0-9０-９]+)?"
_RANGE_SEP = r"[\t 　]*(?:-|–|—|−|－|~|～|〜|至|到)[\t 　]*"
_UNIT = r"(?:s|S|秒钟|秒|sec|secs|seconds)"
_TIME_LIKE = re.compile(rf"({_NUM}){_RANGE_SEP}({_NUM}){_UNIT}?|({_NUM})[\t 　]*{_UNIT}(?![A-Za-z])")


def time_like(text: str) -> tuple[str, str] | None:
    """(the time-shaped start of `text`, how to write it as a time), or None."""
    m = _TIME_LIKE.match(text)
    if m is None:
        return None
    norm = str.maketrans("０１２３４５６７８９．", "0123456789.")
    if m.group(3) is not None:
        return m.group(), f"{m.group(3).translate(norm)}s"
    return m.group(), f"{m.group(1).translate(norm)}-{m.group(2).translate(norm)}s"


def _too_long(raw: object) -> bool:
    """Whether a written number has more characters than any valid value."""
    if isinstance(raw, bool | float):
        return False
    if isinstance(raw, int):
        return raw.bit_length() > 4 * limits().number_chars
    return isinstance(raw, str) and len(raw.strip()) > limits().number_chars


def _reference_problem(source: str) -> str | None:
    """Why a reference is too long to be a URL or a file name, or None."""
    lim = limits()
    if len(source) > lim.reference_chars:
        return f"is {len(source)} characters long; at most {lim.reference_chars} are accepted"
    if not _URL.match(source):
        for part in _PATH_PARTS.split(source):
            if len(part.encode("utf-8", "surrogatepass")) > lim.file_name_bytes:
                return (f"has a file name of {len(part.encode('utf-8', 'surrogatepass'))} bytes; "
                        f"file systems allow {lim.file_name_bytes}")
    return None


@dataclass
class _PendingShot:
    timing: Timing | None
    pieces: list[Piece]
    span: Span


@dataclass
class StoryBuilder:
    """Collects settings, cast and texts; `finish()` resolves mentions and returns the Story."""

    sink: Sink
    path: Path | None = None
    sections: tuple[str, ...] = ("cast", "intro", "prompt", "shot")
    settings: dict[str, Setting] = field(default_factory=dict)
    cast: list[CastMember] = field(default_factory=list)
    intro: tuple[list[Piece], Span] | None = None
    prompt: tuple[list[Piece], Span] | None = None
    shots: list[_PendingShot] = field(default_factory=list)
    cast_span: Span | None = None
    _seen: set[str] = field(default_factory=set)
    # Every name the cast declares, even with a bad reference: mentions of it are not
    # reported again as unknown.
    _declared: list[str] = field(default_factory=list)
    _declared_set: set[str] = field(default_factory=set)
    _names: Names = field(default_factory=lambda: Names(()))

    def once(self, name: str, span: Span) -> bool:
        """Whether a section or setting is seen for the first time (reporting repeats)."""
        if name in self._seen:
            self.sink.add("E103", span, name=name, help="keep one and remove the others")
            return False
        self._seen.add(name)
        if name == "cast":
            self.cast_span = span
        return True

    def setting(
        self, name: str, raw: object, name_span: Span, value_span: Span, shown: str | None = None
    ) -> None:
        """A `name value` line (DSL) or a top-level key (YAML)."""
        spec = SETTINGS.get(name)
        if spec is None:
            self.sink.add("E104", name_span, name=name,
                          help=did_you_mean(name, [*SETTINGS, *self.sections]))
            return
        if not self.once(name, name_span):
            return
        if isinstance(raw, str) and raw[:1] in (":", "："):
            # `duration: 5`, `title：广告`: a YAML habit, or a full-width colon.
            self.sink.add("W103", value_span, name=name, value=shorten(raw[1:].strip(), 30),
                          help=f"write `{name} {shorten(raw[1:].strip(), 30)}`")
            raw = raw[1:].strip()
            value_span = Span(value_span.line, value_span.column + 1, value_span.end_line,
                              value_span.end_column, value_span.file)
        if isinstance(raw, str) and "＊" in raw and name == "size":
            self.sink.add("W105", value_span, char="＊", ascii="*",
                          help=f"write `size {raw.replace('＊', '*')}`")
            raw = raw.replace("＊", "*")
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            self.sink.add("E106", name_span, what=f"`{name}`", expected="a value")
            value = None
        elif spec.type is not str and _too_long(raw):
            # int() refuses over 4,300 digits, and no seed or duration has more than a few.
            self.sink.add("E116", value_span, what=f"`{name}`", count=len(str(raw).strip()),
                          max=limits().number_chars)
            value = None
        elif spec.word and isinstance(raw, str) and len(raw.strip()) > limits().reference_chars:
            # A one-word value (a size, a ratio, a first frame's URL) this long is none of them.
            self.sink.add("E116", value_span, what=f"`{name}`", count=len(raw.strip()),
                          max=limits().reference_chars)
            value = None
        elif name in _REFERENCE_SETTINGS and isinstance(raw, str) and _reference_problem(raw.strip()):
            self.sink.add("E117", value_span, detail=f"`{name}` {_reference_problem(raw.strip())}",
                          help="use a shorter path, or host the file at a short URL")
            value = None
        else:
            if isinstance(raw, float) and not math.isfinite(raw):
                raw = shown if shown is not None else str(raw)  # `.inf`, `.nan`: no number
            value = convert(spec, raw, value_span, self.sink, shown)
        self.settings[name] = Setting(name=name, value=value, span=name_span, value_span=value_span)

    def declare(self, name: str) -> None:
        """A cast name whose line is reported bad: mentions of it are not reported again."""
        if name not in self._declared_set:
            self._declared.append(name)
            self._declared_set.add(name)

    def member(
        self,
        name: str,
        kind: str | None,
        source: str | None,
        name_span: Span,
        kind_span: Span,
        source_span: Span,
        voice: str | None = None,
        voice_span: Span | None = None,
    ) -> None:
        """One cast member: `name kind source [voice source]`."""
        if not _NAME.fullmatch(name):
            # Declared all the same: its mentions are not reported again (no cascade).
            self.declare(name)
            word = re.sub(r"\W", "", name).lstrip("0123456789_")
            example = f"`{word}{''.join(c for c in name if c.isdigit())}`" if word else "`girl`"
            self.sink.add("E312", name_span, name=name, help=f"name it with a word, e.g. {example}")
            return
        if name in self._declared_set:
            self.sink.add("E305", name_span, name=name, help="give each cast member its own name")
            return
        self.declare(name)
        if kind is None or source is None:
            what = "a kind (`video` or `image`) and a source" if kind is None else "a source"
            self.sink.add("E106", name_span, what=f"cast member `{name}`", expected=what,
                          help=f"write `{name} video https://…` or `{name} image path/to/file.png`")
            return
        if kind not in KINDS:
            self.sink.add("E306", kind_span, kind=kind, help=did_you_mean(kind, KINDS))
            return
        for what, text, span in (("reference", source, source_span), ("voice", voice, voice_span)):
            problem = _reference_problem(text.strip()) if text else None
            if problem:
                self.sink.add("E117", span or name_span, detail=f"the {what} of `{name}` {problem}",
                              help="use a shorter path, or host the file at a short URL")
                return
        if voice is not None and not voice.strip():
            self.sink.add("E106", voice_span or name_span, what=f"the voice of `{name}`",
                          expected="a source", help=f"write `voice path/to/{name}.mp3` or a URL")
            return
        self.cast.append(
            CastMember(name=name, kind=typing.cast(ReferenceKind, kind), source=source.strip(),
                       span=name_span, source_span=source_span, voice=voice.strip() if voice else None,
                       voice_span=voice_span or name_span)
        )

    def text_section(self, name: str, pieces: list[Piece], span: Span) -> None:
        """`intro` or `prompt` text."""
        if not self.once(name, span):
            return
        setattr(self, name, (pieces, span))

    def shot(self, timing: Timing | None, pieces: list[Piece], span: Span) -> None:
        """One shot, its time as written and its text.

        An untimed shot whose text starts like a time (`0–1s`, `0~3s`, `3秒跳舞`) gets a
        warning with the spelling that is read as one.
        """
        if timing is None and pieces:
            found = time_like(pieces[0].text)
            if found is not None:
                written, fixed = found
                hint = (f"put a space after `{written}` to time the shot" if written == fixed
                        else f"write `shot {fixed} …` to time the shot")
                self.sink.add("W101", pieces[0].span(0, len(written)), text=written, help=hint)
        self.shots.append(_PendingShot(timing, pieces, span))

    def _text(self, what: str, pieces: list[Piece], span: Span) -> Text:
        for p in pieces:
            for at, name in wide_mentions(p.text, self._names):
                self.sink.add("W104", p.span(at, len(name) + 1), name=name,
                              help=f"write `@{name}` to mention it")
        text = build_text(pieces, self._names, self.sink, span)
        if not text.segments or all(
            getattr(s, "text", "x").strip() == "" for s in text.segments
        ):
            self.sink.add("E411", span, what=what)
        return text

    def finish(self) -> Story:
        """The Story, with every text's mentions resolved against the finished cast."""
        self._names = Names(self._declared)  # indexed once for every text
        shots = tuple(
            Shot(timing=s.timing, text=self._text(f"shot {i}", s.pieces, s.span), span=s.span)
            for i, s in enumerate(self.shots, 1)
        )
        intro = self._text("intro", *self.intro) if self.intro else None
        prompt = self._text("prompt", *self.prompt) if self.prompt else None
        return Story(
            settings=self.settings,
            cast=tuple(self.cast),
            intro=intro,
            prompt=prompt,
            shots=shots,
            path=self.path,
            cast_span=self.cast_span,
        )
