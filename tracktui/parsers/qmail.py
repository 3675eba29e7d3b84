"""qmail-send log lines (qmail-log(5)) -> :class:`~tracktui.model.Event`.

Understood envelopes: multilog's ``@4000000063a1b2c3xxxxxxxx `` TAI64N
stamps; the same log after ``tai64nlocal`` (``2003-05-30 12:34:56.123456500
``, local time: read in the parser's zone); a bare unix stamp
(``1054189746.123136 ``, ``accustamp`` and similar); and syslog/journald
lines of program ``qmail``/``qmail-send`` (splogger puts a
``1414437875.123456 `` unix stamp in front of the message; when present it is
used instead of the envelope's time: it is exact UTC, with no year or zone to
guess). indimail appends its queue's name (`` queue1``) to most lines; it is
dropped. A line ends with it only after a field qmail writes without spaces
(report, address, uid, queue id), so it cannot be mistaken for text.

TAI64N: the first 16 hex digits are the TAI64 label ``2**62 + seconds``,
the last 8 the nanoseconds. Like daemontools' ``tai64nlocal``, the label is
read as ``2**62 + 10 + unix time`` (the fixed 10 s TAI-UTC offset of 1970;
leap seconds are not applied), so ``epoch = label - 2**62 - 10``.

Lines and events:

- ``new msg N`` -> QUEUED; ``info msg N: bytes B from <s> qp Q uid U`` -> ENVELOPE;
  ``end msg N`` -> REMOVED.
- ``starting delivery D: msg N to remote|local r@x`` -> STARTED (``delivery_no=D``).
- ``delivery D: success|deferral|failure: report`` -> ATTEMPT with an empty
  queue id and ``delivery_no=D``: the correlator maps D back to the message
  and recipient of the STARTED event. The report is decoded (``_`` -> space,
  ``/`` -> line break, shown as a space). A failure saying "this message has
  been in the queue too long" is EXPIRED.
- ``bounce msg N qp Q`` -> NOTICE with ``queue_id=N`` (the original
  message) and no ``related_queue_id`` yet. The bounce qmail-send injects is
  queued by a qmail-queue process whose pid is Q, so the next
  ``info msg M: ... from <> qp Q`` is the bounce itself: this parser keeps a
  small qp -> N map and sets ``related_queue_id=N`` and
  ``notice_kind=NON_DELIVERY`` on that ENVELOPE event.
- ``status:``, ``alert:``, ``warning:``, ``triple bounce`` ... -> ignored.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime, tzinfo
from typing import Final

from tracktui.model import AttemptResult, Event, EventKind, NoticeKind
from tracktui.parsers.base import ParseStats
from tracktui.parsers.syslog import EnvelopeParser

TAI64_EPOCH = (1 << 62) + 10
"""TAI64 label of the Unix epoch as multilog writes it."""
_QP_LIMIT: Final = 1024
_STAMP_LIMIT: Final = 4096
_QUEUE_NAMES: Final = frozenset({"queue", "slowq", "nqueue"})
"""indimail queue names besides ``queueN``, as its qmail-send/slowq-send append them."""
_QUEUE_NAME_ENDS: Final = frozenset("0123456789eq")
"""Last characters of those names: the cheap test before looking for one."""
_EXPIRED_TEXT: Final = "this message has been in the queue too long"
_RESULTS: Final = {
    "success": AttemptResult.SENT,
    "deferral": AttemptResult.DEFERRED,
    "failure": AttemptResult.BOUNCED,
}


def tai64n_epoch(label: str) -> float | None:
    """UTC epoch of a ``@`` + 24 hex digit TAI64N label (the ``@`` is optional)."""
    if label.startswith("@"):
        label = label[1:]
    if len(label) != 24 or not label.isascii():
        return None
    try:
        seconds = int(label[:16], 16)
        nanos = int(label[16:], 16)
    except ValueError:
        return None
    if nanos >= 1_000_000_000:
        return None
    return seconds - TAI64_EPOCH + nanos / 1e9


def decode_report(report: str) -> str:
    """Readable text of a qmail-send report: ``_`` is a space, ``/`` ends a line (lines joined with spaces)."""
    return " ".join(part.strip() for part in report.replace("_", " ").split("/") if part.strip())


def unix_stamp(text: str) -> tuple[float, str] | None:
    """Epoch and rest of ``1054189746.123136 rest`` (splogger, ``accustamp``), or ``None``."""
    stamp, sep, rest = text.partition(" ")
    seconds = stamp.partition(".")[0]
    if not sep or not 9 <= len(seconds) <= 11 or len(stamp) > 24 or not stamp.isascii():
        return None
    if not stamp.replace(".", "", 1).isdigit():
        return None
    return float(stamp), rest


def _without_queue_name(body: str) -> str:
    """``body`` without indimail's trailing `` queue1`` (the queue's name, appended to most lines)."""
    space = body.rfind(" ")
    word = body[space + 1 :]
    if space > 0 and ((word.startswith("queue") and word[5:].isdigit()) or word in _QUEUE_NAMES):
        return body[:space]
    return body


def _small_number(text: str) -> bool:
    return 0 < len(text) <= 3 and text.isdigit() and text.isascii()


def _is_ip(text: str) -> bool:
    """True for a dotted IPv4 address or an IPv6 literal as qmail-remote prints them."""
    if not text or not text.isascii():
        return False
    if text.replace(".", "").isdigit():
        return text.count(".") == 3
    return ":" in text and all(c in "0123456789abcdefABCDEF:." for c in text)


def _dsn_after(text: str, at: int) -> str | None:
    token = text[at : at + 12].partition(" ")[0].rstrip(").,;")
    parts = token.split(".")
    if len(parts) == 3 and parts[0] in ("2", "4", "5") and all(_small_number(p) for p in parts):
        return token
    return None


def report_fields(text: str) -> tuple[str | None, int | None, str | None]:
    """Relay, SMTP code and enhanced code found in a decoded report."""
    relay = None
    first = text.partition(" ")[0]
    if _is_ip(first):
        relay = first
    elif text.startswith("Connected to "):
        relay = text[13:].partition(" ")[0] or None
    code = None
    dsn = None
    said = text.find("Remote host said: ")
    if said >= 0:
        reply = text[said + 18 :]
        if len(reply) >= 3 and reply[:3].isdigit() and reply[0] in "245" and (len(reply) == 3 or reply[3] in " -"):
            code = int(reply[:3])
            dsn = _dsn_after(reply, 4)
    if dsn is None:
        at = text.find("(#")
        if at >= 0:
            dsn = _dsn_after(text, at + 2)
    return relay, code, dsn


class QmailParser:
    """Parser for qmail-send lines (see the module docstring). One instance per source."""

    mta = "qmail"

    def __init__(
        self,
        *,
        tz: tzinfo | None = None,
        reference_time: float | None = None,
        default_host: str = "",
    ) -> None:
        self.envelope = EnvelopeParser(tz=tz, reference_time=reference_time, default_host=default_host)
        self.tz = self.envelope.tz
        self.default_host = default_host
        self.stats = ParseStats()
        self._stamps: dict[str, float] = {}
        """Epoch per ``tai64nlocal`` second seen (``2003-05-30 12:34:56``)."""
        self._bounces: OrderedDict[str, str] = OrderedDict()
        """qp of a pending bounce injection -> queue id of the message it reports on."""

    def parse(self, line: str) -> Event | None:
        """The event ``line`` carries, or ``None``; never raises."""
        if line[-1:] == "\r":  # CRLF logs (copied from Windows, some relays) read like LF ones
            line = line.rstrip("\r")
        stats = self.stats
        stats.lines += 1
        try:
            event = self._parse(line)
        except Exception:  # a parser must never raise; the line is counted instead
            stats.note_malformed(line)
            return None
        if event is not None:
            stats.events += 1
        return event

    def _parse(self, line: str) -> Event | None:
        stats = self.stats
        if line.startswith("@"):
            epoch = tai64n_epoch(line[:25])
            if epoch is None or line[25:26] != " ":
                stats.note_malformed(line)
                return None
            return self._body(line, epoch, self.default_host, line[26:])
        if line[:1].isdigit() and line[10:11] != "T":  # RFC 3339 syslog envelopes have a "T" there
            stamped = self.own_stamp(line)
            if stamped is None:
                stats.note_malformed(line)
                return None
            return self._body(line, stamped[0], self.default_host, stamped[1])
        envelope = self.envelope.split(line)
        if envelope is None:
            if line.strip():
                stats.note_malformed(line)
            else:
                stats.ignored += 1
            return None
        if not envelope.program.startswith("qmail"):
            stats.foreign += 1
            return None
        body = envelope.message
        epoch = envelope.time
        if body[:1].isdigit():
            unix = unix_stamp(body)
            if unix is not None:  # splogger's own stamp: exact UTC, no year or zone to guess
                epoch, body = unix
        return self._body(line, epoch, envelope.host, body)

    def own_stamp(self, line: str) -> tuple[float, str] | None:
        """Epoch and message of a line stamped by ``tai64nlocal`` (local time) or a bare unix stamp."""
        if line[4:5] == "-" and line[10:11] == " ":
            return self._local_stamp(line)
        return unix_stamp(line)

    def _local_stamp(self, line: str) -> tuple[float, str] | None:
        """``2003-05-30 12:34:56.123456500 message``: ``tai64nlocal`` output, in the parser's zone."""
        if line[13:14] != ":" or line[16:17] != ":" or not line[:19].isascii():
            return None
        end = 19
        if line[19:20] == ".":
            end = 20
            while line[end : end + 1].isdigit():
                end += 1
        if line[end : end + 1] != " ":
            return None
        base = self._stamps.get(line[:19])
        if base is None:
            try:
                moment = datetime(
                    int(line[0:4]), int(line[5:7]), int(line[8:10]),
                    int(line[11:13]), int(line[14:16]), int(line[17:19]), tzinfo=self.tz,
                )  # fmt: skip
            except ValueError:
                return None
            if len(self._stamps) >= _STAMP_LIMIT:
                self._stamps.clear()
            base = self._stamps[line[:19]] = moment.timestamp()
        fraction = float("0." + line[20:end]) if end > 20 else 0.0
        return base + fraction, line[end + 1 :]

    def _body(self, line: str, epoch: float, host: str, body: str) -> Event | None:
        if body[-1:] in _QUEUE_NAME_ENDS:
            body = _without_queue_name(body)
        head = body[:4]
        if head == "deli":
            return self._delivery(line, epoch, host, body)
        if head == "star":
            return self._started(line, epoch, host, body)
        if head == "new ":
            queue_id = body[8:] if body.startswith("new msg ") else ""
            return self._simple(EventKind.QUEUED, line, epoch, host, queue_id)
        if head == "end ":
            queue_id = body[8:] if body.startswith("end msg ") else ""
            return self._simple(EventKind.REMOVED, line, epoch, host, queue_id)
        if head == "info":
            return self._info(line, epoch, host, body)
        if head == "boun":
            return self._bounce(line, epoch, host, body)
        self.stats.ignored += 1
        return None

    def _event(self, kind: EventKind, line: str, epoch: float, host: str, queue_id: str) -> Event:
        return Event(kind, epoch, host, queue_id, line=line, mta="qmail")

    def _simple(self, kind: EventKind, line: str, epoch: float, host: str, queue_id: str) -> Event | None:
        if not queue_id.isdigit() or not queue_id.isascii():
            self.stats.note_malformed(line)
            return None
        return self._event(kind, line, epoch, host, queue_id)

    def _info(self, line: str, epoch: float, host: str, body: str) -> Event | None:
        # info msg N: bytes B from <s> qp Q uid U
        if not body.startswith("info msg "):
            self.stats.ignored += 1
            return None
        queue_id, _, rest = body[9:].partition(": bytes ")
        size_text, _, rest = rest.partition(" from <")
        close = rest.rfind("> qp ")
        if not queue_id.isdigit() or not queue_id.isascii() or not size_text.isdigit() or close < 0:
            self.stats.note_malformed(line)
            return None
        sender = rest[:close]
        qp = rest[close + 5 :].partition(" ")[0]
        event = self._event(EventKind.ENVELOPE, line, epoch, host, queue_id)
        event.sender = sender
        event.size = int(size_text) if len(size_text) < 19 else None
        if sender == "" and qp:
            original = self._bounces.pop(qp, None)
            if original is not None:
                event.related_queue_id = original
                event.notice_kind = NoticeKind.NON_DELIVERY
        return event

    def _bounce(self, line: str, epoch: float, host: str, body: str) -> Event | None:
        # bounce msg N qp Q
        if not body.startswith("bounce msg "):
            self.stats.ignored += 1
            return None
        queue_id, _, qp = body[11:].partition(" qp ")
        if not queue_id.isdigit() or not queue_id.isascii():
            self.stats.note_malformed(line)
            return None
        if qp.isdigit():
            self._bounces[qp] = queue_id
            if len(self._bounces) > _QP_LIMIT:
                self._bounces.popitem(last=False)
        return self._event(EventKind.NOTICE, line, epoch, host, queue_id)

    def _started(self, line: str, epoch: float, host: str, body: str) -> Event | None:
        # starting delivery D: msg N to remote|local r@x
        if not body.startswith("starting delivery "):
            self.stats.ignored += 1
            return None
        number, _, rest = body[18:].partition(": msg ")
        queue_id, _, rest = rest.partition(" to ")
        channel, _, recipient = rest.partition(" ")
        if not number.isdigit() or not queue_id.isdigit() or channel not in ("remote", "local") or not recipient:
            self.stats.note_malformed(line)
            return None
        event = self._event(EventKind.STARTED, line, epoch, host, queue_id)
        event.recipient = recipient
        event.delivery_no = number
        return event

    def _delivery(self, line: str, epoch: float, host: str, body: str) -> Event | None:
        # delivery D: success|deferral|failure: report
        if not body.startswith("delivery "):
            self.stats.ignored += 1
            return None
        number, _, rest = body[9:].partition(": ")
        outcome, _, report = rest.partition(": ")
        result = _RESULTS.get(outcome)
        if not number.isdigit() or result is None:
            self.stats.note_malformed(line)
            return None
        text = decode_report(report)
        event = self._event(EventKind.ATTEMPT, line, epoch, host, "")
        event.delivery_no = number
        event.reply = text or None
        event.relay, event.code, event.dsn = report_fields(text)
        if result is AttemptResult.BOUNCED and _EXPIRED_TEXT in text and (event.code is None or event.code < 500):
            result = AttemptResult.EXPIRED
        event.result = result
        return event
