"""RFC 2047 encoded-words in logged Subject headers -> readable text.

Postfix's ``header_checks`` lines log the raw header and Exim's ``T="..."``
keeps any word it could not decode, so a subject arrives as
``=?utf-8?b?R3LDvMOfZQ==?=``. :func:`decode_subject` turns that into text a
user can search and read. It works on what logs really contain, not on
well-formed headers, and never raises:

- B and Q words, in any case, mixed with plain text; white space between two
  adjacent encoded words is dropped (RFC 2047 section 6.2), other text is
  kept as it is.
- Adjacent words in one charset are decoded together, so a character an
  encoder split across two words comes out whole.
- Folds: Postfix writes a header's line break as ``?``, so a folded subject
  logs as ``...?=? =?utf-8?b?...?=``; those ``?`` between two encoded words
  are the fold, not text.
- A word cut by the log's length limit (Postfix 200 characters, Exim 100
  bytes) at the very end keeps what decodes, minus a character cut in half.
- A charset Python does not know, or a codec that is no text charset, keeps
  the word raw: showing the log's text beats guessing.
- Bytes invalid in their charset become U+FFFD.

Decoding uses :mod:`binascii` (the primitives :mod:`email.header` is built
on) directly: ``email.header.decode_header`` raises on a bad base64 word,
skips truncated words and cannot keep one unknown-charset word raw while
decoding its neighbours.
"""

from __future__ import annotations

import binascii
import codecs
import re
from typing import Final

_WORD: Final = re.compile(r"=\?([^?\s]{1,75})\?([bBqQ])\?([^?\s]*)(\?=|\?\Z|\Z)")
"""An encoded word; a group 4 of ``?`` or nothing is a word cut off at the end of the text."""
_FOLD: Final = re.compile(r"\A\?+(?=[ \t]|\Z)")
"""Postfix's ``?`` per line-break byte of a fold, right after an encoded word."""
_BLANK: Final = re.compile(r"[ \t\r\n]*\Z")
_NOT_CHARSETS: Final = frozenset({"idna", "punycode", "undefined", "unicode-escape", "raw-unicode-escape"})
"""Text codecs Python has that no mail charset names; a word claiming one is kept raw."""
_CACHE_LIMIT: Final = 256
_charsets: dict[str, str | None] = {}
"""Charset label (lower case) -> Python codec name, or ``None`` if unusable."""


def decode_subject(text: str) -> str:
    """``text`` with its RFC 2047 encoded-words decoded (see the module docstring); cheap without ``=?``."""
    if "=?" not in text:
        return text
    try:
        return _decode(text)
    except Exception:  # a log line must never break the parse; the raw text is still right
        return text


def _decode(text: str) -> str:
    out: list[str] = []
    pending = bytearray()
    """Bytes of the run of adjacent decodable words in ``pending_codec``, not yet decoded."""
    pending_codec: str | None = None
    position = 0
    """End of the last encoded word (0: none yet)."""
    for match in _WORD.finditer(text):
        gap = text[position : match.start()]
        if position:
            gap = _FOLD.sub("", gap) if gap[:1] == "?" else gap
        truncated = match.group(4) != "?="
        codec = _codec(match.group(1))
        data = _word_bytes(match.group(2), match.group(3), truncated) if codec is not None else None
        if codec is not None and data is not None and codec == pending_codec and _BLANK.match(gap):
            pending += data  # adjacent words of one charset: a character may be split between them
        else:
            if pending_codec is not None:
                out.append(_text(pending, pending_codec, False))
                if data is None or not _BLANK.match(gap):
                    out.append(gap)  # white space between two decoded words is dropped, else kept
            else:
                out.append(gap)
            pending, pending_codec = bytearray(), None
            if codec is None or data is None:
                out.append(match.group(0))  # unknown charset, broken payload: the raw word
            else:
                pending, pending_codec = bytearray(data), codec
        position = match.end()
        if truncated:  # only ever the last word
            if pending_codec is not None:
                out.append(_text(pending, pending_codec, True))
            return "".join(out)
    if pending_codec is not None:
        out.append(_text(pending, pending_codec, False))
    rest = text[position:]
    out.append(_FOLD.sub("", rest) if position and rest[:1] == "?" else rest)
    return "".join(out)


def _codec(label: str) -> str | None:
    """The Python codec of a charset label, or ``None`` when Python has no text codec of that name."""
    key = label.lower()
    if key in _charsets:
        return _charsets[key]
    name: str | None
    try:
        info = codecs.lookup(key.partition("*")[0])
        name = info.name if info._is_text_encoding and info.name not in _NOT_CHARSETS else None
    except LookupError:
        name = None
    if len(_charsets) >= _CACHE_LIMIT:
        _charsets.clear()
    _charsets[key] = name
    return name


def _word_bytes(encoding: str, payload: str, truncated: bool) -> bytes | None:
    """The bytes a word's payload encodes; of a truncated one, whatever complete part it has."""
    if not payload.isascii():
        return None
    if encoding in "bB":
        if truncated:
            payload = payload[: len(payload) - len(payload) % 4]
        else:
            payload += "=" * (-len(payload) % 4)
        try:
            data = binascii.a2b_base64(payload)
        except (binascii.Error, ValueError):
            return None
        return data if data or not (payload or truncated) else None
    if truncated:
        cut = payload.rfind("=", max(0, len(payload) - 2))
        if cut >= 0:
            payload = payload[:cut]
    data = binascii.a2b_qp(payload, header=True)
    return data if data or not (payload or truncated) else None


def _text(data: bytes | bytearray, codec: str, truncated: bool) -> str:
    """``data`` decoded; of a truncated word, an incomplete character at the end is dropped."""
    if not truncated:
        return bytes(data).decode(codec, "replace")
    decoder = codecs.getincrementaldecoder(codec)("replace")
    return decoder.decode(bytes(data), final=False)
