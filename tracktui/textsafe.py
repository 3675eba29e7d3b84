"""Make log-derived text safe to show on a terminal: no escape sequences, no control or bidi characters.

Log lines carry whatever remote hosts and senders put in them: subjects with
ANSI colour codes, replies with carriage returns, names with right-to-left
override characters that make a terminal (or a reader) see something other
than what is there. :func:`sanitize` is applied to every such string before a
view displays it. It is for *display* only: data written for programs (JSON,
CSV) keeps the exact text. It is not a markup escape: build display text
with ``rich.text.Text`` / Textual ``Content`` as well.
"""

from __future__ import annotations

import re
import unicodedata

_ESCAPE_RE = re.compile(
    r"""
    \x1b\[[0-?]*[ -/]*[@-~]                      # CSI: colours, cursor moves, screen clears
  | \x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?          # OSC: window titles, hyperlinks (BEL or ST terminated)
  | \x1b[PX^_][^\x1b]*(?:\x1b\\)?               # DCS, SOS, PM, APC strings
  | \x1b[ -/]*[0-~]?                             # other two/three-byte escapes (and a lone ESC)
  | \x9b[0-?]*[ -/]*[@-~]                        # 8-bit CSI
  | [\x90\x98\x9d\x9e\x9f][^\x07\x1b\x9c]*(?:\x07|\x9c)?   # 8-bit DCS/SOS/OSC/PM/APC strings
    """,
    re.VERBOSE,
)
_BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
"""Explicit direction marks, embeddings, overrides and isolates: they reorder what the terminal shows."""
_JOINERS = frozenset("\u200c\u200d")
"""Zero-width (non-)joiners: needed by Persian, Indic scripts and emoji sequences, harmless."""
_DROP = frozenset(("Cc", "Cf", "Cs"))
_SPACE_LIKE = frozenset("\t\n\r\v\f\u0085\u2028\u2029")
_MAX_DEFAULT = 100_000


def _table() -> dict[int, str | None]:
    """``str.translate`` table for the C0/C1 controls, DEL and bidi controls (BMP only)."""
    table: dict[int, str | None] = {}
    for code in (*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0)):
        table[code] = " " if chr(code) in _SPACE_LIKE else None
    for char in _BIDI_CONTROLS:
        table[ord(char)] = None
    for char in ("\u2028", "\u2029", "\ufeff"):
        table[ord(char)] = " " if char in _SPACE_LIKE else None
    return table


_TRANSLATE = _table()
_SURROGATE_RE = re.compile("[\ud800-\udfff]")


def sanitize(text: str | None, *, max_length: int = _MAX_DEFAULT) -> str:
    """``text`` with escape sequences removed, control/bidi characters dropped (whitespace becomes a space).

    Lone surrogates (possible from JSON journal lines) become U+FFFD so the
    result can always be encoded. Text longer than ``max_length`` is cut and
    ends with ``…``. ``None`` gives ``""``.
    """
    if not text:
        return ""
    if len(text) > max_length:
        text = text[:max_length] + "…"
    if text.isascii() and text.isprintable():
        return text  # the common case: nothing to do
    text = _ESCAPE_RE.sub("", text)
    text = text.translate(_TRANSLATE)
    text = _SURROGATE_RE.sub("\ufffd", text)
    if not text.isprintable():
        # Anything left that is neither printable nor a plain space: format/unassigned/private-use.
        text = "".join(ch for ch in text if ch.isprintable() or ch in _JOINERS or unicodedata.category(ch) not in _DROP)
    return text


def is_clean(text: str) -> bool:
    """True when :func:`sanitize` would return ``text`` unchanged (cheap check for input validation)."""
    return sanitize(text, max_length=len(text) + 1) == text
