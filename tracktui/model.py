"""The domain vocabulary shared by every layer: events, statuses, deliveries, filters.

Plain dataclasses and enums only: no I/O, no database, no Textual. Parsers
produce :class:`Event`; the correlator turns events into :class:`Message`,
:class:`Delivery` and :class:`Attempt`; the cache stores those and answers
:class:`Filter` queries; views only read.

Times are ``float`` seconds since the Unix epoch, UTC, everywhere in the
engine: parsing millions of lines cannot afford a ``datetime`` per line;
views convert when they show a time.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from enum import IntEnum, StrEnum
from typing import Any


def _rebuilt_by_fields(obj: Any) -> tuple[type, tuple[Any, ...]]:
    """``__reduce__`` for the classes with a written-out ``__init__``: rebuild with every field, positionally.

    Needed under mypyc, whose compiled classes run ``__init__`` from ``__new__``, so the
    default pickle/copy protocol (``cls.__new__(cls)`` then set the state) would fail.
    """
    return type(obj), tuple(getattr(obj, field.name) for field in fields(obj))


DEFAULT_RETENTION_DAYS = 60
"""How many days the cache keeps (the config's ``retention_days``): the one place the default lives."""


class Status(StrEnum):
    """Current state of one delivery (one recipient of one message)."""

    DELIVERED = "delivered"
    """The next hop accepted it (2xx)."""
    DEFERRED = "deferred"
    """The last attempt failed temporarily; the MTA will retry."""
    BOUNCED = "bounced"
    """Refused permanently and returned to the sender (or refused at SMTP time)."""
    EXPIRED = "expired"
    """The MTA gave up after the queue lifetime and returned it to the sender."""
    IN_TRANSIT = "in-transit"
    """Handed to a content filter or one of our own relays whose outcome is not logged (yet)."""
    DELETED = "deleted"
    """An administrator deleted it from the queue (``postsuper -d``, ``exim -Mrm``) before it was delivered."""


STATUS_GROUPS: dict[str, frozenset[Status]] = {
    "delivered": frozenset({Status.DELIVERED}),
    "deferred": frozenset({Status.DEFERRED}),
    "bounced": frozenset({Status.BOUNCED}),
    "expired": frozenset({Status.EXPIRED}),
    "temporary": frozenset({Status.DEFERRED}),
    "permanent": frozenset({Status.BOUNCED, Status.EXPIRED, Status.DELETED}),
    "deleted": frozenset({Status.DELETED}),
    "in-transit": frozenset({Status.IN_TRANSIT}),
    "all": frozenset(Status),
}
"""Names accepted by ``--status`` and the filter form, and the statuses each covers."""

STATUS_GROUP_LABELS: dict[str, str] = {
    "delivered": "Delivered",
    "temporary": "Temporarily rejected",
    "permanent": "Permanently rejected",
    "all": "All",
}
"""The four choices of the filter form, in display order."""


class EventKind(IntEnum):
    """What one log line says. Parsers emit these; the correlator consumes them."""

    QUEUED = 1
    """A message entered the queue (postfix smtpd ``client=``/pickup ``uid=``, exim ``<=``, qmail ``new msg``)."""
    ENVELOPE = 2
    """Sender and size are known (postfix qmgr ``from=``, exim ``<=``, qmail ``info msg``)."""
    MESSAGE_ID = 3
    """The Message-ID header (postfix cleanup ``message-id=``, exim ``id=``)."""
    SUBJECT = 4
    """The Subject header (postfix ``header_checks`` info/warning lines, exim ``T=``)."""
    ATTEMPT = 5
    """One delivery try to one recipient, with its :class:`AttemptResult`."""
    EXPIRED = 6
    """The message's queue lifetime ran out; still-deferred recipients become expired."""
    REMOVED = 7
    """The message left the queue (postfix ``removed``, exim ``Completed``, qmail ``end msg``)."""
    REJECTED = 8
    """Our own server refused a recipient at SMTP time (``NOQUEUE: reject:``, exim ``rejected RCPT``)."""
    NOTICE = 9
    """Postfix ``bounce``: a notification we sent; ``queue_id`` is the original, ``related_queue_id`` the notice."""
    STARTED = 10
    """qmail ``starting delivery D: msg N to ...``: binds delivery number D to a message and recipient."""
    DELETED = 11
    """An administrator deleted the message from the queue (postsuper ``removed``, exim ``removed by``)."""


class AttemptResult(StrEnum):
    """Outcome of one attempt as the MTA logged it."""

    SENT = "sent"
    DEFERRED = "deferred"
    BOUNCED = "bounced"
    EXPIRED = "expired"


RESULT_TO_STATUS: dict[AttemptResult, Status] = {
    AttemptResult.SENT: Status.DELIVERED,
    AttemptResult.DEFERRED: Status.DEFERRED,
    AttemptResult.BOUNCED: Status.BOUNCED,
    AttemptResult.EXPIRED: Status.EXPIRED,
}


class NoticeKind(StrEnum):
    """Kinds of delivery status notification our server sends back to a sender."""

    NON_DELIVERY = "non-delivery"
    DELAY = "delay"
    SUCCESS = "success"


@dataclass(slots=True, init=False)
class Event:
    """One fact read from one log line.

    Only ``kind``, ``time``, ``host`` and ``queue_id`` are always set; the
    other fields are filled when the line carries them. ``queue_id`` is the
    MTA's own id (postfix queue id, exim message id, qmail inode number) and
    is empty for SMTP-time rejections. ``line`` is the raw line, kept so the
    views can show what the log really said.
    """

    kind: EventKind
    time: float
    host: str
    queue_id: str
    line: str = ""
    mta: str = ""
    sender: str | None = None
    recipient: str | None = None
    orig_recipient: str | None = None
    message_id: str | None = None
    subject: str | None = None
    size: int | None = None
    nrcpt: int | None = None
    client: str | None = None
    result: AttemptResult | None = None
    relay: str | None = None
    delay: float | None = None
    dsn: str | None = None
    code: int | None = None
    reply: str | None = None
    related_queue_id: str | None = None
    notice_kind: NoticeKind | None = None
    delivery_no: str | None = None
    """qmail's delivery number, linking ``starting delivery`` to its result."""

    def __init__(
        self, kind: EventKind, time: float, host: str, queue_id: str, line: str = "", mta: str = "",
        sender: str | None = None, recipient: str | None = None, orig_recipient: str | None = None,
        message_id: str | None = None, subject: str | None = None, size: int | None = None,
        nrcpt: int | None = None, client: str | None = None, result: AttemptResult | None = None,
        relay: str | None = None, delay: float | None = None, dsn: str | None = None, code: int | None = None,
        reply: str | None = None, related_queue_id: str | None = None, notice_kind: NoticeKind | None = None,
        delivery_no: str | None = None,
    ) -> None:
        # Written out rather than generated by @dataclass: compiled by mypyc (see hatch_build.py) this is
        # a C function, where the generated one would stay interpreted and cost ~0.5 us per event.
        # tests/test_model.py pins it to the fields above.
        self.kind = kind
        self.time = time
        self.host = host
        self.queue_id = queue_id
        self.line = line
        self.mta = mta
        self.sender = sender
        self.recipient = recipient
        self.orig_recipient = orig_recipient
        self.message_id = message_id
        self.subject = subject
        self.size = size
        self.nrcpt = nrcpt
        self.client = client
        self.result = result
        self.relay = relay
        self.delay = delay
        self.dsn = dsn
        self.code = code
        self.reply = reply
        self.related_queue_id = related_queue_id
        self.notice_kind = notice_kind
        self.delivery_no = delivery_no

    def __reduce__(self) -> tuple[type, tuple[Any, ...]]:
        return _rebuilt_by_fields(self)


@dataclass(slots=True, init=False)
class Attempt:
    """One try to hand a delivery to the next hop."""

    time: float
    result: AttemptResult
    relay: str | None = None
    delay: float | None = None
    code: int | None = None
    dsn: str | None = None
    reply: str | None = None

    def __init__(
        self, time: float, result: AttemptResult, relay: str | None = None, delay: float | None = None,
        code: int | None = None, dsn: str | None = None, reply: str | None = None,
    ) -> None:  # written out for mypyc, as Event's
        self.time = time
        self.result = result
        self.relay = relay
        self.delay = delay
        self.code = code
        self.dsn = dsn
        self.reply = reply

    def __reduce__(self) -> tuple[type, tuple[Any, ...]]:
        return _rebuilt_by_fields(self)


@dataclass(slots=True, init=False)
class Delivery:
    """One recipient of one message, with its current status.

    To keep memory flat on long-lived messages, ``attempts`` holds only the
    attempts not yet handed to the cache; ``attempt_count`` counts all of
    them and ``last`` is always the latest one.
    """

    key: int
    recipient: str
    status: Status
    orig_recipient: str | None = None
    time: float = 0.0
    """Time of the latest attempt (or of the SMTP-time rejection)."""
    attempt_count: int = 0
    last: Attempt | None = None
    attempts: list[Attempt] = field(default_factory=list)
    refused_here: bool = False
    """Our own server refused this recipient at SMTP time: the other party is the client."""

    def __init__(
        self, key: int, recipient: str, status: Status, orig_recipient: str | None = None, time: float = 0.0,
        attempt_count: int = 0, last: Attempt | None = None, attempts: list[Attempt] | None = None,
        refused_here: bool = False,
    ) -> None:  # written out for mypyc, as Event's
        self.key = key
        self.recipient = recipient
        self.status = status
        self.orig_recipient = orig_recipient
        self.time = time
        self.attempt_count = attempt_count
        self.last = last
        self.attempts = [] if attempts is None else attempts
        self.refused_here = refused_here

    def __reduce__(self) -> tuple[type, tuple[Any, ...]]:
        return _rebuilt_by_fields(self)


@dataclass(slots=True, init=False)
class Message:
    """One submission on one host, as far as the logs tell.

    ``key`` is a stable 63-bit id derived from (host, queue id, first seen),
    so re-reading the same lines yields the same keys and writes stay
    idempotent. ``live`` is true until the MTA logged the message leaving its
    queue; a live message's state is persisted so a later sync can resume it.
    ``lines`` holds only the raw lines not yet handed to the cache.
    """

    key: int
    host: str
    queue_id: str
    first_seen: float
    last_seen: float
    mta: str = ""
    message_id: str | None = None
    sender: str | None = None
    subject: str | None = None
    size: int | None = None
    nrcpt: int | None = None
    client: str | None = None
    expired: bool = False
    live: bool = True
    notice_of_key: int | None = None
    """Key of the message this one is a bounce/delay notice about."""
    notice_kind: NoticeKind | None = None
    deliveries: dict[str, Delivery] = field(default_factory=dict)
    pending: dict[str, str] = field(default_factory=dict)
    """qmail delivery number -> recipient, for deliveries started but not finished."""
    lines: list[str] = field(default_factory=list)
    line_count: int = 0
    """Raw lines seen in total (``lines`` holds the ones not yet persisted)."""
    drained: bool = False
    """Correlator bookkeeping: ``lines``/``attempts`` were handed out and restart on the next touch."""
    touched: bool = False
    """Correlator bookkeeping: in the set of messages the next drain hands out."""

    def __init__(
        self, key: int, host: str, queue_id: str, first_seen: float, last_seen: float, mta: str = "",
        message_id: str | None = None, sender: str | None = None, subject: str | None = None,
        size: int | None = None, nrcpt: int | None = None, client: str | None = None, expired: bool = False,
        live: bool = True, notice_of_key: int | None = None, notice_kind: NoticeKind | None = None,
        deliveries: dict[str, Delivery] | None = None, pending: dict[str, str] | None = None,
        lines: list[str] | None = None, line_count: int = 0, drained: bool = False, touched: bool = False,
    ) -> None:  # written out for mypyc, as Event's
        self.key = key
        self.host = host
        self.queue_id = queue_id
        self.first_seen = first_seen
        self.last_seen = last_seen
        self.mta = mta
        self.message_id = message_id
        self.sender = sender
        self.subject = subject
        self.size = size
        self.nrcpt = nrcpt
        self.client = client
        self.expired = expired
        self.live = live
        self.notice_of_key = notice_of_key
        self.notice_kind = notice_kind
        self.deliveries = {} if deliveries is None else deliveries
        self.pending = {} if pending is None else pending
        self.lines = [] if lines is None else lines
        self.line_count = line_count
        self.drained = drained
        self.touched = touched

    def __reduce__(self) -> tuple[type, tuple[Any, ...]]:
        return _rebuilt_by_fields(self)


@dataclass(frozen=True, slots=True)
class Filter:
    """One question asked of the cache: which deliveries to show.

    ``since``/``until`` bound the time of a delivery's latest attempt (UTC
    epoch seconds, ``until`` exclusive). Address patterns accept an exact
    address (case-insensitive), ``@domain``, or ``*`` wildcards.
    ``bound_sender``, when set, is a hard limit that no other field widens:
    the seed of a per-user view.
    """

    statuses: frozenset[Status] = frozenset({Status.DELIVERED})
    since: float | None = None
    until: float | None = None
    recipient: str | None = None
    sender: str | None = None
    subject: str | None = None
    hosts: tuple[str, ...] = ()
    queue_id: str | None = None
    message_id: str | None = None
    bound_sender: str | None = None
    directions: frozenset[str] = frozenset()
    """Journey directions to keep (``outbound``/``inbound``/``local``); empty keeps all."""
    include_notices: bool = False
    """Also list the bounce/delay notifications our server sent; by default they appear only
    with the message they report on (:meth:`Cache.notices_for`), not as mail from ``<>``."""


@dataclass(frozen=True, slots=True)
class AttemptRow:
    """One attempt as the query API returns it to views."""

    time: float
    result: AttemptResult
    relay: str | None
    delay: float | None
    code: int | None
    dsn: str | None
    reply: str | None


@dataclass(frozen=True, slots=True)
class DeliveryRow:
    """One delivery with its message's fields, as the query API returns it.

    ``time`` is the time of the latest attempt (or of the SMTP-time
    rejection); ``message_time`` is when the message was first seen.
    ``delivery_id``/``message_key`` are opaque cache keys for follow-up
    queries (attempts, raw lines, the rest of a message's recipients).
    """

    delivery_id: int
    message_key: int
    time: float
    message_time: float
    host: str
    mta: str
    queue_id: str
    message_id: str | None
    sender: str | None
    recipient: str
    orig_recipient: str | None
    subject: str | None
    size: int | None
    status: Status
    attempt_count: int
    relay: str | None
    delay: float | None
    code: int | None
    dsn: str | None
    reply: str | None
    client: str | None = None
    expired: bool = False
    notice_kind: NoticeKind | None = None
    """Set when this delivery belongs to a notice (bounce/delay) our server sent."""
    direction: str | None = None
    """``outbound``, ``inbound`` or ``local`` (see :class:`tracktui.journeys.locality.Direction`)."""
    final_recipient: str | None = None
    """The address the journey finally went to (after aliases and forwards); ``recipient`` is the one sent to."""
    hop_count: int = 1
    """Legs in this journey (content filter, own relays, greylisting refusals before it was accepted)."""
    next_hop: str | None = None
    """For an in-transit journey: the filter or relay it was handed to."""
    refused_here: bool = False
    """Our own server refused the client at SMTP time (the other party is the client, not a recipient's server)."""


@dataclass(frozen=True, slots=True)
class HopRow:
    """One leg of a journey, oldest first, as the query API returns it."""

    host: str
    queue_id: str
    relay: str | None
    status: Status
    time: float
    recipient: str
    code: int | None = None
    dsn: str | None = None
    reply: str | None = None
    client: str | None = None
    refused_here: bool = False


@dataclass(frozen=True, slots=True)
class PageCursor:
    """Keyset position after the last row of a page: (time, delivery_id), newest first."""

    time: float
    delivery_id: int


@dataclass(frozen=True, slots=True)
class Page:
    """One page of query results and where the next page starts (``None``: no more)."""

    rows: tuple[DeliveryRow, ...]
    next_cursor: PageCursor | None
