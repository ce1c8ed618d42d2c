"""Fonts for preview cards: a CJK-capable one when the system has it, and a legible fallback."""

from __future__ import annotations

import shutil
import subprocess
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from PIL import ImageFont

Font = ImageFont.FreeTypeFont

# Preferred CJK families, best first; any other family that covers Chinese comes after these.
# "Sharp" WenQuanYi is a bitmap-hinted variant that looks jagged when scaled.
_CJK_PREFERENCE = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Noto Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Droid Sans Fallback",
)
# Where distributions put these when fontconfig is missing.
_CJK_PATHS = (
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),  # index 2 = SC
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0),
)
_LATIN_PATHS = {
    False: ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",),
    True: ("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",),
}
# Typographic punctuation that fonts without CJK lack, spelled with characters they have.
_PUNCT_FALLBACK = str.maketrans(
    {
        "。": ". ", "、": ", ", "，": ", ", "：": ": ", "；": "; ", "！": "! ", "？": "? ",
        "「": "“", "」": "”", "『": "‘", "』": "’", "（": " (", "）": ") ", "《": "“", "》": "”",
        "【": "[", "】": "]", "〜": "~", "　": " ",
    }
)  # fmt: skip


@dataclass(frozen=True)
class FontFile:
    """One font face on disk (a .ttc holds several: `index` picks one); path None = Pillow's own."""

    path: str | None
    index: int = 0
    family: str = "Pillow default"


@dataclass(frozen=True)
class Fonts:
    """The faces a preview is drawn with: `text` for story text, `label` for our ASCII labels."""

    text: FontFile
    label: FontFile
    _sizes: dict[tuple[FontFile, int], Font] = field(default_factory=dict, compare=False)
    _glyphs: dict[str, bool] = field(default_factory=dict, compare=False)

    def get(self, face: FontFile, size: int) -> Font:
        """The face loaded at a pixel size (loaded once)."""
        key = (face, size)
        if key not in self._sizes:
            self._sizes[key] = _load(face, size)
        return self._sizes[key]

    @property
    def cjk(self) -> bool:
        """Whether the text face draws Chinese."""
        return self.has_glyph("中")

    def has_glyph(self, ch: str) -> bool:
        """Whether the text face draws `ch` (rather than its missing-glyph box)."""
        if ch not in self._glyphs:
            self._glyphs[ch] = _draws(self.get(self.text, 32), ch)
        return self._glyphs[ch]

    def legible(self, text: str) -> tuple[str, bool]:
        """`text` with what the font cannot draw replaced (never tofu), and whether any was."""
        if all(self.has_glyph(c) or c.isspace() for c in text):
            return text, False
        text = unicodedata.normalize("NFKC", text.translate(_PUNCT_FALLBACK))
        out: list[str] = []
        run = 0  # length of the current run of characters the font lacks
        omitted = False
        for c in text + "\n":
            if c.isspace() or self.has_glyph(c):
                if run:
                    out.append(omitted_run(run))
                    run, omitted = 0, True
                out.append(c)
            else:
                run += 1
        return "".join(out)[:-1], omitted


def omitted_run(n: int) -> str:
    """What a run of `n` characters the font cannot draw is shown as (plain ASCII, no tofu)."""
    # A no-break space keeps "[13 chars]" on one line.
    return f"[{n}\u00a0char{'s' if n > 1 else ''}]"


@cache
def system_fonts() -> Fonts:
    """The best fonts this machine has (looked up once per process)."""
    return Fonts(text=find_cjk_font() or find_latin_font(), label=find_latin_font(bold=True))


def latin_fonts() -> Fonts:
    """Fonts without CJK glyphs: the fallback path (tests use it on machines with CJK fonts)."""
    return Fonts(text=find_latin_font(), label=find_latin_font(bold=True))


def find_cjk_font() -> FontFile | None:
    """A font that draws Chinese, via fontconfig or known paths; None when there is none."""
    candidates = _fc_list_zh() + [FontFile(p, i, Path(p).stem) for p, i in _CJK_PATHS]
    for face in candidates:
        if face.path and Path(face.path).is_file() and _draws(_load(face, 32), "中"):
            return face
    return None


def find_latin_font(*, bold: bool = False) -> FontFile:
    """DejaVu Sans (or whatever fontconfig calls sans), else Pillow's built-in font."""
    pattern = "DejaVu Sans:bold" if bold else "DejaVu Sans"
    matched = _fc_match(pattern)
    paths = ([matched.path] if matched and matched.path else []) + list(_LATIN_PATHS[bold])
    for p in paths:
        if p and Path(p).is_file() and Path(p).suffix.lower() in (".ttf", ".otf", ".ttc"):
            return FontFile(p, 0, Path(p).stem)
    return FontFile(None)


def _fc_list_zh() -> list[FontFile]:
    out = _run(["fc-list", ":lang=zh", "--format", "%{file}|%{index}|%{family[0]}\n"])
    faces = []
    for line in out.splitlines():
        path, _, rest = line.partition("|")
        index, _, family = rest.partition("|")
        if path and index.isdigit():
            faces.append(FontFile(path, int(index), family))
    rank = {name: i for i, name in enumerate(_CJK_PREFERENCE)}
    return sorted(faces, key=lambda f: (rank.get(f.family, len(rank)), f.family, f.path or ""))


def _fc_match(pattern: str) -> FontFile | None:
    out = _run(["fc-match", "--format", "%{file}|%{index}", pattern])
    path, _, index = out.partition("|")
    return FontFile(path, int(index)) if path and index.isdigit() else None


def _run(argv: list[str]) -> str:
    if shutil.which(argv[0]) is None:
        return ""
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=10, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return ""


def _load(face: FontFile, size: int) -> Font:
    if face.path is None:
        default = ImageFont.load_default(size)
        assert isinstance(default, ImageFont.FreeTypeFont)  # Pillow ≥ 10.1 with FreeType: always
        return default
    return ImageFont.truetype(face.path, size, index=face.index)


def _draws(font: Font, ch: str) -> bool:
    # A character missing from the font renders as glyph 0 (.notdef), the same bitmap as any
    # other missing character: compare against a code point no font maps.
    return _bitmap(font, ch) != _bitmap(font, "\U0010ffff")


def _bitmap(font: Font, ch: str) -> tuple[tuple[int, int], bytes]:
    mask = font.getmask(ch)
    return mask.size, bytes(mask)
