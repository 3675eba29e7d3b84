"""The read side: one :class:`~tracktui.model.Filter` in, keyset pages, counts and details out.

Every query is parametrised SQL on the ``deliveries`` table (queue ids and
Message-IDs via a subquery on the indexed ``messages`` columns); user input
is never spliced into a statement. It is written as SQL rather than through
peewee's query builder because the per-status ``UNION ALL`` of limited,
index-ordered branches and the redundant keyset bound are exactly what the
planners need, and are easiest to audit (and ``EXPLAIN``) as text. Listings are newest first by
``(time, id)`` and run one branch per status, each an index range read
limited to one page, merged by a ``UNION ALL`` — so "all statuses over 60
days" costs the same as "delivered today", and page 100 the same as page 1.
``bound_sender`` is added to every statement, including the detail lookups.

Address patterns (recipient and sender):

- ``*`` anywhere: a wildcard over the whole lowercased address (``LIKE``,
  with ``%``/``_``/``\\`` escaped);
- ``@example.com`` or a bare ``example.com`` (no ``@``, has a dot): every
  address at exactly that domain (an indexed equality, subdomains excluded —
  use ``*@*.example.com`` for those);
- ``<>``: the null sender (bounces);
- anything else: that exact address, case-insensitively.

Subject text matches as a case-insensitive substring (``%``/``_`` literal);
SQLite folds ASCII case only, PostgreSQL (``ILIKE``) all of Unicode.
Queue ids match exactly; a Message-ID matches with or without its ``<>``.
``bound_sender`` is always an exact address, never a pattern.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

import peewee as pw

from tracktui.journeys.locality import CODE_TO_DIRECTION, DIRECTION_TO_CODE, Direction, LegKind
from tracktui.model import AttemptRow, DeliveryRow, Filter, HopRow, NoticeKind, Page, PageCursor, Status
from tracktui.rows import CODE_TO_RESULT, CODE_TO_STATUS, STATUS_TO_CODE

ROW_COLUMNS = (
    "id, message_key, time, message_time, host, mta, queue_id, message_id, sender, recipient, orig_recipient, "
    "subject, size, status, attempt_count, relay, delay, code, dsn, reply, client, expired, notice_kind, "
    "direction, final_recipient, hop_count, leg, next_qid"
)
ORDER = "ORDER BY time DESC, id DESC"
ATTEMPT_COLUMNS = "time, result, relay, delay, code, dsn, reply"


def like_escape(text: str) -> str:
    """``text`` with the LIKE metacharacters escaped for ``ESCAPE '\\'``."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def to_delivery_row(r: Sequence[Any]) -> DeliveryRow:
    """A result row in :data:`ROW_COLUMNS` order as a :class:`DeliveryRow`.

    ``recipient`` is the address the sender used (``orig_to`` when an alias rewrote it),
    ``final_recipient`` the one the journey ended at.
    """
    final = r[24] or r[9]
    status = CODE_TO_STATUS[r[13]]
    return DeliveryRow(
        delivery_id=r[0], message_key=r[1], time=r[2], message_time=r[3], host=r[4], mta=r[5], queue_id=r[6],
        message_id=r[7], sender=r[8], recipient=r[10] or r[9], orig_recipient=r[10], subject=r[11], size=r[12],
        status=status, attempt_count=r[14], relay=r[15], delay=r[16], code=r[17], dsn=r[18],
        reply=r[19], client=r[20], expired=bool(r[21]),
        notice_kind=NoticeKind(r[22]) if r[22] is not None else None,
        direction=CODE_TO_DIRECTION[r[23]].value, final_recipient=final, hop_count=r[25] or 1,
        next_hop=r[15] if status is Status.IN_TRANSIT else None, refused_here=r[26] == LegKind.REFUSED_HERE,
    )


HOP_SQL = (
    "SELECT d.host, d.queue_id, COALESCE(a.relay, d.relay), d.leg_status, d.leg_time, d.recipient, "
    "COALESCE(a.code, d.code), COALESCE(a.dsn, d.dsn), COALESCE(a.reply, d.reply), d.client, d.leg, d.head_id, d.id, "
    "d.prev_id "
    "FROM deliveries d LEFT JOIN attempts a ON a.delivery_id = d.id AND a.seq = d.attempt_count - 1"
)
"""Each leg with its own last attempt (a journey's first row shows its last leg's reply, the attempt keeps its own)."""


def in_journey_order(rows: Sequence[Sequence[Any]], head: int) -> list[Sequence[Any]]:
    """:data:`HOP_SQL` rows of one journey in the order the mail went: the refusals before it (by
    time), its first leg, then each leg after the one it continues (logs stamp whole seconds, so
    time alone cannot order two legs of the same second)."""
    by_id = {r[12]: r for r in rows}
    after: dict[int, list[Sequence[Any]]] = {}
    before: list[Sequence[Any]] = []
    for r in rows:
        if r[12] == head:
            continue
        if r[13] is not None and r[13] in by_id:
            after.setdefault(r[13], []).append(r)
        else:
            before.append(r)
    ordered = sorted(before, key=lambda r: (r[4], r[12]))
    frontier = [by_id[head]] if head in by_id else []
    while frontier:
        ordered += frontier
        frontier = sorted((c for r in frontier for c in after.get(r[12], [])), key=lambda r: (r[4], r[12]))
    return ordered


def to_hop_row(r: Sequence[Any]) -> HopRow:
    status = CODE_TO_STATUS[r[3]]
    if r[10] == LegKind.HANDOFF and status is Status.DELIVERED:
        status = Status.IN_TRANSIT
    return HopRow(host=r[0], queue_id=r[1], relay=r[2], status=status, time=r[4], recipient=r[5], code=r[6],
                  dsn=r[7], reply=r[8], client=r[9], refused_here=r[10] == LegKind.REFUSED_HERE)


def to_attempt_row(r: Sequence[Any]) -> AttemptRow:
    return AttemptRow(time=r[0], result=CODE_TO_RESULT[r[1]], relay=r[2], delay=r[3], code=r[4], dsn=r[5],
                      reply=r[6])


class Reader:
    """Builds and runs the read statements for one backend; the caller provides the connection."""

    def __init__(self, db: pw.Database) -> None:
        self.db = db
        self.sqlite = isinstance(db, pw.SqliteDatabase)
        self.p = "?" if self.sqlite else "%s"
        self.ilike = "LIKE" if self.sqlite else "ILIKE"  # SQLite's LIKE already ignores ASCII case

    # -- filter -> SQL -----------------------------------------------------------------------------

    def _address(self, prefix: str, pattern: str) -> tuple[str, list[Any]]:
        p = self.p
        pat = pattern.strip()
        if pat == "<>":
            return f"{prefix}_lc = {p}", [""]
        if "*" in pat:
            return f"{prefix}_lc LIKE {p} ESCAPE '\\'", [like_escape(pat.lower()).replace("*", "%")]
        if pat.startswith("@"):
            return f"{prefix}_domain = {p}", [pat[1:].lower()]
        if "@" not in pat and "." in pat:
            return f"{prefix}_domain = {p}", [pat.lower()]
        return f"{prefix}_lc = {p}", [pat.lower()]

    def _alternate(self, pattern: str) -> tuple[str, list[Any]] | None:
        """An exact ``--to`` address also matches a journey's other address (``orig_to``, or the final one).

        Domains and wildcards match the address the journey shows only: a LIKE on ``alt_lc``
        could not use an index.
        """
        pat = pattern.strip().lower()
        if not pat or pat == "<>" or "*" in pat or pat.startswith("@") or "@" not in pat:
            return None
        return f"alt_lc = {self.p}", [pat]

    def bound(self, flt: Filter | None) -> tuple[list[str], list[Any]]:
        """The ``bound_sender`` restriction alone (exact address, never a pattern)."""
        if flt is None or flt.bound_sender is None:
            return [], []
        return [f"sender_lc = {self.p}"], [flt.bound_sender.strip().lower()]

    def variants(self, flt: Filter, after: PageCursor | None = None) -> list[tuple[list[str], list[Any]]]:
        """WHERE terms of each branch: one, or two when an exact ``--to`` may also be a journey's other address.

        The two branches match disjoint rows (``alt_lc`` is never the row's own address), so a
        ``UNION ALL`` of them needs no de-duplication, and each stays one index range read.
        """
        out = [self.conditions(flt, after)]
        if flt.recipient and self._alternate(flt.recipient) is not None:
            out.append(self.conditions(flt, after, alternate=True))
        return out

    def conditions(self, flt: Filter, after: PageCursor | None = None, *,
                   alternate: bool = False) -> tuple[list[str], list[Any]]:
        """WHERE terms for every filter field except ``statuses`` (``alternate``: ``--to`` on ``alt_lc``).

        With a cursor below ``until``, the ``until`` bound is left out: it is implied, and the
        planner must take the cursor as the index range's upper end, or page N would skip
        over the N-1 pages before it.
        """
        p = self.p
        terms, params = self.bound(flt)
        if not flt.include_notices and (flt.sender or "").strip() != "<>":  # asking for <> means notices
            terms.append("notice_kind IS NULL")
        if flt.since is not None:
            terms.append(f"time >= {p}")
            params.append(flt.since)
        if flt.until is not None and (after is None or after.time >= flt.until):
            terms.append(f"time < {p}")
            params.append(flt.until)
        if flt.recipient and flt.recipient.strip():
            alt = self._alternate(flt.recipient) if alternate else None
            sql, args = alt if alt is not None else self._address("recipient", flt.recipient)
            terms.append(sql)
            params += args
        if flt.directions:
            codes = sorted(DIRECTION_TO_CODE[Direction(d)] for d in flt.directions)
            terms.append(f"direction IN ({', '.join(str(c) for c in codes)})")
        if flt.sender and flt.sender.strip():
            sql, args = self._address("sender", flt.sender)
            terms.append(sql)
            params += args
        if flt.subject:
            terms.append(f"subject {self.ilike} {p} ESCAPE '\\'")
            params.append(f"%{like_escape(flt.subject)}%")
        if flt.hosts:
            terms.append(f"host IN ({', '.join(p for _ in flt.hosts)})")
            params += list(flt.hosts)
        # A queue id or Message-ID of any leg finds the journey: its own rows, or the first leg of the
        # journey they belong to (head_id of the hidden legs).
        if flt.queue_id and flt.queue_id.strip():
            found = f"SELECT id FROM messages WHERE queue_id = {p}"
            terms.append(f"(message_key IN ({found}) OR id IN (SELECT head_id FROM deliveries "
                         f"WHERE message_key IN ({found}) AND head_id IS NOT NULL))")
            params += [flt.queue_id.strip()] * 2
        if flt.message_id and flt.message_id.strip():
            mid = flt.message_id.strip().strip("<>")
            found = f"SELECT id FROM messages WHERE message_id IN ({p}, {p})"
            terms.append(f"(message_key IN ({found}) OR id IN (SELECT head_id FROM deliveries "
                         f"WHERE message_key IN ({found}) AND head_id IS NOT NULL))")
            params += [mid, f"<{mid}>"] * 2
        return terms, params

    def _status_terms(self, flt: Filter, code: int) -> tuple[str, list[Any]]:
        # With a queue/message id, deliveries(message_key) is the right index: the unary plus keeps
        # SQLite's planner off the (status, time) index, which would otherwise look as good to it.
        plus = "+" if self.sqlite and (flt.queue_id or flt.message_id) else ""
        return f"{plus}status = {self.p}", [code]

    def _keyset(self, after: PageCursor | None) -> tuple[list[str], list[Any]]:
        if after is None:
            return [], []
        p = self.p
        # The plain upper bound is what the index range uses; the OR sorts out ties on time.
        return ([f"time <= {p}", f"(time < {p} OR (time = {p} AND id < {p}))"],
                [after.time, after.time, after.time, after.delivery_id])

    # -- statements --------------------------------------------------------------------------------

    def search_sql(self, flt: Filter, after: PageCursor | None, limit: int) -> tuple[str, list[Any]] | None:
        """The statement behind :meth:`search` (``None``: nothing can match); exposed for plan tests."""
        codes = sorted(STATUS_TO_CODE[s] for s in flt.statuses)
        if not codes or limit <= 0:
            return None
        key_terms, key_params = self._keyset(after)
        branches: list[str] = []
        params: list[Any] = []
        for base_terms, base_params in self.variants(flt, after):
            for code in codes:
                st, st_params = self._status_terms(flt, code)
                where = " AND ".join([st, *base_terms, *key_terms])
                branches.append(f"SELECT {ROW_COLUMNS} FROM deliveries WHERE {where} {ORDER} LIMIT {int(limit)}")
                params += st_params + base_params + key_params
        if len(branches) == 1:
            return branches[0], params
        sql = " UNION ALL ".join(f"SELECT * FROM ({b}) s{i}" for i, b in enumerate(branches))
        return f"{sql} {ORDER} LIMIT {int(limit)}", params

    def search(self, flt: Filter, after: PageCursor | None, limit: int) -> Page:
        statement = self.search_sql(flt, after, limit)
        if statement is None:
            return Page((), None)
        rows = [to_delivery_row(r) for r in self.db.execute_sql(*statement).fetchall()]
        cursor = None
        if len(rows) == limit:
            cursor = PageCursor(rows[-1].time, rows[-1].delivery_id)
        return Page(tuple(rows), cursor)

    def count_sql(self, flt: Filter) -> tuple[str, list[Any]]:
        """The statement behind :meth:`count_by_status`: one COUNT per status, each an index range."""
        parts: list[str] = []
        params: list[Any] = []
        for base_terms, base_params in self.variants(flt):
            for code in STATUS_TO_CODE.values():
                st, st_params = self._status_terms(flt, code)
                where = " AND ".join([st, *base_terms])
                parts.append(f"SELECT {code} AS status, COUNT(*) AS n FROM deliveries WHERE {where}")
                params += st_params + base_params
        return " UNION ALL ".join(parts), params

    def count_by_status(self, flt: Filter) -> dict[Status, int]:
        counts = {s: 0 for s in Status}
        for code, n in self.db.execute_sql(*self.count_sql(flt)).fetchall():
            counts[CODE_TO_STATUS[code]] += int(n)
        return counts

    def count_by_direction(self, flt: Filter) -> dict[str, int]:
        """Matches per direction under every field of ``flt`` except ``directions`` (the form's choice)."""
        out: dict[str, int] = {}
        for direction in Direction:
            counts = self.count_by_status(replace(flt, directions=frozenset({direction.value})))
            out[direction.value] = sum(n for status, n in counts.items() if status in flt.statuses)
        return out

    def message_deliveries(self, message_key: int, flt: Filter | None) -> list[DeliveryRow]:
        terms, params = self.bound(flt)
        where = " AND ".join([f"message_key = {self.p}", "status >= 0", *terms])
        sql = f"SELECT {ROW_COLUMNS} FROM deliveries WHERE {where} ORDER BY recipient_lc, id"
        return [to_delivery_row(r) for r in self.db.execute_sql(sql, [message_key, *params]).fetchall()]

    def notices_for(self, message_key: int, flt: Filter | None) -> list[DeliveryRow]:
        """Deliveries of the bounce/delay notifications sent about one message, oldest first."""
        terms, params = self.bound(flt)
        guard = ""
        if terms:  # the original message must pass the bound too
            guard = f" AND EXISTS (SELECT 1 FROM deliveries WHERE message_key = {self.p} AND {' AND '.join(terms)})"
        sql = (
            f"SELECT {ROW_COLUMNS} FROM deliveries WHERE message_key IN "
            f"(SELECT id FROM messages WHERE notice_of_key = {self.p}) AND status >= 0{guard} ORDER BY time, id"
        )
        args = [message_key, message_key, *params] if terms else [message_key]
        return [to_delivery_row(r) for r in self.db.execute_sql(sql, args).fetchall()]

    def _owned(self, column: str, value: int, flt: Filter | None) -> tuple[str, list[Any]]:
        """`` AND EXISTS (...)``: the row ``column = value`` of deliveries passes ``bound_sender`` (or nothing)."""
        terms, params = self.bound(flt)
        if not terms:
            return "", []
        return (f" AND EXISTS (SELECT 1 FROM deliveries WHERE {column} = {self.p} AND {' AND '.join(terms)})",
                [value, *params])

    def attempts(self, delivery_id: int, flt: Filter | None) -> list[AttemptRow]:
        guard, params = self._owned("id", delivery_id, flt)
        sql = f"SELECT {ATTEMPT_COLUMNS} FROM attempts WHERE delivery_id = {self.p}{guard} ORDER BY seq"
        return [to_attempt_row(r) for r in self.db.execute_sql(sql, [delivery_id, *params]).fetchall()]

    def attempts_for(self, delivery_ids: Iterable[int]) -> dict[int, list[AttemptRow]]:
        """Attempts of many deliveries in one statement (callers have already applied the filter)."""
        ids = list(delivery_ids)
        out: dict[int, list[AttemptRow]] = {i: [] for i in ids}
        if not ids:
            return out
        marks = ", ".join(self.p for _ in ids)
        sql = f"SELECT delivery_id, {ATTEMPT_COLUMNS} FROM attempts WHERE delivery_id IN ({marks}) " \
              "ORDER BY delivery_id, seq"
        for r in self.db.execute_sql(sql, ids).fetchall():
            out[r[0]].append(to_attempt_row(r[1:]))
        return out

    def hops(self, delivery_id: int, flt: Filter | None) -> list[HopRow]:
        p = self.p
        guard, params = self._owned("id", delivery_id, flt)
        sql = f"{HOP_SQL} WHERE (d.id = {p} OR d.head_id = {p}){guard}"
        found = self.db.execute_sql(sql, [delivery_id, delivery_id, *params]).fetchall()
        return [to_hop_row(r) for r in in_journey_order(found, delivery_id)]

    def hops_for(self, delivery_ids: Iterable[int]) -> dict[int, list[HopRow]]:
        ids = list(delivery_ids)
        out: dict[int, list[HopRow]] = {i: [] for i in ids}
        for start in range(0, len(ids), 400):
            chunk = ids[start:start + 400]
            marks = ", ".join(self.p for _ in chunk)
            sql = f"{HOP_SQL} WHERE d.id IN ({marks}) OR d.head_id IN ({marks})"
            grouped: dict[int, list[Sequence[Any]]] = {}
            for r in self.db.execute_sql(sql, [*chunk, *chunk]).fetchall():
                grouped.setdefault(r[11] if r[11] is not None else r[12], []).append(r)
            for head, found in grouped.items():
                if head in out:
                    out[head] = [to_hop_row(r) for r in in_journey_order(found, head)]
        return out

    def raw_lines(self, message_key: int, flt: Filter | None) -> list[str]:
        guard, params = self._owned("message_key", message_key, flt)
        sql = f"SELECT seq, text FROM raw_lines WHERE message_key = {self.p}{guard} ORDER BY seq"
        lines: list[str] = []
        for seq, text in self.db.execute_sql(sql, [message_key, *params]).fetchall():
            chunk = text.split("\n")
            skip = len(lines) - seq  # a chunk overlapping what we already have (never expected; never doubled)
            lines.extend(chunk[skip:] if skip > 0 else chunk)
        return lines

    def hosts(self) -> list[str]:
        return [r[0] for r in self.db.execute_sql("SELECT name FROM hosts ORDER BY name").fetchall()]

    def meta(self, key: str) -> str | None:
        row = self.db.execute_sql(f"SELECT value FROM meta WHERE key = {self.p}", (key,)).fetchone()
        return row[0] if row else None
