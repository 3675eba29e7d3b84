"""The cache's row layout: the correlator's messages in, plain tuples out, in column order.

Pure (no database), so the sync pipeline builds rows in its parsing worker and
ships them, and compiled by mypyc with the parsers (``hatch_build.py``): this
loop runs once per message and delivery of every batch. ``tracktui.cache``
writes the rows; statuses and attempt results are stored as small integers.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, Final

from tracktui.journeys.locality import (
    DEFAULT_LOCALITY,
    DIRECTION_TO_CODE,
    LegKind,
    Locality,
    direction_of,
    next_queue_id,
)
from tracktui.model import AttemptResult, Message, Status

STATUS_CODES: Final = ("delivered", "deferred", "bounced", "expired", "in-transit", "deleted")
"""Statuses and attempt results are stored as small integers: index order = this order."""
RESULT_CODES: Final = ("sent", "deferred", "bounced", "expired")

STATUS_TO_CODE: Final = {Status(name): i for i, name in enumerate(STATUS_CODES)}
CODE_TO_STATUS: Final = {i: Status(name) for i, name in enumerate(STATUS_CODES)}
RESULT_TO_CODE: Final = {AttemptResult(name): i for i, name in enumerate(RESULT_CODES)}
CODE_TO_RESULT: Final = {i: AttemptResult(name) for i, name in enumerate(RESULT_CODES)}

MESSAGE_COLUMNS: Final = (
    "id", "source_id", "host", "mta", "queue_id", "message_id", "sender", "subject", "size", "nrcpt", "client",
    "first_seen", "last_seen", "expired", "live", "notice_of_key", "notice_kind", "pending", "line_count",
)
DELIVERY_COLUMNS: Final = (
    "id", "message_key", "host", "mta", "queue_id", "message_id", "sender", "sender_lc", "sender_domain",
    "recipient", "recipient_lc", "recipient_domain", "orig_recipient", "subject", "size", "client", "expired",
    "notice_kind", "message_time", "status", "time", "attempt_count", "relay", "delay", "code", "dsn", "reply",
    "leg", "leg_status", "leg_time", "direction", "next_qid", "alt_lc",
)
"""``status``/``time``/``relay``.../``direction`` are what listings show: for a journey of several legs
the linker (:mod:`tracktui.cache.journeys`) sets them on its first leg from its last one; ``leg_*`` are
always this leg's own. ``alt_lc`` is the journey's other address (``orig_to``, or the final one), for
``--to``."""
HIDDEN_STATUS: Final = -1
"""``status`` of a leg that belongs to a journey shown on another row (never matched by a listing)."""
_IN_TRANSIT_CODE: Final = STATUS_CODES.index("in-transit")
_DELIVERED_CODE: Final = STATUS_CODES.index("delivered")
ATTEMPT_COLUMNS: Final = ("delivery_id", "seq", "time", "result", "relay", "delay", "code", "dsn", "reply")
RAW_COLUMNS: Final = ("message_key", "seq", "text")

Rows = tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]
"""Message, delivery, attempt and raw-line rows of one batch, in the column orders above."""


def domain_of(address: str) -> str:
    """Lowercased domain of an address (``""`` when it has none)."""
    at = address.rfind("@")
    return address[at + 1:].lower() if at >= 0 else ""


def build_rows(source_id: str, messages: Iterable[Message], sent: dict[int, tuple[Any, ...]] | None = None,
               locality: Locality = DEFAULT_LOCALITY) -> Rows:
    """Message, delivery, attempt and raw-line rows for one batch (deduplicated by key, sorted by key).

    The hot loop of ingest: plain tuples, address forms memoised per batch, rows sorted by
    primary key so the table B-trees are written page by page rather than at random. Pure
    (no database), so the sync pipeline can build rows in a worker process and ship them.

    ``sent``, kept by the caller from batch to batch, remembers the delivery rows already
    handed out for live messages: a delivery whose row has not changed since (its message
    was touched by a ``removed`` line, a retry of another recipient...) is left out rather
    than upserted again -- about a fifth of the delivery rows of a busy log. Entries go
    when their message closes, so it holds only the deliveries still in the queue.

    ``locality`` says which relays are our own: a leg handed to one shows ``in-transit``
    until the linker finds the next hop.
    """
    msg_rows: dict[int, tuple[Any, ...]] = {}
    dlv_rows: dict[int, tuple[Any, ...]] = {}
    att_rows: list[tuple[Any, ...]] = []
    raw_rows: list[tuple[Any, ...]] = []
    status_code = STATUS_TO_CODE
    result_code = RESULT_TO_CODE
    forms: dict[str, tuple[str, str]] = {}  # address -> (lowercased, domain)
    kinds: dict[tuple[str | None, bool, bool], LegKind] = {}  # (relay, refused here, sent) -> leg kind
    directions: dict[tuple[str | None, LegKind], int] = {}  # (client, leg kind) -> direction code
    for m in messages:
        key = m.key
        host, mta, queue_id, message_id, sender = m.host, m.mta, m.queue_id, m.message_id, m.sender
        subject, size, client, expired, first_seen = m.subject, m.size, m.client, m.expired, m.first_seen
        live = m.live
        notice = m.notice_kind.value if m.notice_kind is not None else None
        msg_rows[key] = (
            key, source_id, host, mta, queue_id, message_id, sender, subject, size, m.nrcpt,
            client, first_seen, m.last_seen, expired, live, m.notice_of_key, notice,
            json.dumps(m.pending, sort_keys=True) if m.pending else None, m.line_count,
        )  # fmt: skip
        address = sender or ""
        sform = forms.get(address)
        if sform is None:
            sform = forms[address] = (address.lower(), domain_of(address))
        sender_lc, sender_domain = sform
        for d in m.deliveries.values():
            rcpt = d.recipient
            rform = forms.get(rcpt)
            if rform is None:
                rform = forms[rcpt] = (rcpt.lower(), domain_of(rcpt))
            last = d.last
            if last is not None:
                relay, delay, code, dsn, reply = last.relay, last.delay, last.code, last.dsn, last.reply
            else:
                relay = delay = code = dsn = reply = None
            leg_status = status_code[d.status]
            kind_key = (relay, d.refused_here, leg_status == _DELIVERED_CODE)
            leg = kinds.get(kind_key)
            if leg is None:
                leg = kinds[kind_key] = locality.leg_kind(relay, refused_here=kind_key[1], sent=kind_key[2])
            shown = leg_status
            next_qid = None
            if leg is LegKind.HANDOFF and leg_status == _DELIVERED_CODE:
                shown = _IN_TRANSIT_CODE
                next_qid = next_queue_id(reply) or ""  # "": followed by Message-ID (see tracktui.cache.journeys)
            direction_key = (client, leg)
            direction = directions.get(direction_key, -1)
            if direction < 0:
                direction = directions[direction_key] = DIRECTION_TO_CODE[direction_of(client, leg, leg, locality)]
            orig = d.orig_recipient
            # Written out in DELIVERY_COLUMNS order (a test pins it): star-unpacking costs a list per row.
            row: tuple[Any, ...] = (
                d.key, key, host, mta, queue_id, message_id, sender, sender_lc, sender_domain, rcpt, rform[0],
                rform[1], orig, subject, size, client, expired, notice, first_seen,
                shown, d.time, d.attempt_count, relay, delay, code, dsn, reply,
                int(leg), leg_status, d.time, direction, next_qid,
                orig.lower() if orig and orig.lower() != rform[0] else None,
            )  # fmt: skip
            if sent is None:
                dlv_rows[d.key] = row
            elif sent.get(d.key) != row:
                dlv_rows[d.key] = row
                if live:
                    sent[d.key] = row
                else:
                    sent.pop(d.key, None)
            elif not live:
                del sent[d.key]
            if d.attempts:
                first = d.attempt_count - len(d.attempts)
                for i, a in enumerate(d.attempts, first):
                    att_rows.append((d.key, i, a.time, result_code[a.result], a.relay, a.delay, a.code,
                                     a.dsn, a.reply))
        if m.lines:
            raw_rows.append((key, m.line_count - len(m.lines), "\n".join(m.lines)))
    # Primary-key order. Attempts and raw chunks sort as tuples: (key, seq) is unique, so no
    # comparison ever reaches the other fields.
    att_rows.sort()
    raw_rows.sort()
    return [msg_rows[k] for k in sorted(msg_rows)], [dlv_rows[k] for k in sorted(dlv_rows)], att_rows, raw_rows
