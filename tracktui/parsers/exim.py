"""Exim main log lines -> :class:`~tracktui.model.Event`.

Understood envelopes: Exim's own stamp (``2026-11-27 09:00:01``, optionally
with ``.123`` from ``+subsecond``/``+millisec``, a ``+0100`` offset from
``log_timezone``, and ``[pid]`` from ``+pid``), and Exim lines that went
through syslog or journald (program ``exim``/``exim4``; Exim's own stamp in
the message, if present, is dropped in favour of the envelope's).

One flag per line says what happened; the fields after it are read by
:mod:`tracktui.parsers.exim_fields`, quote-aware (``C="..."`` and ``T="..."``
are remote- or sender-controlled text, so a field inside them is never
mistaken for a real one).

Speed: a line with Exim's plain stamp (``YYYY-MM-DD HH:MM:SS``, no fraction,
zone or pid) whose second was seen before skips the general envelope code;
the hot handlers (``<=``, ``=>``, ``==``, ``**``, ``Completed``) read the
usual layout with one regex each (the general field reader only as a
fallback), memoise relays and reply codes, and build events positionally.

Choices worth knowing:

- ``<=`` is one ENVELOPE event (sender, size, message-id, subject, client).
  Exim logs only the first 100 bytes of the (RFC 2047-decoded) subject, with
  bytes above 126 as ``\\ooo`` escapes unless ``print_topbitchars`` is set;
  a character cut in half at the end is dropped. Encoded-words Exim left
  as they were (an unknown charset, a word over 75 characters,
  ``check_rfc2047_length``) are decoded by :mod:`tracktui.parsers.headers`.
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
- SMTP-time rejections (``rejected RCPT``, ``rejected after DATA``,
  ``rejected by local_scan()``) are REJECTED events with an empty queue id; ``result`` says DEFERRED for
  "temporarily rejected", BOUNCED otherwise.
- The recipient is the address Exim delivered to; when that has no domain
  (local part, pipe, file) the original ``<address>`` is used instead.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Final

from tracktui.model import AttemptResult, Event, EventKind, NoticeKind
from tracktui.parsers.base import ParseStats
from tracktui.parsers.exim_fields import (
    ARRIVAL_RE,
    DELIVERY_RE,
    FAILURE_FIELDS_RE,
    bracket_dsn,
    client,
    duration,
    fields,
    host_parts,
    recipient,
    relay,
    reply_codes,
    split_address,
    split_deferral,
    to_int,
    unescape,
)
from tracktui.parsers.headers import decode_subject
from tracktui.parsers.syslog import EnvelopeParser

__all__ = ["EximParser", "duration", "host_parts", "reply_codes", "unescape"]

_CACHE_LIMIT: Final = 4096
_MEMORY_LIMIT: Final = 20_000
_SUPPRESSED: Final = "delivery suppressed (-N)"
_REMOTE_MARKERS: Final = ("from remote mail server after ", "from remote mailer after ")
_LOCAL_SCAN: Final = " rejected by local_scan()"
"""After-DATA refusal by the compiled-in ``local_scan()`` (receive.c writes ``F=`` with or without ``<>``)."""
_EXPIRY_TEXTS: Final = ("retry timeout exceeded", "have been failing for a long time")
_NOT_PLAIN_BODY: Final = ("+", "-", "[", "")
"""What may follow a plain stamp's space when the line needs :meth:`EximParser.own_stamp`: a zone, a pid, nothing."""
_ATTEMPT: Final = EventKind.ATTEMPT
_ENVELOPE: Final = EventKind.ENVELOPE
_REMOVED: Final = EventKind.REMOVED
_SENT: Final = AttemptResult.SENT
_DEFERRED: Final = AttemptResult.DEFERRED
_BOUNCED: Final = AttemptResult.BOUNCED
_EXPIRED: Final = AttemptResult.EXPIRED


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
        """Epoch per stamp seen: ``YYYY-MM-DD HH:MM:SS`` plus its ``+hhmm`` zone when it has one."""
        self._hosts: dict[str, str | None] = {}
        """Relay per ``H=`` value of delivery lines (a busy server talks to the same few hosts)."""
        self._clients: dict[str, str | None] = {}
        """Client per ``H=`` value of arrival lines (the same submission clients come back)."""
        self._codes: dict[str, tuple[int | None, str | None]] = {}
        """Reply and enhanced code per reply head (``250 2.0.0 Ok``...)."""
        self._last_defer: OrderedDict[tuple[str, str], tuple[int | None, str | None, str | None, str | None]] = (
            OrderedDict()
        )
        """(queue id, recipient) -> code, dsn, relay, reply of its last deferral (bounded)."""

    # -- public ---------------------------------------------------------------

    def parse(self, line: str) -> Event | None:
        """The event ``line`` carries, or ``None``; never raises."""
        if line[-1:] == "\r":  # CRLF logs (copied from Windows, some relays) read like LF ones
            line = line.rstrip("\r")
        stats = self.stats
        stats.lines += 1
        try:
            # Fast path: a plain stamp whose second is known (keys without a zone are 19 characters long).
            epoch = self._stamp_cache.get(line[:19])
            if epoch is not None and line[19:20] == " " and line[20:21] not in _NOT_PLAIN_BODY:
                event = self._body(line, epoch, self.default_host, line[20:])
            else:
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
        if body[6:7] == "-" and len(body) > 17:
            if body[13] == "-" and body[16] == " ":
                queue_id, rest = body[:16], body[17:]
            elif len(body) > 24 and body[18] == "-" and body[23] == " ":
                queue_id, rest = body[:23], body[24:]
            if queue_id and not (queue_id.isascii() and queue_id.replace("-", "").isalnum()):
                queue_id, rest = "", body
        if queue_id:
            flag = rest[:3]
            if flag == "=> " or flag == "-> " or flag == ">> " or flag == "*> ":
                return self._delivered(line, epoch, host, queue_id, rest, flag == "*> ")
            if flag == "<= ":
                return self._arrival(line, epoch, host, queue_id, rest)
            if flag == "== ":
                return self._failed(line, epoch, host, queue_id, rest[3:], _DEFERRED)
            if flag == "** ":
                return self._failed(line, epoch, host, queue_id, rest[3:], _BOUNCED)
            if rest.startswith("Completed"):
                return Event(_REMOVED, epoch, host, queue_id, line, "exim")
            if rest.startswith("removed by "):  # exim -Mrm: an administrator deleted it
                return Event(EventKind.DELETED, epoch, host, queue_id, line, "exim")
        if " rejected " in rest and (rest.startswith(("H=", "U=", "F=")) or " H=" in rest[:200]):
            return self._rejected(line, epoch, host, rest)
        self.stats.ignored += 1
        return None

    def _arrival(self, line: str, epoch: float, host: str, queue_id: str, rest: str) -> Event:
        match = ARRIVAL_RE.match(rest, 3)
        if match is not None:
            sender, origin, host_value, size, message_id, subject = match.groups()
        else:
            sender, _, tail = rest[3:].partition(" ")
            found = fields(tail)
            origin, host_value, size = found.get("R"), found.get("H"), found.get("S")
            message_id = found.get("id")
            if message_id is not None and message_id.startswith('"'):
                message_id = unescape(message_id)
            subject = found.get("T")
            if subject is not None:
                subject = unescape(subject)
        if subject is not None and "=?" in subject:
            subject = decode_subject(subject)  # a word Exim could not or would not decode
        from_client = None
        if host_value:
            clients = self._clients
            from_client = clients.get(host_value)
            if from_client is None:
                from_client = client(host_value)
                if len(clients) >= _CACHE_LIMIT:
                    clients.clear()
                clients[host_value] = from_client
        notice_kind = None
        if sender == "<>":
            sender = ""
            if origin:
                text_subject = subject or ""
                delayed = text_subject.startswith("Warning: message") and " delayed " in text_subject
                notice_kind = NoticeKind.DELAY if delayed else NoticeKind.NON_DELIVERY
            else:
                origin = None
        else:
            origin = None
        # Positional, in the order of tracktui.parsers.postfix.EVENT_FIELDS (a test pins that order).
        return Event(
            _ENVELOPE, epoch, host, queue_id, line, "exim", sender, None, None, message_id, subject,
            to_int(size), None, from_client, None, None, None, None, None, None,
            origin, notice_kind,
        )  # fmt: skip

    def _delivered(self, line: str, epoch: float, host: str, queue_id: str, rest: str, suppressed: bool) -> Event:
        match = DELIVERY_RE.match(rest, 3)
        if match is not None:
            rcpt, host_value, reply, queued_for, delivery_time = match.groups()
            orig_rcpt = None
        else:
            address, orig, tail = split_address(rest[3:])
            rcpt, orig_rcpt = recipient(address, orig)
            found = fields(tail)
            host_value, reply = found.get("H"), found.get("C")
            if reply is not None:
                reply = unescape(reply)
            queued_for, delivery_time = found.get("QT"), found.get("DT")
        if self._last_defer:
            self._last_defer.pop((queue_id, rcpt), None)
        hosts = self._hosts
        next_hop = hosts.get(host_value) if host_value else None
        if next_hop is None and host_value:
            next_hop = relay(host_value)
            if len(hosts) >= _CACHE_LIMIT:
                hosts.clear()
            hosts[host_value] = next_hop
        delay = queued_for or delivery_time
        code = dsn = None
        if reply is not None:
            code, dsn = self._reply_codes(reply)
        elif suppressed:
            reply = _SUPPRESSED
        return Event(
            _ATTEMPT, epoch, host, queue_id, line, "exim", None, rcpt, orig_rcpt, None, None, None, None, None,
            _SENT, next_hop, duration(delay) if delay else None, dsn, code, reply,
        )  # fmt: skip

    def _failed(
        self, line: str, epoch: float, host: str, queue_id: str, text: str, result: AttemptResult
    ) -> Event | None:
        if result is _DEFERRED:
            head, errno_text, fields_text, message = split_deferral(text)
        else:
            head, _, message = text.partition(": ")
            errno_text, fields_text = None, ""
            end = message.rfind(" DT=")
            if end >= 0 and duration(message[end + 4 :]) is not None:
                fields_text, message = message[end:], message[:end]
        address, orig, tail = split_address(head)
        rcpt, orig_rcpt = recipient(address, orig)
        memory_key = (queue_id, rcpt)
        # "retry time not reached": no attempt was made. "routing defer" means this address failed
        # before; "for any host" may be the first line of a message to a host known to be down, so
        # that one is kept unless this parser already saw a real attempt for the recipient.
        if (
            result is _DEFERRED
            and message.startswith("retry time not reached")
            and (" routing" in head or memory_key in self._last_defer)
        ):
            self.stats.ignored += 1
            return None
        text_fields = " " + tail + fields_text
        match = FAILURE_FIELDS_RE.match(text_fields)
        if match is not None:
            host_value, _, queued_for, delivery_time = match.groups()
        else:
            found = fields(text_fields[1:])
            host_value, queued_for, delivery_time = found.get("H"), found.get("QT"), found.get("DT")
        next_hop = relay(host_value)
        delay = queued_for or delivery_time
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
            next_hop = next_hop or relay(host_text)
        code, dsn = self._reply_codes(remote)
        if dsn is None:
            dsn = bracket_dsn(message)
        reply = f"{errno_text}: {message}" if errno_text and message else message or errno_text or None
        if result is _BOUNCED and (code is None or code < 500):
            lowered = message.lower()
            if any(text_ in lowered for text_ in _EXPIRY_TEXTS):
                result = _EXPIRED
        event = Event(
            _ATTEMPT, epoch, host, queue_id, line, "exim", None, rcpt, orig_rcpt, None, None, None, None, None,
            result, next_hop, duration(delay) if delay else None, dsn, code, reply,
        )  # fmt: skip
        self._remember(memory_key, event)
        return event

    def _reply_codes(self, reply: str) -> tuple[int | None, str | None]:
        """:func:`reply_codes`, memoised by the reply's first 14 characters (all it reads)."""
        head = reply[:14]
        codes = self._codes.get(head)
        if codes is None:
            codes = reply_codes(head)
            if len(self._codes) >= _CACHE_LIMIT:
                self._codes.clear()
            self._codes[head] = codes
        return codes

    def _remember(self, key: tuple[str, str], event: Event) -> None:
        """Keep the last deferral per recipient; give an expiry without codes its last reason."""
        memory = self._last_defer
        if event.result is _DEFERRED:
            memory[key] = (event.code, event.dsn, event.relay, event.reply)
            memory.move_to_end(key)
            if len(memory) > _MEMORY_LIMIT:
                memory.popitem(last=False)
            return
        previous = memory.pop(key, None)
        if event.result is _EXPIRED and previous is not None and event.code is None:
            code, dsn, last_relay, reply = previous
            event.code, event.dsn = code, event.dsn or dsn
            event.relay = event.relay or last_relay
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
        rejected_rcpt = None
        if at >= 0:
            after = text[at + 15 :]
            if after.startswith("<"):
                close = after.find(">")
                if close < 0:
                    self.stats.note_malformed(line)
                    return None
                rejected_rcpt = after[1:close]
                reason = after[close + 1 :]
            else:
                rejected_rcpt, _, reason = after.partition(":")
                reason = ":" + reason
        else:
            at = text.find(" rejected after DATA", 0, limit + 1)
            verb = 20
            if at < 0:
                at = text.find(_LOCAL_SCAN, 0, limit + 1)
                verb = len(_LOCAL_SCAN)
            if at < 0:
                self.stats.ignored += 1
                return None
            reason = text[at + verb :]
        head = text[:at]
        temporary = head.endswith(" temporarily")
        if temporary:
            head = head[:-12]
        reason = reason[2:] if reason.startswith(": ") else reason.lstrip(": ")
        found = fields(head)
        sender = found.get("F")
        if sender is not None and sender.startswith("<") and sender.endswith(">"):
            sender = sender[1:-1]
        code, dsn = reply_codes(reason)
        return Event(
            EventKind.REJECTED, epoch, host, "", line, "exim", sender, rejected_rcpt, None, None, None, None, None,
            client(found.get("H")), _DEFERRED if temporary else _BOUNCED, None, None, dsn, code, reason or None,
        )  # fmt: skip
