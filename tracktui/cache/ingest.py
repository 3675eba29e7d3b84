"""Bulk, idempotent writes of correlator output, and the reads a sync needs to resume.

The hot path bypasses peewee's per-row model machinery: rows are plain
tuples (built by :mod:`tracktui.rows`) handed to the DB-API cursor (``executemany`` on SQLite,
``psycopg2.extras.execute_values`` on PostgreSQL) as ``INSERT ... ON
CONFLICT`` statements, so re-applying a batch changes nothing. Messages and
deliveries are upserted (a later batch may know more: subject, status, the
latest attempt); attempts and raw-line chunks are keyed by their position and
only ever inserted.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

import peewee as pw

from tracktui.cache.journeys import JourneyLinker
from tracktui.journeys.locality import DEFAULT_LOCALITY, LegKind, Locality
from tracktui.model import Attempt, Delivery, Message, NoticeKind
from tracktui.rows import (
    ATTEMPT_COLUMNS,
    CODE_TO_RESULT,
    CODE_TO_STATUS,
    DELIVERY_COLUMNS,
    MESSAGE_COLUMNS,
    RAW_COLUMNS,
    Rows,
    build_rows,
)

_HOST = MESSAGE_COLUMNS.index("host")
_LAST_SEEN = MESSAGE_COLUMNS.index("last_seen")


JOURNEY_KEPT: dict[str, str] = {
    "status": "deliveries.head_id IS NOT NULL OR deliveries.final_id IS NOT NULL",
    **dict.fromkeys(("time", "relay", "delay", "code", "dsn", "reply", "direction", "alt_lc"),
                    "deliveries.final_id IS NOT NULL"),
}
"""Delivery columns the journey linker owns once a leg is linked (the leg's own values are in ``leg_*``
and its attempts): a re-read of the leg must not overwrite what the journey shows. A hidden leg keeps
only its status (-1); its other columns stay its own, so any split of the log into batches stores the
same rows."""


def _insert_sql(table: str, columns: Sequence[str], key: Sequence[str], *, update: bool, values: str,
                differs: str = "IS NOT", kept: dict[str, str] | None = None) -> str:
    """``INSERT ... ON CONFLICT``: update changed rows only (an unchanged row keeps its index entries), or skip.

    ``kept`` maps a column to a condition under which the stored value stays.
    """
    cols = ", ".join(columns)
    conflict = ", ".join(key)
    if update:
        rest = [c for c in columns if c not in key]
        kept = kept or {}
        sets = ", ".join(
            f"{c} = CASE WHEN {kept[c]} THEN {table}.{c} ELSE excluded.{c} END" if c in kept else f"{c} = excluded.{c}"
            for c in rest
        )
        changed = " OR ".join(f"{table}.{c} {differs} excluded.{c}" for c in rest)
        action = f"DO UPDATE SET {sets} WHERE {changed}"
    else:
        action = "DO NOTHING"
    return f"INSERT INTO {table} ({cols}) VALUES {values} ON CONFLICT ({conflict}) {action}"


class BatchWriter:
    """Prepared statements for one backend and the code that turns messages into rows."""

    def __init__(self, db: pw.Database, locality: Locality = DEFAULT_LOCALITY) -> None:
        self.db = db
        self.sqlite = isinstance(db, pw.SqliteDatabase)
        self.linker = JourneyLinker(self.sqlite, locality)
        self.param = "?" if self.sqlite else "%s"
        self._sql: dict[str, str] = {}
        for name, table, cols, key, update in (
            ("messages", "messages", MESSAGE_COLUMNS, ("id",), True),
            ("deliveries", "deliveries", DELIVERY_COLUMNS, ("id",), True),
            ("attempts", "attempts", ATTEMPT_COLUMNS, ("delivery_id", "seq"), False),
            ("raw", "raw_lines", RAW_COLUMNS, ("message_key", "seq"), False),
        ):
            # SQLite: one row of placeholders for executemany; PostgreSQL: one %s for execute_values.
            values = "(" + ", ".join("?" for _ in cols) + ")" if self.sqlite else "%s"
            self._sql[name] = _insert_sql(table, cols, key, update=update, values=values,
                                          differs="IS NOT" if self.sqlite else "IS DISTINCT FROM",
                                          kept=JOURNEY_KEPT if name == "deliveries" else None)

    def _write(self, cursor: Any, name: str, rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        if self.sqlite:
            # executemany: one prepared statement, rows bound in C. (Multi-row VALUES measured no faster.)
            cursor.executemany(self._sql[name], rows)
        else:
            from psycopg2.extras import execute_values

            execute_values(cursor, self._sql[name], rows, page_size=2000)

    def commit(self, conn: Any, source_id: str, messages: Sequence[Message], state: dict[str, Any], *, url: str,
               hosts: Iterable[str], now: float) -> None:
        """Write one batch and the source state on DB-API connection ``conn``, inside the caller's transaction."""
        self.commit_rows(conn, source_id, build_rows(source_id, messages), state, url=url, hosts=hosts, now=now)

    def commit_rows(self, conn: Any, source_id: str, rows: Rows, state: dict[str, Any], *, url: str,
                    hosts: Iterable[str] = (), now: float) -> None:
        """Write rows made by :func:`build_rows` and the source state, inside the caller's transaction.

        Each host of the message rows (plus ``hosts``) gets its newest ``last_seen``.
        """
        msg_rows, dlv_rows, att_rows, raw_rows = rows
        cursor = conn.cursor()
        try:
            newest: dict[str, float] = dict.fromkeys((h for h in hosts if h), 0.0)
            for row in msg_rows:
                host, seen = row[_HOST], row[_LAST_SEEN]
                if host and seen > newest.get(host, 0.0):
                    newest[host] = seen
            p = self.param
            bigger = "MAX" if self.sqlite else "GREATEST"
            if newest:
                cursor.executemany(
                    f"INSERT INTO hosts (name, last_seen) VALUES ({p}, {p}) ON CONFLICT (name) "
                    f"DO UPDATE SET last_seen = {bigger}(hosts.last_seen, excluded.last_seen)",
                    sorted(newest.items()),
                )
            self._write(cursor, "messages", msg_rows)
            self._write(cursor, "deliveries", dlv_rows)
            self._write(cursor, "attempts", att_rows)
            self._write(cursor, "raw", raw_rows)
            self.linker.link(cursor, msg_rows, dlv_rows)
            cursor.execute(
                f"INSERT INTO sources (id, url, state, updated) VALUES ({p}, {p}, {p}, {p}) "
                "ON CONFLICT (id) DO UPDATE SET url = excluded.url, state = excluded.state, updated = excluded.updated",
                (source_id, url, json.dumps(state, sort_keys=True), now),
            )
        finally:
            cursor.close()

    def source_state(self, source_id: str) -> dict[str, Any] | None:
        row = self.db.execute_sql(f"SELECT state FROM sources WHERE id = {self.param}", (source_id,)).fetchone()
        return json.loads(row[0]) if row else None

    def load_live(self, source_id: str) -> list[Message]:
        """Live messages of one source with all their deliveries (latest attempt in ``last``)."""
        p = self.param
        live = "1" if self.sqlite else "TRUE"  # a literal, so the partial index (WHERE live) applies
        messages: dict[int, Message] = {}
        for row in self.db.execute_sql(
            "SELECT id, host, queue_id, first_seen, last_seen, mta, message_id, sender, subject, size, nrcpt, "
            "client, expired, notice_of_key, notice_kind, pending, line_count "
            f"FROM messages WHERE source_id = {p} AND live = {live} ORDER BY first_seen, id",
            (source_id,),
        ):
            messages[row[0]] = Message(
                key=row[0], host=row[1], queue_id=row[2], first_seen=row[3], last_seen=row[4], mta=row[5],
                message_id=row[6], sender=row[7], subject=row[8], size=row[9], nrcpt=row[10], client=row[11],
                expired=bool(row[12]), live=True, notice_of_key=row[13],
                notice_kind=NoticeKind(row[14]) if row[14] is not None else None,
                pending=json.loads(row[15]) if row[15] else {}, line_count=row[16],
            )
        if not messages:
            return []
        for row in self.db.execute_sql(
            "SELECT d.message_key, d.id, d.recipient, d.leg_status, d.orig_recipient, d.leg_time, d.attempt_count, "
            "a.time, a.result, a.relay, a.delay, a.code, a.dsn, a.reply, d.leg "
            "FROM deliveries d JOIN messages m ON m.id = d.message_key "
            "LEFT JOIN attempts a ON a.delivery_id = d.id AND a.seq = d.attempt_count - 1 "
            f"WHERE m.source_id = {p} AND m.live = {live} ORDER BY d.message_key, d.id",
            (source_id,),
        ):
            msg = messages.get(row[0])
            if msg is None:
                continue
            last = None
            if row[7] is not None:
                last = Attempt(time=row[7], result=CODE_TO_RESULT[row[8]], relay=row[9], delay=row[10],
                               code=row[11], dsn=row[12], reply=row[13])
            msg.deliveries[row[2]] = Delivery(
                key=row[1], recipient=row[2], status=CODE_TO_STATUS[row[3]], orig_recipient=row[4], time=row[5],
                attempt_count=row[6], last=last, refused_here=row[14] == LegKind.REFUSED_HERE,
            )
        return list(messages.values())
