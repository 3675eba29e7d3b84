"""Which MTA wrote a log, from its first lines; and the parser registry.

Detection reads the envelope (traditional syslog, RFC 3339, journald JSON)
to learn the program name, and recognises the envelopes only one MTA writes
itself: Exim's ``2026-11-27 09:00:01`` stamps, qmail's multilog
``@4000...`` TAI64N stamps and the same after ``tai64nlocal``
(``2026-11-27 09:00:01.123456789 new msg ...``) or with a bare unix stamp
(``1795770001.123456 new msg ...``); for those a qmail-send word must follow.
Each recognised line is one vote; the MTA with most votes wins. A configured MTA always overrides detection (the caller
simply does not call :func:`detect_mta`).
"""

from __future__ import annotations

import importlib
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, tzinfo
from itertools import islice

from tracktui.parsers.base import Parser
from tracktui.parsers.exim import EximParser
from tracktui.parsers.qmail import QmailParser, tai64n_epoch
from tracktui.parsers.syslog import EnvelopeParser

DETECT_LINES = 200
"""How many lines :func:`detect_mta` looks at."""

PARSERS: dict[str, type] = {"exim": EximParser, "qmail": QmailParser}
"""MTA name -> parser class. ``postfix`` is added as soon as its module imports."""

_QMAIL_WORDS = ("new msg ", "info msg ", "starting delivery ", "delivery ", "end msg ", "bounce msg ", "status: local ")
_EXIM_FLAGS = ("<= ", "=> ", "-> ", ">> ", "*> ", "== ", "** ", "Completed")


def _register_postfix() -> bool:
    """Add the Postfix parser to :data:`PARSERS` if its module is importable."""
    if "postfix" in PARSERS:
        return True
    try:
        module = importlib.import_module("tracktui.parsers.postfix")
    except ImportError:
        return False
    PARSERS["postfix"] = module.PostfixParser
    return True


_register_postfix()


def make_parser(
    name: str,
    *,
    tz: tzinfo | None = None,
    reference_time: float | None = None,
    default_host: str = "",
) -> Parser:
    """A new parser for MTA ``name`` (``postfix``, ``exim`` or ``qmail``).

    Raises:
        ValueError: ``name`` is not a known MTA (``auto`` must be resolved with
            :func:`detect_mta` first).
    """
    key = name.strip().lower()
    if key == "postfix":
        _register_postfix()
    cls = PARSERS.get(key)
    if cls is None:
        known = ", ".join(sorted({*PARSERS, "postfix"}))
        hint = "; resolve 'auto' with detect_mta() first" if key == "auto" else ""
        raise ValueError(f"unknown MTA {name!r} (known: {known}){hint}")
    parser: Parser = cls(tz=tz, reference_time=reference_time, default_host=default_host)
    return parser


def _exim_body(text: str) -> bool:
    """True if ``text`` (after Exim's stamp) looks like an Exim main log message."""
    if len(text) > 17 and text[6] == "-" and ((text[13] == "-" and text[16] == " ") or text[18:24:5] == "- "):
        rest = text[17:] if text[16] == " " else text[24:]
        return rest.startswith(_EXIM_FLAGS) or rest[:1].isalpha()
    return text.startswith(("H=", "SMTP connection", "Start queue run", "End queue run", "exim ")) or (
        "exim" in text[:40] and "daemon started" in text
    )


def _program_vote(program: str) -> str | None:
    if program.startswith("postfix"):
        return "postfix"
    if program.startswith("exim"):
        return "exim"
    if program.startswith(("qmail", "splogger")):
        return "qmail"
    return None


def _line_vote(line: str, envelope: EnvelopeParser, exim: EximParser, qmail: QmailParser) -> str | None:
    if line.startswith("@"):
        if tai64n_epoch(line[:25]) is not None and line[26:].startswith(_QMAIL_WORDS):
            return "qmail"
        return None
    if line[:1].isdigit() and line[10:11] != "T":
        own = qmail.own_stamp(line)  # tai64nlocal or a bare unix stamp
        if own is not None and own[1].startswith(_QMAIL_WORDS):
            return "qmail"
        if line[10:11] != " ":
            return None
        stamped = exim.own_stamp(line)
        return "exim" if stamped is not None and _exim_body(stamped[1]) else None
    split = envelope.split(line)
    if split is None:
        return None
    return _program_vote(split.program)


def detect_mta(lines: Iterable[str], *, limit: int = DETECT_LINES) -> str | None:
    """``postfix``, ``exim`` or ``qmail`` judging by the first ``limit`` lines; ``None`` if none matched."""
    envelope = EnvelopeParser(tz=UTC)
    exim = EximParser(tz=UTC)
    qmail = QmailParser(tz=UTC)
    votes: Counter[str] = Counter()
    for raw in islice(lines, limit):
        line = raw.rstrip("\r\n") if isinstance(raw, str) else ""
        try:
            vote = _line_vote(line, envelope, exim, qmail)
        except Exception:  # detection must never fail on odd input
            vote = None
        if vote is not None:
            votes[vote] += 1
    if not votes:
        return None
    return votes.most_common(1)[0][0]
