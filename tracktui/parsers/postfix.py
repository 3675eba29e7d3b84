"""Postfix log lines -> :class:`~tracktui.model.Event` (Postfix 2.x and 3.x).

One :class:`PostfixParser` per source. It reads the envelope with
:class:`~tracktui.parsers.syslog.EnvelopeParser` (traditional syslog, RFC 3339,
``journalctl -o json``), keeps lines whose program is ``postfix/<daemon>``,
any instance ``postfix-xyz/<daemon>``, or a service name such as
``postfix/submission/smtpd`` (the last path component is the daemon), and
dispatches on the daemon with plain string tests. Each line type costs at
most one regular expression: a busy server writes millions of lines a day.

Field values come from fixed positions, never from searching the whole line:
a remote reply or a Subject may contain ``status=bounced`` or ``to=<x>``.

- delivery agents (smtp, lmtp, local, virtual, pipe, error, retry, discard,
  and qmgr's own ``to=`` lines): ATTEMPT. ``reply`` is the text inside the
  final parentheses, verbatim (``host x[1.2.3.4] said: 550 5.1.1 ... (in
  reply to RCPT TO command)``); ``code`` is the remote SMTP reply code when
  the text carries one; ``dsn`` is Postfix's ``dsn=`` field.
- qmgr: ``from=, size=, nrcpt=`` ENVELOPE (repeated at every queue run),
  ``removed`` REMOVED, ``from=<x>, status=expired, returned to sender``
  EXPIRED. postsuper ``removed`` is REMOVED too.
- cleanup: ``message-id=`` MESSAGE_ID (``<id>`` or a bare id);
  ``info:``/``warning:`` ``header Subject:`` lines from ``header_checks``
  SUBJECT (the logged header with its RFC 2047 words decoded by
  :mod:`tracktui.parsers.headers`; Postfix cuts the logged header at 200
  characters); ``reject:``/``discard:``/``milter-reject:`` REJECTED.
- smtpd ``client=`` and pickup ``uid= from=``: QUEUED.
- smtpd and postscreen ``NOQUEUE: reject:`` / ``QID: reject:``: REJECTED with
  ``code``, ``dsn``, ``reply``, ``sender``, ``recipient``, ``client``. A 4xx
  rejection (greylisting by our own server) keeps its 4xx ``code``. Only the
  stages of a mail transaction (MAIL, RCPT, DATA, END-OF-MESSAGE, BDAT) refuse
  a message; ``CONNECT``, ``EHLO``, ``HELO``, ``VRFY``, ``ETRN``... refusals
  name no sender and no recipient of a mail (VRFY's ``to=`` is a probe) and
  are ignored, as Exim's ``rejected EHLO`` and connection refusals are.
- bounce ``sender non-delivery notification: NEWQID`` (and ``delay``,
  ``delivery status``, ``postmaster ...``): NOTICE. Postfix logs these lines
  under the ORIGINAL message's queue id, so ``queue_id`` is the original
  message and ``related_queue_id`` the notice's new queue id;
  ``notice_kind`` says which notice it is.

Discards (cleanup ``discard:``, smtpd ``discard:``) are REJECTED events with
no code and ``reply`` starting with ``discarded:``: the client heard 250 but
the mail went nowhere.

Speed: :meth:`PostfixParser.parse` reads traditional and RFC 3339 envelopes
itself with ``str.find`` and memoised stamps, takes the handler from a cache
keyed by program name (for a traditional stamp: time, host and handler from
one cache keyed by the line's start up to the pid), and builds events positionally; journald JSON, first
sightings of a stamp or program, and anything odd go through
:class:`~tracktui.parsers.syslog.EnvelopeParser`, which also does the counting
of foreign and malformed lines.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import tzinfo
from typing import Final

from tracktui.model import AttemptResult, Event, EventKind, NoticeKind
from tracktui.parsers.base import ParseStats
from tracktui.parsers.headers import decode_subject
from tracktui.parsers.syslog import EnvelopeParser

_ATTEMPT: Final = EventKind.ATTEMPT
_ENVELOPE_KIND: Final = EventKind.ENVELOPE
_REMOVED: Final = EventKind.REMOVED
_MESSAGE_ID: Final = EventKind.MESSAGE_ID
_SUBJECT: Final = EventKind.SUBJECT
_QUEUED: Final = EventKind.QUEUED
EVENT_FIELDS = (
    "kind", "time", "host", "queue_id", "line", "mta", "sender", "recipient", "orig_recipient", "message_id",
    "subject", "size", "nrcpt", "client", "result", "relay", "delay", "dsn", "code", "reply",
)  # fmt: skip
"""The leading fields of :class:`Event` in order; hot paths build events positionally (a test pins this)."""
_DELIVERY_FAST: Final = re.compile(
    r"to=<([^>]*)>, (?:orig_to=<([^>]*)>, )?relay=([^ ,]*), (?:conn_use=\d+, )?delay=([0-9.]+), "
    r"delays=[0-9./]+, dsn=(\d\.\d{1,3}\.\d{1,3}), status=([a-z]+) "
)
_DELIVERY: Final = re.compile(
    r"to=<(.*?)>, (?:orig_to=<(.*?)>, )?relay=([^ ,]*), (?:conn_use=\d+, )?delay=([0-9.]+), "
    r"delays=[0-9./]+, dsn=(\d\.\d{1,3}\.\d{1,3}), status=([a-z]+) "
)
"""Everything of a delivery line up to the status word; the reply follows in parentheses.

Each ``*_FAST`` pattern assumes addresses without ``>`` (cheap, no backtracking); the plain one
behind it accepts any address and is tried only when the fast one fails.
"""

_ENVELOPE_FAST: Final = re.compile(r"from=<([^>]*)>, size=(\d+), nrcpt=(\d+)(?: \(queue active\))?$")
_ENVELOPE: Final = re.compile(r"from=<(.*)>, size=(\d+), nrcpt=(\d+)(?: \(.*\))?$")
_TAIL_FAST: Final = re.compile(r"from=<([^>]*)>(?:,? to=<([^>]*)>)?(?:,? proto=|$)")
_TAIL: Final = re.compile(r"from=<(.*?)>(?:,? to=<(.*?)>)?(?:,? proto=|$)")
"""The ``from=<a> to=<b> proto=`` tail of reject and header lines (postscreen writes commas, pickup no proto)."""
_TO_TAIL: Final = re.compile(r"to=<(.*?)>(?:,? proto=|,? helo=<|$)")
"""The tail of a refusal that names a recipient but no sender."""
_MAIL_STAGES: Final = frozenset({"MAIL", "RCPT", "DATA", "END-OF-MESSAGE", "BDAT"})
"""smtpd and postscreen stages of a mail transaction; refusals at any other stage refuse no message."""
_REPLY_CODE: Final = re.compile(r"([245]\d\d)[ -](?:([245]\.\d{1,3}\.\d{1,3}) )?")

_RESULTS: Final = {
    "sent": AttemptResult.SENT,
    "deferred": AttemptResult.DEFERRED,
    "bounced": AttemptResult.BOUNCED,
    "expired": AttemptResult.EXPIRED,
}
_NOTICES: Final = {
    "non-delivery notification": NoticeKind.NON_DELIVERY,
    "delay notification": NoticeKind.DELAY,
    "delivery status notification": NoticeKind.SUCCESS,
}
_PREFIX_LIMIT: Final = 4096
"""Line starts remembered by :meth:`PostfixParser.parse` (about one per program and second)."""
_DELIVERY_AGENTS: Final = ("smtp", "lmtp", "local", "virtual", "pipe", "error", "retry", "discard")


def is_queue_id(text: str) -> bool:
    """True for a short (hex) or long (base-52 with ``z``) Postfix queue id."""
    return 5 <= len(text) <= 20 and text.isalnum() and text.isascii()


def _is_stage(word: str) -> bool:
    """True for an SMTP stage name as smtpd logs it (``CONNECT``, ``EHLO``, ``END-OF-MESSAGE``...)."""
    return 0 < len(word) <= 16 and word.isascii() and word.isupper() and word.replace("-", "").isalpha()


def _code(reply: str) -> int | None:
    """The SMTP reply code at the start of ``reply`` or after ``host X said: `` (cheap: no regex)."""
    if reply[:1] == "h":
        said = reply.find(" said: ")
        if said < 0:
            return None
        reply = reply[said + 7 : said + 11]
    if reply[:1] in "245" and reply[1:3].isdigit() and reply[3:4] in (" ", "-", ""):
        return int(reply[:3])
    return None


def reply_code(text: str) -> tuple[int | None, str | None]:
    """SMTP reply code and enhanced status code at the start of ``text`` or after ``said: ``."""
    said = text.find(" said: ")
    start = said + 7 if said >= 0 else 0
    match = _REPLY_CODE.match(text, start)
    if match is None:
        return None, None
    return int(match.group(1)), match.group(2)


class PostfixParser:
    """Parses Postfix lines; see the module docstring for what each line becomes.

    Args:
        tz: zone of year-less syslog stamps (default: the local zone).
        reference_time: epoch seconds near the end of the log, for the year.
        default_host: host used when the envelope carries none.
    """

    mta = "postfix"

    def __init__(
        self,
        *,
        tz: tzinfo | None = None,
        reference_time: float | None = None,
        default_host: str = "",
    ) -> None:
        self.stats = ParseStats()
        self._envelope = EnvelopeParser(tz=tz, reference_time=reference_time, default_host=default_host)
        self._stamps: dict[str, float] = {}
        """Epochs of traditional stamps seen, keyed by the 15-character stamp."""
        self._prefixes: dict[str, tuple[float, str, Callable[[float, str, str, str, str], Event | None]]] = {}
        """(time, host, handler) per line start up to the pid's ``[`` (``Nov 27 09:00:01 mx1 postfix/smtp``)."""
        self._iso_stamps: dict[str, float] = {}
        """Epochs of RFC 3339 stamps without their fraction, keyed by seconds + zone."""
        self._programs: dict[str, Callable[[float, str, str, str, str], Event | None]] = {}
        """Handler per syslog program name seen (``postfix/smtp``, ``CRON``...), including :meth:`_foreign`."""
        handlers: dict[str, Callable[[float, str, str, str, str], Event | None]] = {
            "qmgr": self._qmgr,
            "cleanup": self._cleanup,
            "smtpd": self._smtpd,
            "postscreen": self._smtpd,
            "pickup": self._pickup,
            "bounce": self._bounce,
            "postsuper": self._postsuper,
        }
        for agent in _DELIVERY_AGENTS:
            handlers[agent] = self._delivery
        self._handlers = handlers
        self._foreign_handler = self._foreign

    # -- entry point -----------------------------------------------------------

    def parse(self, line: str) -> Event | None:
        """The event ``line`` carries, or ``None``; never raises."""
        if line[-1:] == "\r":  # CRLF logs (copied from Windows, some relays) read like LF ones
            line = line.rstrip("\r")
        stats = self.stats
        stats.lines += 1
        time: float | None
        handler: Callable[[float, str, str, str, str], Event | None] | None
        try:
            # Fastest path: "STAMP host prog[" seen before (a traditional stamp and a known program), so
            # time, host and handler come from one lookup. Entries are only made by the fast path below
            # and dropped with the stamps, so a hit yields exactly what that path would compute.
            bracket = line.find("[", 16)
            known = self._prefixes.get(line[:bracket]) if bracket > 0 else None
            if known is not None:
                time, host, handler = known
                colon = line.find(": ", bracket)
                if colon < 0:
                    return self._slow(line)
            else:
                # Fast path: "STAMP host prog[pid]: QID: rest" with a traditional stamp already seen, or an
                # RFC 3339 one, and a known program. Everything else goes through _slow, which counts it.
                time = self._stamps.get(line[:15])
                if time is not None:
                    host_at = 16
                elif line[10:11] == "T" and line[4:5] == "-":
                    host_at = line.find(" ") + 1
                    time = self._iso_epoch(line[: host_at - 1]) if host_at > 0 else None
                    if time is None:
                        return self._slow(line)
                else:
                    return self._slow(line)
                host_end = line.find(" ", host_at)
                colon = line.find(": ", host_end + 1)
                if host_end < 0 or colon < 0:
                    return self._slow(line)
                first_bracket = bracket
                bracket = line.find("[", host_end, colon)
                handler = self._programs.get(line[host_end + 1 : bracket if bracket > 0 else colon])
                if handler is None:
                    return self._slow(line)
                host = line[host_at:host_end] or self._envelope.default_host
                if host_at == 16 and bracket == first_bracket and bracket > 0:
                    if len(self._prefixes) >= _PREFIX_LIMIT:
                        self._prefixes.clear()
                    self._prefixes[line[:bracket]] = (time, host, handler)
            qid_end = line.find(": ", colon + 2)
            if qid_end < 0:  # connect/disconnect, statistics... or another program's line
                if handler is self._foreign_handler:
                    stats.foreign += 1
                else:
                    stats.ignored += 1
                return None
            event = handler(time, host, line[colon + 2 : qid_end], line[qid_end + 2 :], line)
        except Exception:  # a parser must survive any input; the line is reported as malformed
            stats.note_malformed(line)
            return None
        if event is not None:
            stats.events += 1
        return event

    def _iso_epoch(self, stamp: str) -> float | None:
        """Epoch of an RFC 3339 stamp: whole seconds memoised per (second, zone), the fraction added."""
        if stamp[-1:] == "Z":
            zone_at = len(stamp) - 1
        elif len(stamp) >= 25 and stamp[-6] in "+-" and stamp[-3] == ":":
            zone_at = len(stamp) - 6
        else:
            zone_at = len(stamp)
        key = stamp[:19] + stamp[zone_at:]
        base = self._iso_stamps.get(key)
        if base is None:
            base = self._envelope.iso_epoch(key)
            if base is None:
                return None
            if len(self._iso_stamps) > 4096:
                self._iso_stamps.clear()
            self._iso_stamps[key] = base
        if zone_at == 19:
            return base
        fraction = stamp[19:zone_at]
        if fraction[0] != "." or not fraction[1:].isdigit():
            return self._envelope.iso_epoch(stamp)  # "," decimals and oddities: the general reader
        return base + float(fraction)

    def _slow(self, line: str) -> Event | None:
        """Lines the fast path does not take: other envelopes, unseen stamps and programs, other programs."""
        stats = self.stats
        env = self._envelope.split(line)
        if env is None:
            if line.strip():
                stats.note_malformed(line)
            else:
                stats.ignored += 1
            return None
        time, host, program, _, message = env
        if line[15:16] == " " and line[:15] == self._envelope_stamp(line):
            if len(self._stamps) > 4096:
                self._stamps.clear()
                self._prefixes.clear()  # a prefix hit must imply its stamp is still known
            self._stamps[line[:15]] = time
        handler = self._programs.get(program)
        if handler is None:
            handler = self._program_handler(program)
            if len(self._programs) < 1024:
                self._programs[program] = handler
        qid, sep, rest = message.partition(": ")
        if not sep:
            handler(time, host, "", "", "")  # counts the line: ignored, or foreign
            return None
        event = handler(time, host, qid, rest, line)
        if event is not None:
            stats.events += 1
        return event

    def _envelope_stamp(self, line: str) -> str | None:
        """``line[:15]`` when it is a valid traditional stamp (so its epoch may be cached), else ``None``."""
        stamp = line[:15]
        return stamp if self._envelope.traditional_epoch(stamp) is not None else None

    def _program_handler(self, program: str) -> Callable[[float, str, str, str, str], Event | None]:
        """The handler for a syslog program name: a daemon's, :meth:`_ignored` or :meth:`_foreign`."""
        slash = program.rfind("/")
        instance = program[:slash]
        if slash < 0 or not (instance == "postfix" or instance.startswith(("postfix/", "postfix-"))):
            return self._foreign_handler
        return self._handlers.get(program[slash + 1 :], self._ignored)

    def _foreign(self, time: float, host: str, qid: str, rest: str, line: str) -> None:
        """Lines of other programs (cron, sshd, dovecot...)."""
        self.stats.foreign += 1

    def _ignored(self, time: float, host: str, qid: str, rest: str, line: str) -> None:
        """Postfix daemons that log nothing the model needs (master, anvil, scache, tlsmgr...)."""
        self.stats.ignored += 1

    # -- daemons ---------------------------------------------------------------

    def _delivery(self, time: float, host: str, qid: str, rest: str, line: str) -> Event | None:
        if rest.startswith("to=<") and qid.isascii() and qid.isalnum():
            return self._attempt(time, host, qid, rest, line)
        self.stats.ignored += 1
        return None

    def _attempt(self, time: float, host: str, qid: str, rest: str, line: str) -> Event | None:
        match = _DELIVERY_FAST.match(rest) or _DELIVERY.match(rest)
        if match is None:
            self.stats.note_malformed(line)
            return None
        recipient, orig, relay, delay, dsn, status = match.groups()
        result = _RESULTS.get(status)
        if result is None:  # address verification probes: deliverable/undeliverable
            self.stats.ignored += 1
            return None
        reply = rest[match.end() :]
        if reply[:1] == "(" and reply[-1:] == ")":
            reply = reply[1:-1]
        # Positional (see EVENT_FIELDS): twice as fast as keywords, and this runs for every attempt.
        return Event(
            _ATTEMPT, time, host, qid, line, "postfix", None, recipient, orig, None, None, None, None, None,
            result, None if relay == "none" else relay, float(delay), dsn, _code(reply), reply or None,
        )  # fmt: skip

    def _qmgr(self, time: float, host: str, qid: str, rest: str, line: str) -> Event | None:
        if not (qid.isascii() and qid.isalnum()):
            self.stats.ignored += 1
            return None
        if rest.startswith("from=<"):
            if rest.endswith(", status=expired, returned to sender"):
                sender = rest[6 : -len(", status=expired, returned to sender")]
                if sender.endswith(">"):
                    return Event(EventKind.EXPIRED, time, host, qid, line, "postfix", sender=sender[:-1])
                self.stats.note_malformed(line)
                return None
            match = _ENVELOPE_FAST.match(rest) or _ENVELOPE.match(rest)
            if match is None:
                self.stats.note_malformed(line)
                return None
            sender, size, nrcpt = match.groups()
            return Event(
                _ENVELOPE_KIND, time, host, qid, line, "postfix", sender, None, None, None, None, int(size), int(nrcpt)
            )
        if rest == "removed":
            return Event(_REMOVED, time, host, qid, line, "postfix")
        if rest.startswith("to=<"):
            return self._attempt(time, host, qid, rest, line)
        self.stats.ignored += 1
        return None

    def _postsuper(self, time: float, host: str, qid: str, rest: str, line: str) -> Event | None:
        if rest == "removed" and is_queue_id(qid):
            return Event(EventKind.DELETED, time, host, qid, line, "postfix")  # postsuper -d: an administrator
        self.stats.ignored += 1
        return None

    def _cleanup(self, time: float, host: str, qid: str, rest: str, line: str) -> Event | None:
        if not (qid.isascii() and qid.isalnum()):
            self.stats.ignored += 1
            return None
        if rest.startswith("message-id="):
            value = rest[11:]
            if value.startswith("<") and value.endswith(">"):
                value = value[1:-1]
            return Event(_MESSAGE_ID, time, host, qid, line, "postfix", None, None, None, value or None)
        action, sep, body = rest.partition(": ")
        if not sep:
            self.stats.ignored += 1
            return None
        if action in ("info", "warning"):
            if not body.startswith("header ") or body[7:15].lower() != "subject:":
                self.stats.ignored += 1
                return None
            fields = self._header(body, False)
            if fields is None:
                self.stats.note_malformed(line)
                return None
            subject, client, sender, _, _ = fields  # the one to=<> named here is not a delivery: left out
            return Event(
                _SUBJECT, time, host, qid, line, "postfix", sender, None, None, None, subject, None, None, client
            )
        if action in ("reject", "discard", "milter-reject"):
            if body.startswith(("header ", "body ")):
                fields = self._header(body, True)
                if fields is None:
                    self.stats.note_malformed(line)
                    return None
                header_subject, client, sender, recipient, text = fields
                return self._rejected(
                    time, host, qid, line, action, text, sender, recipient, client,
                    header_subject if body[7:15].lower() == "subject:" else None,
                )
            return self._smtp_reject(time, host, qid, line, action, body)
        self.stats.ignored += 1
        return None

    @staticmethod
    def _header(body: str, want_text: bool) -> tuple[str, str, str | None, str | None, str] | None:
        """Subject (header text, RFC 2047 words decoded), client, sender, recipient and action text of a header line.

        The action text is ``""`` unless ``want_text`` (info/warning lines, the most common, do not use it).

        Postfix writes ``header Subject: TEXT from CLIENT; from=<a> to=<b> proto=P helo=<h>[: action text]``
        (pickup: ``from local; from=<a> to=<b>``). TEXT is untrusted and may imitate the tail, so the tail
        is the LAST ``; from=<`` and the client the last word before it.
        """
        tail_at = body.rfind("; from=<")
        client_at = body.rfind(" from ", 0, tail_at)
        colon = body.find(": ", 0, client_at)
        if tail_at < 0 or client_at < 0 or colon < 0:
            return None
        subject = decode_subject(body[colon + 2 : client_at])
        client = body[client_at + 6 : tail_at]
        match = _TAIL_FAST.match(body, tail_at + 2) or _TAIL.match(body, tail_at + 2)
        sender = recipient = None
        if match is not None:
            sender, recipient = match.groups()
        if not want_text:
            return subject, client, sender, recipient, ""
        helo_at = body.find("helo=<", tail_at)
        helo_end = body.rfind(">: ", helo_at) if helo_at >= 0 else -1
        text = body[helo_end + 3 :] if helo_end >= 0 else ""
        return subject, client, sender, recipient, text

    def _rejected(
        self,
        time: float,
        host: str,
        qid: str,
        line: str,
        action: str,
        text: str,
        sender: str | None,
        recipient: str | None,
        client: str | None,
        subject: str | None = None,
    ) -> Event:
        code, dsn = reply_code(text)
        if dsn is None and text[:1] in "245" and text[1:2] == "." and " " in text:
            dsn = text.partition(" ")[0]  # cleanup writes "5.7.1 text" without a reply code
        reply = text if action != "discard" else f"discarded: {text}"
        return Event(
            EventKind.REJECTED, time, host, qid, line, "postfix",
            sender=sender, recipient=recipient, subject=subject, client=client,
            code=code, dsn=dsn, reply=reply or None,
        )  # fmt: skip

    def _smtp_reject(self, time: float, host: str, qid: str, line: str, action: str, body: str) -> Event | None:
        """``STAGE from CLIENT: REPLY; from=<a> to=<b> proto=P helo=<h>`` (smtpd, postscreen, milters).

        Postfix writes ``from=<>`` and ``to=<>`` only once the client named them: a refused ``MAIL``
        (size, storage) has neither, and the refusals of commands that carry no mail (``CONNECT``,
        ``EHLO``, ``VRFY``, ``ETRN``...) are recognised and ignored, like Exim's.
        """
        stage_end = body.find(" from ")
        if stage_end > 0 and body[:stage_end] not in _MAIL_STAGES and _is_stage(body[:stage_end]):
            self.stats.ignored += 1  # no message was refused, only a command
            return None
        tail_at = body.rfind("; from=<")
        if tail_at < 0:
            return self._reject_without_sender(time, host, qid, line, action, body)
        head = body[:tail_at]
        stage_end = head.find(" from ")
        if stage_end < 0:
            self.stats.note_malformed(line)
            return None
        client_end = head.find(": ", stage_end + 6)
        if client_end < 0:
            self.stats.note_malformed(line)
            return None
        client = head[stage_end + 6 : client_end]
        match = _TAIL_FAST.match(body, tail_at + 2) or _TAIL.match(body, tail_at + 2)
        if match is None:
            self.stats.note_malformed(line)
            return None
        return self._rejected(
            time, host, qid, line, action, head[client_end + 2 :], match.group(1), match.group(2), client
        )

    def _reject_without_sender(
        self, time: float, host: str, qid: str, line: str, action: str, body: str
    ) -> Event | None:
        """A mail-stage refusal whose tail starts at ``to=<``, ``proto=`` or ``helo=<``: no sender named."""
        tail_at = body.rfind("; to=<")
        if tail_at < 0:
            tail_at = body.rfind("; proto=")
        if tail_at < 0:
            tail_at = body.rfind("; helo=<")
        stage_end = body.find(" from ", 0, tail_at) if tail_at > 0 else -1
        client_end = body.find(": ", stage_end + 6, tail_at) if stage_end > 0 else -1
        if client_end < 0:
            self.stats.note_malformed(line)
            return None
        recipient = None
        if body.startswith("to=<", tail_at + 2):
            match = _TO_TAIL.match(body, tail_at + 2)
            if match is None:
                self.stats.note_malformed(line)
                return None
            recipient = match.group(1)
        client = body[stage_end + 6 : client_end]
        return self._rejected(time, host, qid, line, action, body[client_end + 2 : tail_at], None, recipient, client)

    def _smtpd(self, time: float, host: str, qid: str, rest: str, line: str) -> Event | None:
        if not (qid.isascii() and qid.isalnum()):
            self.stats.ignored += 1
            return None
        if rest.startswith("client="):
            client = rest[7:].partition(", ")[0]
            return Event(_QUEUED, time, host, qid, line, "postfix", None, None, None, None, None, None, None, client)
        action, sep, body = rest.partition(": ")
        if sep and action in ("reject", "discard", "milter-reject"):
            return self._smtp_reject(time, host, "" if qid == "NOQUEUE" else qid, line, action, body)
        self.stats.ignored += 1
        return None

    def _pickup(self, time: float, host: str, qid: str, rest: str, line: str) -> Event | None:
        at = rest.find(" from=<")
        if not rest.startswith("uid=") or at < 0 or not rest.endswith(">") or not is_queue_id(qid):
            self.stats.ignored += 1
            return None
        return Event(EventKind.QUEUED, time, host, qid, line, "postfix", sender=rest[at + 7 : -1])

    def _bounce(self, time: float, host: str, qid: str, rest: str, line: str) -> Event | None:
        if not is_queue_id(qid):
            self.stats.ignored += 1
            return None
        owner, _, rest = rest.partition(" ")
        what, sep, new_qid = rest.rpartition(": ")
        kind = _NOTICES.get(what)
        if owner not in ("sender", "postmaster") or kind is None or not sep:
            self.stats.ignored += 1
            return None
        if not is_queue_id(new_qid):
            self.stats.note_malformed(line)
            return None
        return Event(EventKind.NOTICE, time, host, qid, line, "postfix", related_queue_id=new_qid, notice_kind=kind)
