"""Exim main log lines -> :class:`~tracktui.model.Event`.

Understood envelopes: Exim's own stamp (``2026-11-27 09:00:01``, optionally
with ``.123`` from ``+subsecond``/``+millisec``, a ``+0100`` offset from
``log_timezone``, and ``[pid]`` from ``+pid``), and Exim lines that went
through syslog or journald (program ``exim``/``exim4``; Exim's own stamp in
the message, if present, is dropped in favour of the envelope's).

One flag per line says what happened; the fields after it are read with one
quote-aware regex (``C="..."`` and ``T="..."`` are remote- or sender-
controlled text, so a field inside them is never mistaken for a real one).

Choices worth knowing:

- ``<=`` is one ENVELOPE event (sender, size, message-id, subject, client).
  Exim logs only the first 100 bytes of the (RFC 2047-decoded) subject, with
  bytes above 126 as ``\\ooo`` escapes unless ``print_topbitchars`` is set;
  a character cut in half at the end is dropped.
  ``<= <> R=id`` is a notice about message ``id``: ``related_queue_id`` and
  ``notice_kind`` are set (DELAY when the subject is Exim's "Warning: message
  ... delayed", otherwise NON_DELIVERY).
- ``=>``, ``->``, ``>>`` are SENT attempts. ``*>`` (delivery suppressed by
  ``-N``) is also SENT, with the reply "delivery suppressed (-N)": like
  Postfix's ``discard``, the MTA considers the recipient done.
- ``== ... retry time not reached`` means no attempt was made; recording one
  would replace the real reason of the last attempt. ``routing defer`` ones
  (the address failed before) are ignored; ``... for any host`` ones are
  ignored once this parser has seen a real attempt for that recipient, and
  kept otherwise (they can be the only line of a message to a dead host).
- ``**`` with "retry timeout exceeded" (or "have been failing for a long
  time") and no 5xx reply is EXPIRED, otherwise BOUNCED. Exim writes no
  reason on that line, so the parser keeps each recipient's last deferral
  (bounded memory, one source) and gives the EXPIRED attempt its code, dsn,
  relay and "(last error: ...)".
- Exim puts ``DT=`` before the message on ``==`` lines but after it on ``**``
  lines; both are read as fields, never left in the reply.
- SMTP-time rejections (``rejected RCPT``, ``rejected after DATA``) are
  REJECTED events with an empty queue id; ``result`` says DEFERRED for
  "temporarily rejected", BOUNCED otherwise.
- The recipient is the address Exim delivered to; when that has no domain
  (local part, pipe, file) the original ``<address>`` is used instead.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from datetime import datetime, timedelta, timezone, tzinfo

from tracktui.model import AttemptResult, Event, EventKind, NoticeKind
from tracktui.parsers.base import ParseStats
from tracktui.parsers.syslog import EnvelopeParser

_FIELDS = re.compile(
    r' ([A-Za-z][A-Za-z0-9]*)=("[^"\\]*(?:\\.[^"\\]*)*(?:"|\\?$)'
    r"|[^\s\"]\S*(?: \([^)\s]*\))?(?: \[[^\]\s]*\](?::\d+)?)?|)"
)
"""``KEY=value`` pairs; quoted values keep their quotes (an unterminated quote runs to the end)."""
_ESCAPE = re.compile(rb"\\([0-7]{1,3}|.)", re.DOTALL)
_SIMPLE_ESCAPES = {b"n": b"\n", b"t": b"\t", b"r": b"\r", b"b": b"\b", b"f": b"\f", b"v": b"\v", b"a": b"\a"}
_CACHE_LIMIT = 4096
_MEMORY_LIMIT = 20_000
_SUPPRESSED = "delivery suppressed (-N)"
_REMOTE_MARKERS = ("from remote mail server after ", "from remote mailer after ")
_EXPIRY_TEXTS = ("retry timeout exceeded", "have been failing for a long time")


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
    total = 0.0
    number = ""
    units = {"w": 604800.0, "d": 86400.0, "h": 3600.0, "m": 60.0, "s": 1.0}
    for char in text:
        if char.isdigit() or char == ".":
            number += char
        elif char in units and number:
            try:
                total += float(number) * units[char]
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


def _relay(value: str | None) -> str | None:
    if not value:
        return None
    name, ip, port = host_parts(value)
    if ip is None:
        return name
    text = f"{name or ip}[{ip}]"
    return f"{text}:{port}" if port else text


def _client(value: str | None) -> str | None:
    if not value:
        return None
    name, ip, _port = host_parts(value)
    if ip is None:
        return name
    return f"{name or 'unknown'}[{ip}]"


def _fields(text: str) -> dict[str, str]:
    """Fields of ``text``; when a key repeats, the first occurrence wins (later ones may be data)."""
    pairs = _FIELDS.findall(" " + text)
    pairs.reverse()
    return dict(pairs)


def _int(value: str | None) -> int | None:
    return int(value) if value is not None and value.isdigit() and len(value) < 19 else None


def _split_address(text: str) -> tuple[str, str | None, str]:
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


def _recipient(address: str, orig: str | None) -> tuple[str, str | None]:
    if orig and "@" not in address:
        return orig, None
    return address, (orig if orig and orig != address else None)


class EximParser:
    """Parser for Exim main log lines (see the module docstring). One instance per source."""

    mta = "exim"

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
        self._stamp_cache: dict[str, float] = {}
        self._last_defer: OrderedDict[tuple[str, str], tuple[int | None, str | None, str | None, str | None]] = (
            OrderedDict()
        )
        """(queue id, recipient) -> code, dsn, relay, reply of its last deferral (bounded)."""

    # -- public ---------------------------------------------------------------

    def parse(self, line: str) -> Event | None:
        """The event ``line`` carries, or ``None``; never raises."""
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

    def own_stamp(self, text: str) -> tuple[float, str] | None:
        """Epoch and remainder of a line starting with Exim's own stamp, or ``None``."""
        if len(text) < 21 or text[4] != "-" or text[10] != " " or text[13] != ":" or text[16] != ":":
            return None
        pos = 19
        fraction = 0.0
        if text[19] == "." or text[19] == ",":
            end = 20
            while end < len(text) and text[end].isdigit():
                end += 1
            if end > 20:
                fraction = float("0." + text[20:end])
            pos = end
        zone = ""
        if text[pos : pos + 2] in (" +", " -") and text[pos + 2 : pos + 6].isdigit() and text[pos + 6 : pos + 7] == " ":
            zone = text[pos + 1 : pos + 6]
            pos += 6
        if text[pos : pos + 1] != " ":
            return None
        pos += 1
        if text[pos : pos + 1] == "[":
            close = text.find("] ", pos)
            if close > 0 and close - pos < 24:
                pos = close + 2
        key = text[:19] + zone
        epoch = self._stamp_cache.get(key)
        if epoch is None:
            epoch = self._stamp_epoch(text[:19], zone)
            if epoch is None:
                return None
        return epoch + fraction, text[pos:]

    # -- envelope -------------------------------------------------------------

    def _stamp_epoch(self, stamp: str, zone: str) -> float | None:
        try:
            if not stamp.isascii():
                return None
            zone_info: tzinfo = self.tz
            if zone:
                sign = -1 if zone[0] == "-" else 1
                zone_info = timezone(sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[3:5])))
            moment = datetime(
                int(stamp[0:4]),
                int(stamp[5:7]),
                int(stamp[8:10]),
                int(stamp[11:13]),
                int(stamp[14:16]),
                int(stamp[17:19]),
                tzinfo=zone_info,
            )
        except (ValueError, OverflowError):
            return None
        if len(self._stamp_cache) >= _CACHE_LIMIT:
            self._stamp_cache.clear()
        epoch = moment.timestamp()
        self._stamp_cache[stamp + zone] = epoch
        return epoch

    def _parse(self, line: str) -> Event | None:
        stats = self.stats
        first = line[:1]
        if first.isdigit() and line[10:11] == " ":
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
        if not envelope.program.startswith("exim"):
            stats.foreign += 1
            return None
        body = envelope.message
        if body.startswith("[") and "\\" in body[:12]:
            # syslog continuation of a long line: "[1\3] first part", "[2\3] ..."
            part, _, rest = body.partition("] ")
            if not part[1:].startswith("1\\"):
                stats.ignored += 1
                return None
            body = rest
        if body[:1].isdigit() and body[10:11] == " ":
            stamped = self.own_stamp(body)
            if stamped is not None:
                body = stamped[1]
        return self._body(line, envelope.time, envelope.host, body)

    # -- message body ---------------------------------------------------------

    def _body(self, line: str, epoch: float, host: str, body: str) -> Event | None:
        queue_id = ""
        rest = body
        if len(body) > 17 and body[6] == "-":
            if body[13] == "-" and body[16] == " ":
                queue_id, rest = body[:16], body[17:]
            elif len(body) > 24 and body[18] == "-" and body[23] == " ":
                queue_id, rest = body[:23], body[24:]
            if queue_id and not (queue_id.isascii() and queue_id.replace("-", "").isalnum()):
                queue_id, rest = "", body
        flag = rest[:3]
        if queue_id:
            if flag == "<= ":
                return self._arrival(line, epoch, host, queue_id, rest[3:])
            if flag in ("=> ", "-> ", ">> ", "*> "):
                return self._delivered(line, epoch, host, queue_id, rest[3:], suppressed=flag == "*> ")
            if flag == "== ":
                return self._failed(line, epoch, host, queue_id, rest[3:], AttemptResult.DEFERRED)
            if flag == "** ":
                return self._failed(line, epoch, host, queue_id, rest[3:], AttemptResult.BOUNCED)
            if rest.startswith("Completed"):
                return self._event(EventKind.REMOVED, line, epoch, host, queue_id)
        if " rejected " in rest and (rest.startswith(("H=", "U=")) or " H=" in rest[:200]):
            return self._rejected(line, epoch, host, rest)
        self.stats.ignored += 1
        return None

    def _event(self, kind: EventKind, line: str, epoch: float, host: str, queue_id: str) -> Event:
        return Event(kind, epoch, host, queue_id, line=line, mta="exim")

    def _arrival(self, line: str, epoch: float, host: str, queue_id: str, text: str) -> Event:
        sender, _, tail = text.partition(" ")
        fields = _fields(tail)
        event = self._event(EventKind.ENVELOPE, line, epoch, host, queue_id)
        event.sender = "" if sender == "<>" else sender
        event.size = _int(fields.get("S"))
        message_id = fields.get("id")
        if message_id is not None:
            event.message_id = unescape(message_id) if message_id.startswith('"') else message_id
        subject = fields.get("T")
        if subject is not None:
            event.subject = unescape(subject)
        event.client = _client(fields.get("H"))
        origin = fields.get("R")
        if origin and sender == "<>":
            event.related_queue_id = origin
            text_subject = event.subject or ""
            delayed = text_subject.startswith("Warning: message") and " delayed " in text_subject
            event.notice_kind = NoticeKind.DELAY if delayed else NoticeKind.NON_DELIVERY
        return event

    def _delivered(self, line: str, epoch: float, host: str, queue_id: str, text: str, *, suppressed: bool) -> Event:
        address, orig, tail = _split_address(text)
        fields = _fields(tail)
        event = self._event(EventKind.ATTEMPT, line, epoch, host, queue_id)
        event.result = AttemptResult.SENT
        event.recipient, event.orig_recipient = _recipient(address, orig)
        if self._last_defer:
            self._last_defer.pop((queue_id, event.recipient), None)
        event.relay = _relay(fields.get("H"))
        event.delay = self._delay(fields)
        confirmation = fields.get("C")
        if confirmation is not None:
            reply = unescape(confirmation)
            event.reply = reply
            event.code, event.dsn = reply_codes(reply)
        elif suppressed:
            event.reply = _SUPPRESSED
        return event

    def _failed(
        self, line: str, epoch: float, host: str, queue_id: str, text: str, result: AttemptResult
    ) -> Event | None:
        if result is AttemptResult.DEFERRED:
            head, errno_text, fields_text, message = _split_deferral(text)
        else:
            head, _, message = text.partition(": ")
            errno_text, fields_text = None, ""
            end = message.rfind(" DT=")
            if end >= 0 and duration(message[end + 4 :]) is not None:
                fields_text, message = message[end:], message[:end]
        address, orig, tail = _split_address(head)
        recipient, orig_recipient = _recipient(address, orig)
        memory_key = (queue_id, recipient)
        # "retry time not reached": no attempt was made. "routing defer" means this address failed
        # before; "for any host" may be the first line of a message to a host known to be down, so
        # that one is kept unless this parser already saw a real attempt for the recipient.
        if (
            result is AttemptResult.DEFERRED
            and message.startswith("retry time not reached")
            and (" routing" in head or memory_key in self._last_defer)
        ):
            self.stats.ignored += 1
            return None
        fields = _fields(tail + fields_text)
        event = self._event(EventKind.ATTEMPT, line, epoch, host, queue_id)
        event.recipient, event.orig_recipient = recipient, orig_recipient
        event.relay = _relay(fields.get("H"))
        event.delay = self._delay(fields)
        remote = message
        for marker in _REMOTE_MARKERS:
            at = message.find(marker)
            if at >= 0:
                colon = message.find(": ", at + len(marker))
                remote = message[colon + 2 :] if colon >= 0 else ""
                break
        if remote.startswith("host ") and "]: " in remote[:300]:
            # older Exim: "...: host mx.example [1.2.3.4]: 550 ..."
            host_text, _, remote = remote[5:].partition(": ")
            event.relay = event.relay or _relay(host_text)
        event.code, event.dsn = reply_codes(remote)
        if event.dsn is None:
            event.dsn = _bracket_dsn(message)
        if errno_text and message:
            event.reply = f"{errno_text}: {message}"
        else:
            event.reply = message or errno_text or None
        if result is AttemptResult.BOUNCED and (event.code is None or event.code < 500):
            lowered = message.lower()
            if any(text_ in lowered for text_ in _EXPIRY_TEXTS):
                result = AttemptResult.EXPIRED
        event.result = result
        self._remember(memory_key, event)
        return event

    def _remember(self, key: tuple[str, str], event: Event) -> None:
        """Keep the last deferral per recipient; give an expiry without codes its last reason."""
        memory = self._last_defer
        if event.result is AttemptResult.DEFERRED:
            memory[key] = (event.code, event.dsn, event.relay, event.reply)
            memory.move_to_end(key)
            if len(memory) > _MEMORY_LIMIT:
                memory.popitem(last=False)
            return
        previous = memory.pop(key, None)
        if event.result is AttemptResult.EXPIRED and previous is not None and event.code is None:
            code, dsn, relay, reply = previous
            event.code, event.dsn = code, event.dsn or dsn
            event.relay = event.relay or relay
            if reply:
                event.reply = f"{event.reply} (last error: {reply})"

    def _rejected(self, line: str, epoch: float, host: str, text: str) -> Event | None:
        # The verb must come before the first ": ": after it is reason text, which a remote host
        # or a client controls ("H=mx [ip]: SMTP error ...: 550 rejected RCPT <x>" is no rejection of ours).
        reason_at = text.find(": ")
        limit = reason_at if reason_at >= 0 else len(text)
        at = text.find(" rejected RCPT ", 0, limit + 1)
        if at >= 0 and text.find(">", at) > limit >= 0 and text[at + 15 : at + 16] == "<":
            at = -1  # "<" opened before the reason but closes after it: not a rejection line
        recipient = None
        if at >= 0:
            after = text[at + 15 :]
            if after.startswith("<"):
                close = after.find(">")
                if close < 0:
                    self.stats.note_malformed(line)
                    return None
                recipient = after[1:close]
                reason = after[close + 1 :]
            else:
                recipient, _, reason = after.partition(":")
                reason = ":" + reason
        else:
            at = text.find(" rejected after DATA", 0, limit + 1)
            if at < 0:
                self.stats.ignored += 1
                return None
            reason = text[at + 20 :]
        head = text[:at]
        temporary = head.endswith(" temporarily")
        if temporary:
            head = head[:-12]
        reason = reason[2:] if reason.startswith(": ") else reason.lstrip(": ")
        fields = _fields(head)
        event = self._event(EventKind.REJECTED, line, epoch, host, "")
        event.recipient = recipient
        sender = fields.get("F")
        if sender is not None:
            event.sender = sender[1:-1] if sender.startswith("<") and sender.endswith(">") else sender
        event.client = _client(fields.get("H"))
        event.reply = reason or None
        event.code, event.dsn = reply_codes(reason)
        event.result = AttemptResult.DEFERRED if temporary else AttemptResult.BOUNCED
        return event

    @staticmethod
    def _delay(fields: dict[str, str]) -> float | None:
        value = fields.get("QT") or fields.get("DT")
        return duration(value) if value else None


def _split_deferral(text: str) -> tuple[str, str | None, str, str]:
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


def _bracket_dsn(message: str) -> str | None:
    """An enhanced code Exim or a remote put in brackets or after the code, e.g. ``(#4.4.1)``."""
    at = message.find("(#")
    if at >= 0:
        token = message[at + 2 : at + 12].partition(")")[0]
        parts = token.split(".")
        if len(parts) == 3 and all(p.isdigit() and p.isascii() and len(p) <= 3 for p in parts) and parts[0] in "245":
            return token
    return None
