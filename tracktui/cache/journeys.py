"""Link legs into journeys, inside the transaction that wrote them.

A *journey* is what a user means by "my message": the legs one submission went through
(the hop into a content filter, the reinjected copy, our own next relay, on this host or
another synced one), plus the temporary refusals (greylisting) its sender got before we
accepted it. Every leg is an ordinary ``deliveries`` row; the links live on the rows:

- ``prev_id``: the leg this one continues (set on the later leg);
- ``head_id``: on every leg but the first, the journey's first leg (the row listings show);
- ``final_id``: on the first leg of a journey of several legs, its last leg.

The first leg shows the journey: its ``status``/``time`` and the reply fields come from
the last leg (``leg_*`` keep its own), so lists, counts and reports count each journey
recipient once with its final status; the other legs get ``status`` -1 and are never listed.

Links are found from both ends, so lines arriving in different syncs, or from hosts synced
at different times, give the same journey as one pass would:

- a hand-off leg in this batch looks for its next hop: the message with the queue id its
  reply named (``queued as X``) or, without one, the same Message-ID, within a window,
  with the same recipient (or one whose ``orig_to`` is it);
- a message in this batch that came from our own side (no client, or an internal one)
  looks for the hand-off leg that names it;
- an accepted recipient from a remote client takes in the temporary refusals our server
  gave the same client network, sender and recipient in the day before (greylisting).

Every lookup is gated by a one-row probe of a partial index, so a cache without content
filters or greylisting pays almost nothing for this.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from typing import Any, Final

from tracktui.journeys.locality import DIRECTION_TO_CODE, LegKind, Locality, direction_of
from tracktui.model import Status
from tracktui.rows import DELIVERY_COLUMNS, HIDDEN_STATUS, MESSAGE_COLUMNS, STATUS_TO_CODE

HANDOFF_WINDOW: Final = 600.0
"""The next hop must enter a queue within this many seconds of the hand-off (a minute before, for clock skew)."""
GREYLIST_WINDOW: Final = 86400.0
"""A temporary refusal of a client is part of a later acceptance of the same triple within this time;
one not retried within it is final (see :func:`settle_unretried`)."""
_SKEW: Final = 60.0

_D = {name: i for i, name in enumerate(DELIVERY_COLUMNS)}
_M = {name: i for i, name in enumerate(MESSAGE_COLUMNS)}
_DELIVERED: Final = STATUS_TO_CODE[Status.DELIVERED]
_DEFERRED: Final = STATUS_TO_CODE[Status.DEFERRED]
_BOUNCED: Final = STATUS_TO_CODE[Status.BOUNCED]
_IN_TRANSIT: Final = STATUS_TO_CODE[Status.IN_TRANSIT]
_HANDOFF: Final = int(LegKind.HANDOFF)
_REFUSED: Final = int(LegKind.REFUSED_HERE)
_FAN_OUT_ORDER: Final = (_DEFERRED, _IN_TRANSIT, _BOUNCED, STATUS_TO_CODE[Status.EXPIRED],
                          STATUS_TO_CODE[Status.DELETED], _DELIVERED)
"""When an alias fans one recipient out to several final legs, the journey shows the least settled one."""

_LEG_COLUMNS: Final = (
    "id, message_key, host, queue_id, recipient_lc, alt_lc, client, leg, leg_status, leg_time, relay, delay, "
    "code, dsn, reply, prev_id, head_id, recipient"
)


_LEG_FIELDS: Final = tuple(name.strip() for name in _LEG_COLUMNS.split(","))


class _Leg:
    """One ``deliveries`` row as the linker reads it."""

    __slots__ = _LEG_FIELDS

    def __init__(self, row: Sequence[Any]) -> None:
        for name, value in zip(_LEG_FIELDS, row, strict=True):
            setattr(self, name, value)

    id: int
    message_key: int
    host: str
    queue_id: str
    recipient_lc: str
    alt_lc: str | None
    client: str | None
    leg: int
    leg_status: int
    leg_time: float
    relay: str | None
    delay: float | None
    code: int | None
    dsn: str | None
    reply: str | None
    prev_id: int | None
    head_id: int | None
    recipient: str


class JourneyLinker:
    """The linking statements for one backend; runs on the writer's cursor, inside its transaction."""

    def __init__(self, sqlite: bool, locality: Locality) -> None:
        self.p = "?" if sqlite else "%s"
        self._locality = locality
        self._ours: dict[str | None, bool] = {}

    @property
    def locality(self) -> Locality:
        return self._locality

    @locality.setter
    def locality(self, value: Locality) -> None:
        self._locality = value
        self._ours = {}

    def _is_ours(self, client: str | None) -> bool:
        """:meth:`Locality.is_internal_client`, remembered: a batch names the same clients again and again."""
        known = self._ours.get(client)
        if known is None:
            if len(self._ours) > 50_000:
                self._ours.clear()
            known = self._ours[client] = self._locality.is_internal_client(client)
        return known

    # -- entry point -------------------------------------------------------------------------------

    def link(self, cursor: Any, msg_rows: Sequence[tuple[Any, ...]], dlv_rows: Sequence[tuple[Any, ...]]) -> int:
        """Link what this batch wrote to the legs already stored; return how many journeys were refreshed."""
        if not dlv_rows:
            return 0
        touched: set[int] = set()
        if self._exists(cursor, "next_qid IS NOT NULL"):
            touched.update(self._follow(cursor, [row for row in dlv_rows if row[_D["next_qid"]] is not None]))
            touched.update(self._adopt(cursor, msg_rows, dlv_rows))
        if self._exists(cursor, f"leg = {_REFUSED} AND status = {_DEFERRED}"):
            touched.update(self._take_in_refusals(cursor, msg_rows, dlv_rows))
        touched.update(self._refused_by_next_hop(cursor, msg_rows, dlv_rows))
        heads = {self._root(cursor, leg_id) for leg_id in touched}
        for head in heads:
            self._refresh(cursor, head)
        return len(heads)

    # -- finding links ------------------------------------------------------------------------------

    def _exists(self, cursor: Any, where: str) -> bool:
        cursor.execute(f"SELECT 1 FROM deliveries WHERE {where} LIMIT 1")
        return cursor.fetchone() is not None

    def _chunks(self, cursor: Any, sql: str, values: Sequence[Any], size: int = 500) -> list[tuple[Any, ...]]:
        """``sql`` (with one ``{marks}``) run over ``values`` in chunks; all rows."""
        out: list[tuple[Any, ...]] = []
        distinct = list(dict.fromkeys(values))
        for start in range(0, len(distinct), size):
            chunk = distinct[start:start + size]
            cursor.execute(sql.format(marks=", ".join(self.p for _ in chunk)), chunk)
            out += cursor.fetchall()
        return out

    def _link(self, cursor: Any, pairs: Iterable[tuple[int, int]]) -> None:
        """Set ``prev_id`` (first of each pair) on legs (second) that continue nothing yet."""
        rows = list(pairs)
        if rows:
            cursor.executemany(f"UPDATE deliveries SET prev_id = {self.p} WHERE id = {self.p} AND prev_id IS NULL",
                               rows)

    def _follow(self, cursor: Any, handoffs: Sequence[tuple[Any, ...]]) -> list[int]:
        """Hand-off legs of this batch: link the next hop's matching deliveries (if logged yet) to each."""
        if not handoffs:
            return []
        named = [row for row in handoffs if row[_D["next_qid"]]]
        found = self._chunks(
            cursor,
            "SELECT m.queue_id, m.first_seen, m.id, d.id, d.recipient_lc, d.alt_lc FROM messages m "
            "JOIN deliveries d ON d.message_key = m.id WHERE m.queue_id IN ({marks})",
            [row[_D["next_qid"]] for row in named],
        )
        by_queue_id: dict[str, list[tuple[Any, ...]]] = {}
        for hit in found:
            by_queue_id.setdefault(hit[0], []).append(hit)
        pairs: list[tuple[int, int]] = []
        for row in handoffs:
            next_qid = row[_D["next_qid"]]
            candidates = by_queue_id.get(next_qid, []) if next_qid else self._same_message_id(cursor, row)
            pairs += [(row[_D["id"]], hit[3]) for hit in candidates if _continues(row, hit[1], hit[2], hit[3],
                                                                             hit[4], hit[5])]
        self._link(cursor, pairs)
        return [up for up, _down in pairs]

    def _same_message_id(self, cursor: Any, row: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        """Candidates for a hand-off whose reply named no queue id: messages with its Message-ID."""
        message_id = row[_D["message_id"]]
        if not message_id:
            return []
        cursor.execute(
            "SELECT m.queue_id, m.first_seen, m.id, d.id, d.recipient_lc, d.alt_lc FROM messages m "
            f"JOIN deliveries d ON d.message_key = m.id WHERE m.message_id = {self.p}",
            [message_id],
        )
        return list(cursor.fetchall())

    def _adopt(self, cursor: Any, msg_rows: Sequence[tuple[Any, ...]],
               dlv_rows: Sequence[tuple[Any, ...]]) -> list[int]:
        """Messages of this batch that came from our own side: find the hand-off that produced them."""
        p = self.p
        by_message: dict[int, list[tuple[Any, ...]]] = {}
        for row in dlv_rows:
            by_message.setdefault(row[_D["message_key"]], []).append(row)
        candidates = [m for m in msg_rows
                      if m[_M["queue_id"]] and m[_M["notice_kind"]] is None and m[_M["id"]] in by_message
                      and (m[_M["client"]] is None or self._is_ours(m[_M["client"]]))]
        if not candidates:
            return []
        upstream_by_qid: dict[str, list[tuple[Any, ...]]] = {}
        for hit in self._chunks(cursor, "SELECT next_qid, id, recipient_lc, alt_lc, leg_time, message_key "
                                        "FROM deliveries WHERE next_qid IN ({marks})",
                                [m[_M["queue_id"]] for m in candidates]):
            upstream_by_qid.setdefault(hit[0], []).append(hit)
        has_unnamed = self._exists(cursor, "next_qid = ''")
        pairs: list[tuple[int, int]] = []
        for m in candidates:
            first_seen, key = m[_M["first_seen"]], m[_M["id"]]
            upstream = upstream_by_qid.get(m[_M["queue_id"]], [])
            message_id = m[_M["message_id"]]
            if not upstream and has_unnamed and message_id:
                cursor.execute(
                    "SELECT '', d.id, d.recipient_lc, d.alt_lc, d.leg_time, d.message_key FROM deliveries d "
                    f"JOIN messages m ON m.id = d.message_key WHERE m.message_id = {p} AND d.next_qid = ''",
                    [message_id],
                )
                upstream = cursor.fetchall()
            for _qid, up_id, up_rcpt, up_alt, up_time, up_key in upstream:
                if up_key == key or not (first_seen - HANDOFF_WINDOW <= up_time <= first_seen + _SKEW):
                    continue
                wanted = {a for a in (up_rcpt, up_alt) if a}
                pairs += [(up_id, leg[_D["id"]]) for leg in by_message[key]
                          if leg[_D["recipient_lc"]] in wanted or (leg[_D["alt_lc"]] or "") in wanted]
        self._link(cursor, pairs)
        return [down for _up, down in pairs]

    def _take_in_refusals(self, cursor: Any, msg_rows: Sequence[tuple[Any, ...]],
                          dlv_rows: Sequence[tuple[Any, ...]]) -> list[int]:
        """Accepted recipients from remote clients take in the greylisting refusals before them."""
        # Ask the (small, partial) index of pending refusals first; judge clients only for what it finds.
        accepted = {m[_M["id"]]: m for m in msg_rows if m[_M["queue_id"]] and m[_M["client"]]}
        rows = [row for row in dlv_rows if row[_D["message_key"]] in accepted and row[_D["leg"]] != _REFUSED]
        if not rows:
            return []
        refusals: dict[tuple[str, str], list[tuple[Any, ...]]] = {}
        for hit in self._chunks(
            cursor,
            f"SELECT id, client, recipient_lc, sender_lc, time FROM deliveries WHERE leg = {_REFUSED} "
            f"AND status = {_DEFERRED} AND recipient_lc IN ({{marks}}) AND queue_id = ''",
            [row[_D["recipient_lc"]] for row in rows],
        ):
            refusals.setdefault((hit[2], hit[3]), []).append(hit)
        if not refusals:
            return []
        touched: list[int] = []
        updates: list[tuple[int, int]] = []
        for row in rows:
            found = refusals.get((row[_D["recipient_lc"]], row[_D["sender_lc"]]))
            if not found:
                continue
            message = accepted[row[_D["message_key"]]]
            if self._is_ours(message[_M["client"]]):
                continue
            network = _client_network(message[_M["client"]])
            first_seen = message[_M["first_seen"]]
            mine = [hit[0] for hit in found if first_seen - GREYLIST_WINDOW <= hit[4] <= first_seen + 1.0
                    and network is not None and _client_network(hit[1]) == network]
            if mine:
                updates += [(row[_D["id"]], refusal) for refusal in mine]
                touched.append(row[_D["id"]])
        if updates:
            cursor.executemany(f"UPDATE deliveries SET head_id = {self.p}, status = {HIDDEN_STATUS} "
                               f"WHERE id = {self.p}", updates)
        return touched

    def _refused_by_next_hop(self, cursor: Any, msg_rows: Sequence[tuple[Any, ...]],
                             dlv_rows: Sequence[tuple[Any, ...]]) -> list[int]:
        """A hand-off our own next hop refused at SMTP time: that hop's refusal line continues it.

        Matched by sender and recipient within a minute, the refusal's client being on our side.
        """
        p = self.p
        clients = {m[_M["id"]]: m[_M["client"]] for m in msg_rows}
        touched: list[int] = []
        for row in dlv_rows:
            leg, status = row[_D["leg"]], row[_D["leg_status"]]
            rcpt, sender, time = row[_D["recipient_lc"]], row[_D["sender_lc"]], row[_D["leg_time"]]
            window = [time - _SKEW, time + _SKEW]
            if leg == _HANDOFF and status in (_DEFERRED, _BOUNCED):
                cursor.execute(
                    f"SELECT d.id, m.client FROM deliveries d JOIN messages m ON m.id = d.message_key "
                    f"WHERE d.recipient_lc = {p} AND d.leg = {_REFUSED} AND d.queue_id = '' AND d.sender_lc = {p} "
                    f"AND d.leg_time >= {p} AND d.leg_time <= {p} AND d.prev_id IS NULL",
                    [rcpt, sender, *window],
                )
                refusals = [r[0] for r in cursor.fetchall() if self._is_ours(r[1])]
                for refusal in refusals:
                    cursor.execute(f"UPDATE deliveries SET prev_id = {p} WHERE id = {p}", [row[_D["id"]], refusal])
                if refusals:
                    touched.append(row[_D["id"]])
            elif (leg == _REFUSED and not row[_D["queue_id"]]
                  and self._is_ours(clients.get(row[_D["message_key"]]))):
                cursor.execute(
                    f"SELECT id FROM deliveries WHERE recipient_lc = {p} AND leg = {_HANDOFF} AND sender_lc = {p} "
                    f"AND leg_status IN ({_DEFERRED}, {_BOUNCED}) AND leg_time >= {p} AND leg_time <= {p} "
                    f"AND id <> {p} ORDER BY leg_time DESC",
                    [rcpt, sender, *window, row[_D["id"]]],
                )
                found = cursor.fetchone()
                if found is not None:
                    cursor.execute(f"UPDATE deliveries SET prev_id = {p} WHERE id = {p} AND prev_id IS NULL",
                                   [found[0], row[_D["id"]]])
                    touched.append(row[_D["id"]])
        return touched

    # -- presenting a journey on its first leg --------------------------------------------------------

    def _root(self, cursor: Any, leg_id: int) -> int:
        seen = {leg_id}
        current = leg_id
        while True:
            cursor.execute(f"SELECT prev_id FROM deliveries WHERE id = {self.p}", [current])
            row = cursor.fetchone()
            if row is None or row[0] is None or row[0] in seen:
                return current
            current = row[0]
            seen.add(current)

    def _legs(self, cursor: Any, ids: Iterable[int], column: str) -> list[_Leg]:
        ids = list(ids)
        if not ids:
            return []
        marks = ", ".join(self.p for _ in ids)
        cursor.execute(f"SELECT {_LEG_COLUMNS} FROM deliveries WHERE {column} IN ({marks})", ids)
        return [_Leg(r) for r in cursor.fetchall()]

    def _refresh(self, cursor: Any, head_id: int) -> None:
        """Show the journey starting at ``head_id`` on that row: final status, reply, direction."""
        p = self.p
        heads = self._legs(cursor, [head_id], "id")
        if not heads:
            return
        head = heads[0]
        later: list[_Leg] = []
        frontier, seen = [head.id], {head.id}
        while frontier:
            children = [leg for leg in self._legs(cursor, frontier, "prev_id") if leg.id not in seen]
            seen.update(leg.id for leg in children)
            later += children
            frontier = [leg.id for leg in children]
        if later:
            marks = ", ".join(p for _ in later)
            cursor.execute(f"UPDATE deliveries SET head_id = {p}, final_id = NULL, status = {HIDDEN_STATUS} "
                           f"WHERE id IN ({marks})", [head.id, *(leg.id for leg in later)])
        cursor.execute(f"SELECT COUNT(*) FROM deliveries WHERE head_id = {p} AND prev_id IS NULL", [head.id])
        refusals = int(cursor.fetchone()[0])
        parents = {leg.prev_id for leg in later}
        finals = [leg for leg in [head, *later] if leg.id not in parents] if later else [head]
        settled = [leg for leg in finals if leg.leg != _REFUSED]
        if settled:  # a refusal by our next hop that a later try got past is history, not the outcome
            newest = max(leg.leg_time for leg in settled)
            finals = settled + [leg for leg in finals if leg.leg == _REFUSED and leg.leg_time > newest]
        final = min(finals, key=lambda leg: (_FAN_OUT_ORDER.index(_shown_status(leg)), -leg.leg_time))
        hop_count = 1 + len(later) + refusals
        if final is head:
            cursor.execute(f"UPDATE deliveries SET final_id = NULL, hop_count = {p}, final_recipient = NULL "
                           f"WHERE id = {p}", [hop_count if hop_count > 1 else None, head.id])
            return
        cursor.execute(f"SELECT client FROM messages WHERE id = {p}", [head.message_key])
        found = cursor.fetchone()
        first_client = found[0] if found else None
        direction = direction_of(first_client, LegKind(head.leg), LegKind(final.leg), self.locality)
        final_address = final.recipient if final.recipient_lc not in (head.recipient_lc, head.alt_lc) else None
        cursor.execute(
            f"UPDATE deliveries SET status = {p}, time = {p}, relay = {p}, delay = {p}, code = {p}, dsn = {p}, "
            f"reply = {p}, direction = {p}, final_id = {p}, hop_count = {p}, final_recipient = {p}, "
            f"alt_lc = {p} WHERE id = {p}",
            [_shown_status(final), max(final.leg_time, head.leg_time), final.relay, final.delay, final.code,
             final.dsn, final.reply, DIRECTION_TO_CODE[direction], final.id, hop_count, final_address,
             final.recipient_lc if final_address else head.alt_lc, head.id],
        )


def _continues(row: tuple[Any, ...], first_seen: float, message_key: int, delivery_id: int, rcpt: str,
               alt: str | None) -> bool:
    """Whether a delivery of a message first seen at ``first_seen`` is the next hop of hand-off ``row``."""
    time = row[_D["leg_time"]]
    if message_key == row[_D["message_key"]] or delivery_id == row[_D["id"]]:
        return False
    if not time - _SKEW <= first_seen <= time + HANDOFF_WINDOW:
        return False
    wanted = {a for a in (row[_D["recipient_lc"]], row[_D["alt_lc"]]) if a}
    return rcpt in wanted or (alt or "") in wanted


def _shown_status(leg: _Leg) -> int:
    if leg.leg == _HANDOFF and leg.leg_status == _DELIVERED:
        return _IN_TRANSIT
    return int(leg.leg_status)


def _client_network(client: str | None) -> str | None:
    """The /24 (IPv4) or /64 (IPv6) of a client: greylisting retries often come from a sibling address."""
    if not client:
        return None
    text = client
    if "[" in text:
        text = text[text.index("[") + 1:].partition("]")[0]
    if text.lower().startswith("ipv6:"):
        text = text[5:]
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return None
    prefix = 24 if ip.version == 4 else 64
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


def settle_unretried(cursor: Any) -> int:
    """Our temporary refusals that no client retried within :data:`GREYLIST_WINDOW` become final.

    Measured against the newest line logged by the refusing host (not the wall clock), so
    reading old logs gives the same answer as reading them when they were new. Returns how
    many rows changed.
    """
    cursor.execute(
        f"UPDATE deliveries SET status = {_BOUNCED} WHERE leg = {_REFUSED} AND status = {_DEFERRED} "
        "AND head_id IS NULL AND queue_id = '' AND time < "
        f"(SELECT h.last_seen FROM hosts h WHERE h.name = deliveries.host) - {GREYLIST_WINDOW}"
    )
    return int(cursor.rowcount or 0)
