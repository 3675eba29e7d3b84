"""Stitch parser events into messages, deliveries and attempts.

The correlator is the one place that knows how an MTA's lines relate: a
queue id groups the lines of one message on one host until the MTA logs it
leaving the queue, after which the id may be reused for a new message. The
state of messages still in the queue ("live") is handed to the cache with
every :meth:`Correlator.drain` and given back with :meth:`Correlator.restore`,
so a message whose lines straddle two syncs ends exactly as if read in one.

Keys are derived from content (:func:`stable_key`), never from counters, so
re-reading the same lines produces the same keys and cache writes stay
idempotent.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from hashlib import blake2b as _blake2b
from typing import Final

from tracktui.model import (
    RESULT_TO_STATUS,
    Attempt,
    AttemptResult,
    Delivery,
    Event,
    EventKind,
    Message,
    NoticeKind,
    Status,
)

_KEY_MASK: Final = 0x7FFF_FFFF_FFFF_FFFF
_RECENTLY_CLOSED_LIMIT: Final = 20_000
"""How many closed (host, queue id) -> key entries to remember for late notice links."""
_EMPTY_KEY_HASH: Final = _blake2b(digest_size=8)
"""Never updated: :func:`_key_of_text` hashes into copies of it."""
DEFAULT_STALE_AFTER = 8 * 86400.0
"""A live message silent for this long lost its last lines (longer than any MTA's queue lifetime)."""

_QUEUED: Final = EventKind.QUEUED
_ENVELOPE: Final = EventKind.ENVELOPE
_MESSAGE_ID: Final = EventKind.MESSAGE_ID
_SUBJECT: Final = EventKind.SUBJECT
_ATTEMPT: Final = EventKind.ATTEMPT
_EXPIRED: Final = EventKind.EXPIRED
_REMOVED: Final = EventKind.REMOVED
_REJECTED: Final = EventKind.REJECTED
_NOTICE: Final = EventKind.NOTICE
_STARTED: Final = EventKind.STARTED
_DELETED: Final = EventKind.DELETED
_DEFERRED_STATUS: Final = Status.DEFERRED
_EXPIRED_STATUS: Final = Status.EXPIRED
_DELETED_STATUS: Final = Status.DELETED


def stable_key(*parts: object) -> int:
    """Deterministic positive 63-bit key for ``parts`` (same input, same key, any process)."""
    return _key_of_text("\x1f".join(["" if part is None else str(part) for part in parts]))


def _key_of_text(text: str) -> int:
    """:func:`stable_key` of parts already joined with ``\x1f`` (the hot path skips the generic join).

    Copying an empty 8-byte blake2b is a third cheaper than building one with ``digest_size=8``.
    """
    hasher = _EMPTY_KEY_HASH.copy()
    hasher.update(text.encode("utf-8", "surrogatepass"))
    return int.from_bytes(hasher.digest(), "big") & _KEY_MASK


def rejection_status(
    code: int | None, dsn: str | None, result: AttemptResult | None = None
) -> tuple[AttemptResult, Status]:
    """A refusal at SMTP time: 4xx means the sender will retry, anything else is final.

    A parser that knows better (exim's ``temporarily rejected`` has no code) says so in ``result``.
    """
    if result is not None:
        return result, RESULT_TO_STATUS[result]
    temporary = (code is not None and 400 <= code < 500) or (dsn is not None and dsn.startswith("4"))
    if temporary:
        return AttemptResult.DEFERRED, Status.DEFERRED
    return AttemptResult.BOUNCED, Status.BOUNCED


class Correlator:
    """Turns a stream of events from one source into :class:`Message` objects.

    Args:
        source_id: the cache's id for the source, recorded nowhere here but
            kept for callers that juggle several correlators.
    """

    def __init__(self, source_id: str = "") -> None:
        self.source_id = source_id
        self._live: dict[str, dict[str, Message]] = {}
        """Messages still in the queue, by host then queue id (two lookups, no key tuple per line)."""
        self._touched: dict[int, Message] = {}
        self._closed: OrderedDict[tuple[str, str], int] = OrderedDict()
        self._qmail_started: dict[tuple[str, str], tuple[Message, str]] = {}
        self._orphan_notices: dict[tuple[str, str], tuple[int, NoticeKind | None]] = {}

    # -- state ------------------------------------------------------------------

    @property
    def live_count(self) -> int:
        """Messages still in the queue as far as the logs tell."""
        return sum(len(by_queue_id) for by_queue_id in self._live.values())

    def restore(self, messages: Iterable[Message]) -> None:
        """Take back live messages persisted by an earlier sync."""
        for message in messages:
            if not message.live:
                continue
            self._live_on(message.host)[message.queue_id] = message
            for delivery_no, recipient in message.pending.items():
                self._qmail_started[(message.host, delivery_no)] = (message, recipient)

    def drain(self) -> list[Message]:
        """Messages touched since the last drain, with their not-yet-persisted attempts and lines.

        The returned objects are the correlator's own, handed out without a
        copy for speed: read them before the next :meth:`feed`. From then on
        their attempts and lines count as persisted: the next touch starts
        new lists (counts and ``last`` stay), and closed messages are
        forgotten, so memory stays flat however long the log.
        """
        drained = list(self._touched.values())
        self._touched = {}
        for message in drained:
            message.drained = True
            message.touched = False
        return drained

    def close_stale(self, before: float) -> int:
        """Close live messages last seen before ``before`` (their final lines were never logged)."""
        stale = [message for by_queue_id in self._live.values() for message in by_queue_id.values()
                 if message.last_seen < before]
        for message in stale:
            del self._live[message.host][message.queue_id]
            self._touch(message)
            message.live = False
            self._forget_pending(message)
        return len(stale)

    # -- events -------------------------------------------------------------------

    def feed(self, event: Event) -> None:
        """Apply one event. Unknown combinations are ignored rather than guessed at.

        This runs once per log line that matters, so the common path is
        written flat: one dict lookup, a few attribute writes.
        """
        kind = event.kind
        queue_id = event.queue_id
        if queue_id:
            by_queue_id = self._live.get(event.host)
            message = by_queue_id.get(queue_id) if by_queue_id is not None else None
            if message is None and kind is _REMOVED and (event.host, queue_id) in self._closed:
                return  # Exim's "Completed" after "removed by root": the message is already closed
            if message is None or (kind is _QUEUED and message.line_count):
                message = self._new_message(event, message)
            elif message.drained:
                _fresh_lists(message)
        elif kind is _REJECTED:
            self._standalone_rejection(event)
            return
        elif kind is _ATTEMPT and event.delivery_no is not None:
            started = self._qmail_started.pop((event.host, event.delivery_no), None)
            if started is None:
                return
            message, started_recipient = started
            message.pending.pop(event.delivery_no, None)
            if event.recipient is None:
                event.recipient = started_recipient
            if message.drained:
                _fresh_lists(message)
        else:
            return
        if not message.touched:
            message.touched = True
            self._touched[message.key] = message
        time = event.time
        if time > message.last_seen:
            message.last_seen = time
        line = event.line
        if line:
            message.lines.append(line)
            message.line_count += 1

        if kind is _ATTEMPT:
            recipient = event.recipient
            result = event.result
            if recipient is None or result is None:
                return
            status = RESULT_TO_STATUS[result]
            if status is _DEFERRED_STATUS and message.expired:
                status = _EXPIRED_STATUS
            delivery = message.deliveries.get(recipient)
            if delivery is None:
                # Positional: Delivery(key, recipient, status); see _new_delivery.
                delivery = message.deliveries[recipient] = Delivery(
                    _key_of_text(f"{message.key}\x1f{recipient}"), recipient, status
                )
            # _record, inlined: this runs once per attempt line.
            relay = event.relay
            attempt = Attempt(time, result, relay if relay is not None else event.client, event.delay, event.code,
                              event.dsn, event.reply)
            delivery.attempts.append(attempt)
            delivery.attempt_count += 1
            delivery.last = attempt
            delivery.status = status
            if time >= delivery.time:
                delivery.time = time
            if event.orig_recipient and not delivery.orig_recipient:
                delivery.orig_recipient = event.orig_recipient
        elif kind is _ENVELOPE or kind is _QUEUED:
            self._envelope(message, event)
        elif kind is _MESSAGE_ID:
            if event.message_id:
                message.message_id = event.message_id
        elif kind is _SUBJECT:
            if event.subject is not None:
                message.subject = event.subject
        elif kind is _REMOVED:
            self._close(message)
        elif kind is _DELETED:
            for delivery in message.deliveries.values():
                if delivery.status is _DEFERRED_STATUS:
                    delivery.status = _DELETED_STATUS
                    delivery.time = time
            self._close(message)
        elif kind is _EXPIRED:
            message.expired = True
            for delivery in message.deliveries.values():
                if delivery.status is _DEFERRED_STATUS:
                    delivery.status = _EXPIRED_STATUS
        elif kind is _REJECTED:
            self._rejection(message, event)
        elif kind is _NOTICE:
            self._notice(message, event)
        elif kind is _STARTED and event.delivery_no is not None and event.recipient is not None:
            message.pending[event.delivery_no] = event.recipient
            self._qmail_started[(event.host, event.delivery_no)] = (message, event.recipient)

    # -- helpers ------------------------------------------------------------------

    def _touch(self, message: Message) -> None:
        if message.drained:
            _fresh_lists(message)
        if not message.touched:
            message.touched = True
            self._touched[message.key] = message

    def _live_on(self, host: str) -> dict[str, Message]:
        """The live messages of ``host`` by queue id (created empty on first use)."""
        by_queue_id = self._live.get(host)
        if by_queue_id is None:
            by_queue_id = self._live[host] = {}
        return by_queue_id

    def _new_message(self, event: Event, previous: Message | None) -> Message:
        """Start a message; a queue id seen entering the queue again closes its old, unfinished owner."""
        if previous is not None:
            self._touch(previous)
            self._close(previous)
        host, queue_id, time = event.host, event.queue_id, event.time
        # Positional: Message(key, host, queue_id, first_seen, last_seen, mta), once per message.
        message = Message(_key_of_text(f"{host}\x1f{queue_id}\x1f{time}"), host, queue_id, time, time, event.mta)
        self._live_on(host)[queue_id] = message
        orphan = self._orphan_notices.pop((host, queue_id), None)
        if orphan is not None:
            message.notice_of_key, message.notice_kind = orphan
        return message

    def _close(self, message: Message) -> None:
        message.live = False
        by_queue_id = self._live.get(message.host)
        if by_queue_id is not None and by_queue_id.get(message.queue_id) is message:
            del by_queue_id[message.queue_id]
        if message.pending:  # qmail only
            self._forget_pending(message)
        self._closed[(message.host, message.queue_id)] = message.key
        if len(self._closed) > _RECENTLY_CLOSED_LIMIT:
            self._closed.popitem(last=False)

    def _forget_pending(self, message: Message) -> None:
        for delivery_no in message.pending:
            self._qmail_started.pop((message.host, delivery_no), None)
        message.pending.clear()

    def _key_of(self, host: str, queue_id: str) -> int | None:
        by_queue_id = self._live.get(host)
        live = by_queue_id.get(queue_id) if by_queue_id is not None else None
        if live is not None:
            return live.key
        return self._closed.get((host, queue_id))

    def _envelope(self, message: Message, event: Event) -> None:
        if event.sender is not None:
            message.sender = event.sender
        if event.size is not None:
            message.size = event.size
        if event.nrcpt is not None:
            message.nrcpt = event.nrcpt
        if event.client is not None:
            message.client = event.client
        if event.message_id:
            message.message_id = event.message_id
        if event.subject is not None:
            message.subject = event.subject
        if event.related_queue_id:
            # This message is a notice (exim ``<= <> R=orig``, qmail bounce via qp) about another one.
            message.notice_of_key = self._key_of(event.host, event.related_queue_id)
            message.notice_kind = event.notice_kind or NoticeKind.NON_DELIVERY

    def _notice(self, original: Message, event: Event) -> None:
        """Postfix ``bounce``: ``queue_id`` is the original, ``related_queue_id`` the notice we sent."""
        if not event.related_queue_id:
            return
        by_queue_id = self._live.get(event.host)
        notice = by_queue_id.get(event.related_queue_id) if by_queue_id is not None else None
        if notice is None:
            # Delivered and removed before bounce logged this line (Postfix does that for a quick notice):
            # still in this batch, it can be marked; otherwise a later message with that id may be it.
            closed = self._closed.get((event.host, event.related_queue_id))
            notice = self._touched.get(closed) if closed is not None else None
        if notice is None:
            self._orphan_notices[(event.host, event.related_queue_id)] = (original.key, event.notice_kind)
            return
        self._touch(notice)
        notice.notice_of_key = original.key
        notice.notice_kind = event.notice_kind

    @staticmethod
    def _new_delivery(message: Message, recipient: str, status: Status) -> Delivery:
        delivery = Delivery(_key_of_text(f"{message.key}\x1f{recipient}"), recipient, status)
        message.deliveries[recipient] = delivery
        return delivery

    def _rejection(self, message: Message, event: Event) -> None:
        if event.recipient is None:
            return
        if event.sender is not None and message.sender is None:
            message.sender = event.sender
        if event.subject is not None and message.subject is None:
            message.subject = event.subject  # header_checks REJECT: the only line that names the subject
        result, status = rejection_status(event.code, event.dsn, event.result)
        delivery = message.deliveries.get(event.recipient) or self._new_delivery(message, event.recipient, status)
        _record(delivery, event, result, status)

    def _standalone_rejection(self, event: Event) -> None:
        recipient = event.recipient or ""
        # The line itself is part of the key: two refusals in the same second (other replies, other smtpd
        # instances) are two refusals, while re-reading the same line still lands on the same key.
        key = stable_key(event.host, "", event.time, event.sender, recipient, event.line)
        message = self._touched.get(key)
        if message is None:
            message = Message(
                key=key,
                host=event.host,
                queue_id="",
                first_seen=event.time,
                last_seen=event.time,
                mta=event.mta,
                sender=event.sender,
                client=event.client,
                live=False,
            )
        if event.line:
            message.lines.append(event.line)
            message.line_count += 1
        result, status = rejection_status(event.code, event.dsn, event.result)
        delivery = message.deliveries.get(recipient) or self._new_delivery(message, recipient, status)
        _record(delivery, event, result, status)
        message.touched = True
        self._touched[key] = message


def _record(delivery: Delivery, event: Event, result: AttemptResult, status: Status) -> None:
    """Append one refusal by our own server to a delivery and make it the delivery's current state."""
    relay = event.relay
    # Positional: Attempt(time, result, relay, delay, code, dsn, reply) -- this runs once per attempt line.
    attempt = Attempt(event.time, result, relay if relay is not None else event.client, event.delay, event.code,
                      event.dsn, event.reply)
    delivery.attempts.append(attempt)
    delivery.attempt_count += 1
    delivery.last = attempt
    delivery.status = status
    delivery.refused_here = True  # only refusals at SMTP time come through here
    if event.time >= delivery.time:
        delivery.time = event.time
    if event.orig_recipient and not delivery.orig_recipient:
        delivery.orig_recipient = event.orig_recipient


def _fresh_lists(message: Message) -> None:
    """Forget attempts and lines already handed out by :meth:`Correlator.drain`."""
    message.drained = False
    message.lines = []
    for delivery in message.deliveries.values():
        delivery.attempts = []
