"""Field readers for Exim main log lines: ``KEY=value`` pairs, quoted text, codes, hosts, durations.

Pure helpers of :mod:`tracktui.parsers.exim`. :func:`fields` is the general,
quote-aware reader. :data:`DELIVERY_RE`, :data:`ARRIVAL_RE` and
:data:`FAILURE_FIELDS_RE` read the usual layout of a hot line type in one
match; they match only where their reading equals the general one (each
captured key at most once, no quotes but one unescaped ``C="..."`` or
``T="..."``), and the parser falls back to :func:`fields` when they do not.
"""

from __future__ import annotations

import re

FIELDS_RE = re.compile(
    r' ([A-Za-z][A-Za-z0-9]*)=("[^"\\]*(?:\\.[^"\\]*)*(?:"|\\?$)'
    r"|[^\s\"]\S*(?: \([^)\s]*\))?(?: \[[^\]\s]*\](?::\d+)?)?|)"
)
"""``KEY=value`` pairs; quoted values keep their quotes (an unterminated quote runs to the end)."""

# Layout of the hot lines, matched on the text after the flag. Every token is " KEY=value" with a value
# without spaces or quotes, so each starts where the general regex would start a field; the captured keys
# are excluded from the other tokens, so each appears at most once and "first occurrence wins" holds.
_HOST = r'[^\s"]++(?: \([^)\s]*\))?(?: \[[^\]\s]*\](?::\d+)?)?'
_OTHER = r'(?: (?!(?:{keys})=)[A-Za-z][A-Za-z0-9]*+=[^\s"]*+)*+'
_DELIVERY_TAIL = (
    f"{_OTHER.format(keys='H|C|QT|DT')}(?: H=({_HOST}))?{_OTHER.format(keys='H|C|QT|DT')}"
    r'(?: C="([^"\\]*+)")?(?: QT=([^\s"]*+))?(?: DT=([^\s"]*+))?\Z'
)
DELIVERY_RE = re.compile(r"([^ ]++)" + _DELIVERY_TAIL)
"""``addr`` plus ``H=``, ``C=`` (unquoted), ``QT=``, ``DT=`` of a ``=>`` line without parent or original address."""
FAILURE_FIELDS_RE = re.compile(_DELIVERY_TAIL)
"""``H=``, ``C=``, ``QT=``, ``DT=`` of the fields of a ``==``/``**`` line, matched on ``" " + fields``."""
_ARRIVAL_OTHER = _OTHER.format(keys="S|id|T|H|R")
ARRIVAL_RE = re.compile(
    rf'([^ ]++)(?: R=([^\s"]*+))?{_ARRIVAL_OTHER}(?: H=({_HOST}))?{_ARRIVAL_OTHER}(?: S=([^\s"]*+))?'
    rf'{_ARRIVAL_OTHER}(?: id=([^\s"]*+))?{_ARRIVAL_OTHER}(?: T="([^"\\]*+)")?(?: for(?: [^\s="]++)++)?\Z'
)
"""Sender plus ``R=``, ``H=``, ``S=``, ``id=``, ``T=`` (unquoted) of a ``<=`` line, in Exim's order."""
_ESCAPE = re.compile(rb"\\([0-7]{1,3}|.)", re.DOTALL)
_SIMPLE_ESCAPES = {b"n": b"\n", b"t": b"\t", b"r": b"\r", b"b": b"\b", b"f": b"\f", b"v": b"\v", b"a": b"\a"}
_UNITS = {"w": 604800.0, "d": 86400.0, "h": 3600.0, "m": 60.0, "s": 1.0}


def unescape(value: str) -> str:
    """Text of an Exim quoted log value: drop the quotes, undo ``\\"``, ``\\n``, ``\\ooo`` (UTF-8 bytes)..."""
    if value.startswith('"'):
        body = value[1:]
        if body.endswith('"') and (len(body) - 1 - len(body[:-1].rstrip("\\"))) % 2 == 0:
            body = body[:-1]
        value = body
    if "\\" not in value:
        return value
    try:
        raw = value.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return value
    decoded = _ESCAPE.sub(_unescape_one, raw)
    try:
        return decoded.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.reason == "unexpected end of data":
            # Exim logs the first 100 bytes of a subject, which can cut a character in half
            return decoded[: error.start].decode("utf-8", "replace")
        return decoded.decode("utf-8", "replace")


def _unescape_one(match: re.Match[bytes]) -> bytes:
    token = match.group(1)
    if token[:1].isdigit():
        return bytes([int(token, 8) & 0xFF])
    return _SIMPLE_ESCAPES.get(token, token)


def reply_codes(text: str) -> tuple[int | None, str | None]:
    """Basic and enhanced code at the start of an SMTP reply (``550 5.1.1 ...``, ``550-5.1.1 ...``)."""
    if len(text) < 3 or text[0] not in "245" or not text[:3].isdigit() or (len(text) > 3 and text[3] not in " -"):
        return None, None
    code = int(text[:3])
    if text[4:5] != text[0] or text[5:6] != ".":
        return code, None
    token = text[4:14].partition(" ")[0]
    middle, dot, last = token[2:].partition(".")
    if dot and 0 < len(middle) <= 3 and 0 < len(last) <= 3 and (middle + last).isdigit() and token.isascii():
        return code, token
    return code, None


def duration(text: str) -> float | None:
    """Seconds of an Exim time like ``1d2h3m4s``, ``5s`` or ``0.123s``."""
    if len(text) == 2 and text[1] == "s" and text[0] in "0123456789":
        return float(text[0])  # "0s", the common case
    total = 0.0
    number = ""
    for char in text:
        if char.isdigit() or char == ".":
            number += char
        elif char in _UNITS and number:
            try:
                total += float(number) * _UNITS[char]
            except ValueError:
                return None
            number = ""
        else:
            return None
    return total if not number else None


def host_parts(value: str) -> tuple[str | None, str | None, str | None]:
    """Name, IP and port of an ``H=`` value: ``name (helo) [ip]:port``; any part may be missing."""
    name = None
    ip = None
    port = None
    open_at = value.find("[")
    if open_at >= 0:
        close_at = value.find("]", open_at)
        if close_at > open_at:
            ip = value[open_at + 1 : close_at]
            if value[close_at + 1 : close_at + 2] == ":":
                port = value[close_at + 2 :].partition(" ")[0] or None
    first = value.partition(" ")[0]
    if first and first[0] not in "([":
        name = first
    return name, ip, port


def relay(value: str | None) -> str | None:
    """``name[ip]:port`` of an ``H=`` value on a delivery line (the next hop)."""
    if not value:
        return None
    name, ip, port = host_parts(value)
    if ip is None:
        return name
    text = f"{name or ip}[{ip}]"
    return f"{text}:{port}" if port else text


def client(value: str | None) -> str | None:
    """``name[ip]`` of an ``H=`` value on an arrival or rejection line (the SMTP client)."""
    if not value:
        return None
    name, ip, _port = host_parts(value)
    if ip is None:
        return name
    return f"{name or 'unknown'}[{ip}]"


def fields(text: str) -> dict[str, str]:
    """Fields of ``text``; when a key repeats, the first occurrence wins (later ones may be data)."""
    pairs = FIELDS_RE.findall(" " + text)
    pairs.reverse()
    return dict(pairs)


def to_int(value: str | None) -> int | None:
    """``value`` as an int when it is a plain number of sane length."""
    return int(value) if value is not None and value.isdigit() and len(value) < 19 else None


def split_address(text: str) -> tuple[str, str | None, str]:
    """``addr (parent) <orig> rest`` -> (address, original address or None, rest)."""
    address, _, tail = text.partition(" ")
    while tail.startswith("("):
        close = tail.find(")")
        if close < 0:
            break
        tail = tail[close + 1 :].lstrip(" ")
    orig = None
    if tail.startswith("<"):
        close = tail.find(">")
        if close > 0:
            orig = tail[1:close]
            tail = tail[close + 1 :].lstrip(" ")
    return address, orig, tail


def recipient(address: str, orig: str | None) -> tuple[str, str | None]:
    """Recipient and original recipient: the original replaces an address without a domain (pipe, file)."""
    if orig and "@" not in address:
        return orig, None
    return address, (orig if orig and orig != address else None)


def split_deferral(text: str) -> tuple[str, str | None, str, str]:
    """Split ``addr ... defer (errno)[: strerror][ H=...][ DT=...][: message]`` into its parts.

    Returns the head (address and ``R=``/``T=`` fields), the errno text, the
    ``H=``/``DT=`` fields and the message. Lines without ``defer (`` fall back
    to a split at the first ``": "``.
    """
    at = text.find(" defer (")
    close = text.find(")", at + 8) if at >= 0 else -1
    if close < 0:
        head, _, message = text.partition(": ")
        return head, None, "", message
    head = text[:at]
    errno = text[at + 8 : close]
    rest = text[close + 1 :]
    errno_text = None
    if errno.isdigit() and errno != "0" and rest.startswith(": "):
        rest = rest[2:]
        cut = len(rest)
        for stop in (" H=", " DT=", ": "):
            found = rest.find(stop)
            if 0 <= found < cut:
                cut = found
        errno_text, rest = rest[:cut], rest[cut:]
    message = ""
    fields_end = rest.find(": ")
    if rest.startswith(" H="):
        close_ip = rest.find("]")
        if close_ip > 0:
            fields_end = rest.find(": ", close_ip)
    if fields_end >= 0:
        rest, message = rest[:fields_end], rest[fields_end + 2 :]
    return head, errno_text, rest, message


def bracket_dsn(message: str) -> str | None:
    """An enhanced code Exim or a remote put in brackets or after the code, e.g. ``(#4.4.1)``."""
    at = message.find("(#")
    if at >= 0:
        token = message[at + 2 : at + 12].partition(")")[0]
        parts = token.split(".")
        if len(parts) == 3 and all(p.isdigit() and p.isascii() and len(p) <= 3 for p in parts) and parts[0] in "245":
            return token
    return None
