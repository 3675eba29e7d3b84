"""The report's shipped Unicode font, and fast text measuring, cleaning and fitting for it.

fpdf2 measures TTF text slowly (``get_string_width`` goes through its
fragment machinery), and tens of thousands of rows need thousands of
measurements per second. :class:`TextFitter` reads the font's cmap and
advance widths once and measures with one dict lookup per character. It
also makes any untrusted string printable: ANSI escapes and control
characters go, characters the font lacks become a visible replacement mark,
and right-to-left runs are put in visual order (no shaping library is
available, so Arabic letters show unjoined but in the right order).
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from functools import cache
from itertools import accumulate
from pathlib import Path

from fontTools.ttLib import TTFont

from tracktui.textsafe import sanitize

FONT_DIR = Path(__file__).resolve().parent / "fonts"
REGULAR_FONT = FONT_DIR / "DejaVuSans.ttf"
BOLD_FONT = FONT_DIR / "DejaVuSans-Bold.ttf"
FONT_LICENSE = FONT_DIR / "LICENSE-DejaVu.txt"

REPLACEMENT = "\ufffd"
"""Shown for every character the font cannot draw."""
ELLIPSIS = "\u2026"
MM_PER_PT = 25.4 / 72

_RTL = r"[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]"
_RTL_RUN = re.compile(rf"{_RTL}+(?:[ \u0660-\u0669]+{_RTL}+)*")
"""A run of Hebrew/Arabic letters (with the spaces and Arabic digits between them), drawn reversed."""
_BIDI_CONTROLS = frozenset("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u061c")
_BREAK_AFTER = "@.-/_,;:=&?"
"""Where a word without spaces (an address, a path) may break when it must."""
_MAX_LINE_CHARS = 1000
"""More characters than any report line can hold: longer text is cut before measuring."""
_SPACES = frozenset("\t\n\r\x0b\x0c\x85\u2028\u2029")


class TextFitter:
    """Per-character widths and glyph coverage of one TTF font."""

    def __init__(self, path: Path) -> None:
        font = TTFont(str(path), lazy=True)
        scale = 1000 / font["head"].unitsPerEm
        metrics = font["hmtx"].metrics
        cmap = font.getBestCmap()
        self.widths: dict[str, int] = {
            chr(code): round(scale * metrics[glyph][0] + 0.001) for code, glyph in cmap.items()
        }
        """Advance width of every character the font has, in 1/1000 em (as fpdf2 rounds them)."""
        font.close()
        self._clean_char: dict[str, str] = {}

    def _map_char(self, char: str) -> str:
        """What one input character becomes on the page (cached by :meth:`clean`)."""
        if char in _SPACES:
            return " "
        if char in _BIDI_CONTROLS or unicodedata.category(char) in ("Cc", "Cs"):
            return ""
        if char in self.widths:
            return char
        if unicodedata.category(char) in ("Mn", "Me", "Cf"):
            return ""  # combining marks, zero-width joiners, variation selectors: nothing to draw
        return REPLACEMENT

    def clean(self, text: str | None) -> str:
        """``text`` made safe and drawable: no escapes or controls, unknown glyphs replaced."""
        if not text:
            return ""
        if "\x1b" in text or "\x9b" in text:
            text = sanitize(text, max_length=len(text))
        table = self._clean_char
        try:
            cleaned = "".join([table[char] for char in text])
        except KeyError:
            for char in set(text):
                if char not in table:
                    table[char] = self._map_char(char)
            cleaned = "".join([table[char] for char in text])
        if not cleaned.isascii() and _RTL_RUN.search(cleaned):
            cleaned = _RTL_RUN.sub(lambda match: match.group(0)[::-1], cleaned)
        return cleaned

    def units(self, text: str) -> int:
        """Width of cleaned ``text`` in 1/1000 em."""
        widths = self.widths
        return sum([widths[char] for char in text])

    def width(self, text: str, size_pt: float) -> float:
        """Width of cleaned ``text`` in millimetres at ``size_pt``."""
        return self.units(text) * size_pt * MM_PER_PT / 1000

    def limit(self, width_mm: float, size_pt: float) -> float:
        """A width in millimetres as 1/1000 em at ``size_pt``."""
        return width_mm * 1000 / (size_pt * MM_PER_PT)

    def fit(self, text: str, width_mm: float, size_pt: float) -> str:
        """Cleaned ``text`` cut with an ellipsis so it fits ``width_mm``."""
        return self._fit_units(text, self.limit(width_mm, size_pt))

    def _fit_units(self, text: str, limit: float) -> str:
        text = text[:_MAX_LINE_CHARS]
        cumulative = list(accumulate([self.widths[char] for char in text]))
        if not cumulative or cumulative[-1] <= limit:
            return text
        end = bisect_right(cumulative, limit - self.widths[ELLIPSIS])
        return text[:end].rstrip() + ELLIPSIS

    def wrap(self, text: str, width_mm: float, size_pt: float, max_lines: int) -> list[str]:
        """Cleaned ``text`` broken at spaces (or after ``@ . - /``..., or anywhere) into at most ``max_lines``.

        The last line ends with an ellipsis when text was left over. Work is
        bounded by what can fit, so a 10 kB subject costs no more than a
        short one; break points are found by bisecting cumulative widths.
        """
        limit = self.limit(width_mm, size_pt)
        text = text[: _MAX_LINE_CHARS * max_lines]
        cumulative = list(accumulate([self.widths[char] for char in text]))
        if not cumulative:
            return []
        if cumulative[-1] <= limit:
            return [text]
        lines: list[str] = []
        start = 0
        end = len(text)
        while start < end:
            while start < end and text[start] == " ":
                start += 1
            if start >= end:
                break
            if len(lines) == max_lines - 1:
                lines.append(self._fit_units(text[start:], limit))
                break
            before = cumulative[start - 1] if start else 0
            fits = bisect_right(cumulative, before + limit, lo=start)  # text[start:fits] fits
            if fits >= end:
                lines.append(text[start:])
                break
            space = text.rfind(" ", start + 1, fits + 1)
            if space > start:
                lines.append(text[start:space])
                start = space + 1
                continue
            mark = max(text.rfind(char, start, fits) for char in _BREAK_AFTER) + 1
            if mark > start:
                lines.append(text[start:mark])
                start = mark
            else:
                fits = max(fits, start + 1)
                lines.append(text[start:fits])
                start = fits
        return lines


@cache
def fitter(bold: bool = False) -> TextFitter:
    """The shared :class:`TextFitter` of the regular or bold report font (loaded once)."""
    return TextFitter(BOLD_FONT if bold else REGULAR_FONT)
