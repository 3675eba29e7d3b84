"""The cache's tables as peewee models, built per database so SQLite and PostgreSQL caches can coexist.

Layout (every time is a float, seconds since the epoch, UTC):

- ``meta``: key/value (``schema_version``, ``last_sync``).
- ``sources``: one row per log source: URL, the JSON cursor state saved with
  the last committed batch, when it was saved.
- ``hosts``: the mail hosts seen (with their newest message's time, for
  retention), so ``hosts()`` never scans deliveries. The
  host name itself stays a text column on messages and deliveries: a join on
  every query would cost more than the few bytes it saves.
- ``messages``: one submission; ``live`` + ``source_id`` select what the
  correlator must resume; ``pending`` holds its qmail delivery numbers (JSON).
- ``deliveries``: one recipient, *denormalised*: the message fields every
  filter needs (host, sender, subject, ids, first seen) and the latest
  attempt's relay/code/dsn/reply/delay live on the row, so every filter is a
  single-table indexed query. Addresses and domains are stored lowercased in
  their own columns so ``@domain`` and exact addresses are index equalities.
- ``attempts``: ``(delivery_id, seq)``; ``raw_lines``: ``(message_key, seq)``
  with one row per drained chunk of a message's lines (``seq`` = index of the
  chunk's first line), ``text`` = the lines joined by newlines.

Indexes serve the keyset queries, which always order by ``(time, id)`` newest
first and run one branch per status (see ``queries.py``): ``(status, time,
id)`` for time-range listings and ``(X, status, time, id)`` for recipient,
recipient domain and sender, so each branch is one index range read. Queue
ids and Message-IDs are looked up on ``messages`` (one index entry per
message, not per recipient: every index on ``deliveries`` costs ingest speed)
and reach deliveries through ``deliveries(message_key)``.

Write amplification decides ingest speed in SQLite: keys are random 63-bit
hashes, so keying the tables on them would rewrite pages all over the file on
every batch. Messages and deliveries are therefore ordinary rowid tables
appended in arrival order (``rid``), with the key as a unique index; attempts
and raw lines are rowid tables too, their composite key a separate index.
No foreign keys are declared: rows are written and pruned together by this
package, in one transaction, and undeclared keys cost no lookup per insert.
"""

from __future__ import annotations

from dataclasses import dataclass

import peewee as pw


@dataclass(frozen=True, slots=True)
class Models:
    """The model classes bound to one database."""

    meta: type[pw.Model]
    source: type[pw.Model]
    host: type[pw.Model]
    message: type[pw.Model]
    delivery: type[pw.Model]
    attempt: type[pw.Model]
    raw_line: type[pw.Model]

    def all(self) -> list[type[pw.Model]]:
        """In creation order (parents before children)."""
        return [self.meta, self.source, self.host, self.message, self.delivery, self.attempt, self.raw_line]


def build_models(db: pw.Database) -> Models:
    """Model classes for ``db``: indexes and table options depend on the backend."""
    sqlite = isinstance(db, pw.SqliteDatabase)

    class Base(pw.Model):
        class Meta:
            database = db
            legacy_table_names = False

    class Meta(Base):
        key = pw.TextField(primary_key=True)
        value = pw.TextField()

        class Meta:
            table_name = "meta"

    class Source(Base):
        id = pw.TextField(primary_key=True)
        url = pw.TextField()
        state = pw.TextField()
        updated = pw.DoubleField()

        class Meta:
            table_name = "sources"

    class Host(Base):
        name = pw.TextField(primary_key=True)
        last_seen = pw.DoubleField()

        class Meta:
            table_name = "hosts"

    class Message(Base):
        if sqlite:
            rid = pw.AutoField()  # rows appended in arrival order; the random 63-bit key is a unique index
        id = pw.BigIntegerField(primary_key=not sqlite, unique=sqlite)
        source_id = pw.TextField()
        host = pw.TextField()
        mta = pw.TextField()
        queue_id = pw.TextField(index=True)
        message_id = pw.TextField(null=True, index=True)
        sender = pw.TextField(null=True)
        subject = pw.TextField(null=True)
        size = pw.BigIntegerField(null=True)
        nrcpt = pw.IntegerField(null=True)
        client = pw.TextField(null=True)
        first_seen = pw.DoubleField()
        last_seen = pw.DoubleField(index=True)
        expired = pw.BooleanField()
        live = pw.BooleanField()
        notice_of_key = pw.BigIntegerField(null=True, index=True)
        notice_kind = pw.TextField(null=True)
        pending = pw.TextField(null=True)
        line_count = pw.IntegerField()

        class Meta:
            table_name = "messages"

    Message.add_index(Message.index(Message.source_id, where=(Message.live == True)))  # noqa: E712

    class Delivery(Base):
        if sqlite:
            rid = pw.AutoField()
        id = pw.BigIntegerField(primary_key=not sqlite, unique=sqlite)
        message_key = pw.BigIntegerField(index=True)
        host = pw.TextField()
        mta = pw.TextField()
        queue_id = pw.TextField()
        message_id = pw.TextField(null=True)
        sender = pw.TextField(null=True)
        sender_lc = pw.TextField()
        sender_domain = pw.TextField()
        recipient = pw.TextField()
        recipient_lc = pw.TextField()
        recipient_domain = pw.TextField()
        orig_recipient = pw.TextField(null=True)
        subject = pw.TextField(null=True)
        size = pw.BigIntegerField(null=True)
        client = pw.TextField(null=True)
        expired = pw.BooleanField()
        notice_kind = pw.TextField(null=True)
        message_time = pw.DoubleField()
        status = pw.SmallIntegerField()
        time = pw.DoubleField()
        attempt_count = pw.IntegerField()
        relay = pw.TextField(null=True)
        delay = pw.DoubleField(null=True)
        code = pw.IntegerField(null=True)
        dsn = pw.TextField(null=True)
        reply = pw.TextField(null=True)
        leg = pw.SmallIntegerField()
        leg_status = pw.SmallIntegerField()
        leg_time = pw.DoubleField()
        direction = pw.SmallIntegerField()
        next_qid = pw.TextField(null=True)
        alt_lc = pw.TextField(null=True)
        # Written by the journey linker only (never by a leg's upsert):
        head_id = pw.BigIntegerField(null=True)
        prev_id = pw.BigIntegerField(null=True)
        final_id = pw.BigIntegerField(null=True)
        final_recipient = pw.TextField(null=True)
        hop_count = pw.IntegerField(null=True)

        class Meta:
            table_name = "deliveries"
            # notice_kind closes each index so that counts, which exclude the notices we sent,
            # are answered from the index alone (no row lookups).
            indexes = (
                (("status", "time", "id", "notice_kind"), False),
                (("recipient_lc", "status", "time", "id", "notice_kind"), False),
                (("recipient_domain", "status", "time", "id", "notice_kind"), False),
                (("sender_lc", "status", "time", "id", "notice_kind"), False),
            )

    # Partial indexes: only hand-offs, aliased or multi-leg rows have these, so they cost ingest little.
    Delivery.add_index(Delivery.index(Delivery.next_qid, where=Delivery.next_qid.is_null(False)))
    Delivery.add_index(Delivery.index(Delivery.alt_lc, Delivery.status, Delivery.time, Delivery.id,
                                      Delivery.notice_kind, where=Delivery.alt_lc.is_null(False)))
    Delivery.add_index(Delivery.index(Delivery.head_id, where=Delivery.head_id.is_null(False)))
    Delivery.add_index(Delivery.index(Delivery.prev_id, where=Delivery.prev_id.is_null(False)))
    # Our temporary refusals not yet taken into a journey (greylisting), by recipient.
    Delivery.add_index(Delivery.index(Delivery.recipient_lc, Delivery.time,
                                      where=(Delivery.leg == 3) & (Delivery.status == 1)))

    class Attempt(Base):
        delivery_id = pw.BigIntegerField()
        seq = pw.IntegerField()
        time = pw.DoubleField()
        result = pw.SmallIntegerField()
        relay = pw.TextField(null=True)
        delay = pw.DoubleField(null=True)
        code = pw.IntegerField(null=True)
        dsn = pw.TextField(null=True)
        reply = pw.TextField(null=True)

        class Meta:
            table_name = "attempts"
            primary_key = pw.CompositeKey("delivery_id", "seq")

    class RawLine(Base):
        message_key = pw.BigIntegerField()
        seq = pw.IntegerField()
        text = pw.TextField()

        class Meta:
            table_name = "raw_lines"
            primary_key = pw.CompositeKey("message_key", "seq")

    return Models(Meta, Source, Host, Message, Delivery, Attempt, RawLine)
