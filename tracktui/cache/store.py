"""The :class:`Cache` facade: the only object views and the sync orchestrator talk to.

Each call takes its own connection (``connection_context``), so worker
threads never share or leak one. Writes are serialised by a lock within the
process and by SQLite's write lock (``BEGIN IMMEDIATE`` + busy timeout)
between processes; reads run concurrently thanks to WAL.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time as _time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import peewee as pw

from tracktui.cache import db as dbmod
from tracktui.cache.checkpoint import JOURNAL_SIZE_LIMIT, WalCheckpointer
from tracktui.cache.ingest import BatchWriter
from tracktui.cache.journeys import settle_unretried
from tracktui.cache.models import Models, build_models
from tracktui.cache.queries import Reader
from tracktui.cache.retention import cutoff
from tracktui.cache.retention import prune as prune_rows
from tracktui.cache.schema import ensure_schema
from tracktui.errors import CacheError, DamagedCacheError
from tracktui.journeys.locality import Locality
from tracktui.model import (
    DEFAULT_RETENTION_DAYS,
    AttemptRow,
    DeliveryRow,
    Filter,
    HopRow,
    Message,
    Page,
    PageCursor,
    Status,
)
from tracktui.rows import Rows

REPORT_BATCH = 500


_DAMAGED = ("malformed", "not a database", "file is encrypted")
"""SQLite's words for a corrupt file."""


def damaged_or_plain(location: str, error: Exception, path: Path | None = None) -> CacheError:
    """One line for a database error: a full disk, a corrupt file or a directory SQLite cannot write gets
    what to do; the first two are storage trouble (exit 5), not a mistake in the command (exit 2)."""
    first = (str(error).strip().splitlines() or [type(error).__name__])[0]
    if path is not None and ("unable to open" in first or "readonly" in first) and not os.access(path.parent, os.W_OK):
        return CacheError(f"cache {location}: {first}; SQLite's WAL needs a writable directory and "
                          f"{path.parent} is read-only for you (move the cache or make the directory writable)")
    if "disk is full" in first or "No space left" in first:
        return DamagedCacheError(f"cache {location}: the disk is full ({first}); free some space and sync again "
                                 "(the cache stays consistent: the batch that did not fit was not written)")
    if any(words in first for words in _DAMAGED):
        return DamagedCacheError(
            f"cache {location} is damaged ({first}); recover it with `sqlite3 {location} .recover`, or delete it: "
            "it is only a cache, the next sync reads the logs again")
    return CacheError(f"cache {location}: {first}")


class Cache:
    """Local memory of what the logs said: idempotent batch writes in, filtered pages out."""

    def __init__(self, database: pw.Database, target: dbmod.Target, *, retention_days: int) -> None:
        self._db = database
        self._target = target
        self.retention_days = retention_days
        self.models: Models = build_models(database)
        self._reader = Reader(database)
        self._writer = BatchWriter(database)
        self._write_lock = threading.Lock()
        self._wconn: Any = None
        self._checkpointer: WalCheckpointer | None = None
        self.notices: list[str] = []
        """One-line messages for the user (e.g. the cache was rebuilt); the CLI prints them."""

    @classmethod
    def open(
        cls,
        url: str | None = None,
        *,
        retention_days: int = DEFAULT_RETENTION_DAYS,
        on_notice: Callable[[str], None] | None = None,
    ) -> Cache:
        """Open (creating or rebuilding if needed) the cache at ``url``; ``None`` = the default SQLite file.

        ``on_notice`` receives one-line messages such as "cache ... rebuilt"; they are also kept in
        :attr:`notices`. Raises :class:`CacheError` with one clear line when the cache cannot be used.
        """
        if retention_days < 1:
            raise CacheError(f"retention must be at least one day, not {retention_days}")
        target = dbmod.resolve(url)
        database = dbmod.connect(target)
        dbmod.check_reachable(database, target)
        cache = cls(database, target, retention_days=retention_days)
        with cache._write_lock, cache._conn():
            notice = ensure_schema(database, cache.models, target.display)
        if notice:
            cache.notices.append(notice)
            if on_notice is not None:
                on_notice(notice)
        return cache

    @property
    def locality(self) -> Locality:
        """Which relays and clients are our own: rows are built and journeys linked by it."""
        return self._writer.linker.locality

    def use_locality(self, locality: Locality) -> None:
        """Set :attr:`locality` (the commands set it from the config's ``internal_relays``)."""
        self._writer.linker.locality = locality

    @property
    def location(self) -> str:
        """Where the cache lives, without any password."""
        return self._target.display

    def close(self) -> None:
        """Release every connection this cache holds."""
        with self._write_lock:
            if self._checkpointer is not None:
                self._checkpointer.close()
                self._checkpointer = None
            if self._wconn is not None:
                self._wconn.close()
                self._wconn = None
        close_all = getattr(self._db, "close_all", None)
        if close_all is not None:
            close_all()
        elif not self._db.is_closed():
            self._db.close()

    def __enter__(self) -> Cache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- connections and transactions --------------------------------------------------------------

    @contextmanager
    def _conn(self) -> Iterator[None]:
        try:
            with self._db.connection_context():
                yield
        except (pw.DatabaseError, sqlite3.DatabaseError, pw.InterfaceError) as exc:
            raise damaged_or_plain(self.location, exc, self._target.path) from exc

    @contextmanager
    def _writing(self) -> Iterator[Any]:
        """One write transaction at a time; yields the DB-API connection to write on.

        SQLite writes go through one long-lived connection (``BEGIN IMMEDIATE``
        waits for other processes up to the busy timeout): a fresh connection
        per batch would start with a cold page cache and checkpoint the WAL
        whenever it closed. PostgreSQL uses the thread's pooled connection.
        """
        with self._write_lock:
            if self._target.kind != "sqlite":
                import psycopg2

                try:
                    with self._conn(), self._db.atomic():
                        yield self._db.connection()
                except psycopg2.OperationalError as exc:
                    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
                    raise CacheError(f"cache {self.location}: {first}") from exc
                return
            try:
                if self._wconn is None:
                    # peewee builds the connection with its pragmas, outside its thread-local state (no public
                    # API does both; SqliteDatabase._connect is stable since peewee 3.0).
                    self._wconn = self._db._connect()  # type: ignore[attr-defined]
                    if self._target.path is not None:  # checkpoints in a thread: see tracktui.cache.checkpoint
                        self._wconn.execute("PRAGMA wal_autocheckpoint = 0")
                        self._wconn.execute(f"PRAGMA journal_size_limit = {JOURNAL_SIZE_LIMIT}")
                        self._checkpointer = WalCheckpointer(str(self._target.path))
                conn = self._wconn
                if self._checkpointer is not None:
                    self._checkpointer.before_write()
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise damaged_or_plain(self.location, exc, self._target.path) from exc
            try:
                yield conn
                conn.execute("COMMIT")
                if self._checkpointer is not None:
                    self._checkpointer.committed()
            except BaseException as exc:
                with suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.DatabaseError):
                    raise damaged_or_plain(self.location, exc, self._target.path) from exc
                raise

    # -- query API (views) -------------------------------------------------------------------------

    def search(self, flt: Filter, *, after: PageCursor | None = None, limit: int = 100) -> Page:
        """One page of matches, newest first; pass ``page.next_cursor`` as ``after`` for the next one."""
        with self._conn():
            return self._reader.search(flt, after, limit)

    def count_by_status(self, flt: Filter) -> dict[Status, int]:
        """Matches per status under every field of ``flt`` except ``statuses``."""
        with self._conn():
            return self._reader.count_by_status(flt)

    def count_by_direction(self, flt: Filter) -> dict[str, int]:
        """Matches per direction (``outbound``/``inbound``/``local``) under every other field of ``flt``."""
        with self._conn():
            return self._reader.count_by_direction(flt)

    def iter_deliveries(self, flt: Filter, *, page_size: int = 1000) -> Iterator[DeliveryRow]:
        """Every match, newest first, fetched page by page (no connection held between pages)."""
        after: PageCursor | None = None
        while True:
            page = self.search(flt, after=after, limit=page_size)
            yield from page.rows
            if page.next_cursor is None:
                return
            after = page.next_cursor

    def iter_report_rows(self, flt: Filter) -> Iterator[tuple[DeliveryRow, list[AttemptRow]]]:
        """Every match with its attempts (oldest first), newest first; one attempts query per page."""
        after: PageCursor | None = None
        while True:
            with self._conn():
                page = self._reader.search(flt, after, REPORT_BATCH)
                attempts = self._reader.attempts_for(r.delivery_id for r in page.rows)
            for row in page.rows:
                yield row, attempts[row.delivery_id]
            if page.next_cursor is None:
                return
            after = page.next_cursor

    def iter_journeys(self, flt: Filter) -> Iterator[tuple[DeliveryRow, list[AttemptRow], list[HopRow]]]:
        """:meth:`iter_report_rows` with each journey's hops (the JSON output)."""
        after: PageCursor | None = None
        while True:
            with self._conn():
                page = self._reader.search(flt, after, REPORT_BATCH)
                ids = [r.delivery_id for r in page.rows]
                attempts = self._reader.attempts_for(ids)
                hops = self._reader.hops_for(ids)
            for row in page.rows:
                yield row, attempts[row.delivery_id], hops[row.delivery_id]
            if page.next_cursor is None:
                return
            after = page.next_cursor

    def message_deliveries(self, message_key: int, flt: Filter | None = None) -> list[DeliveryRow]:
        """Every recipient of one message (only if it was sent by ``flt.bound_sender``, when set)."""
        with self._conn():
            return self._reader.message_deliveries(message_key, flt)

    def notices_for(self, message_key: int, flt: Filter | None = None) -> list[DeliveryRow]:
        """The bounce/delay notifications our server sent about one message (hidden from listings)."""
        with self._conn():
            return self._reader.notices_for(message_key, flt)

    def attempts(self, delivery_id: int, flt: Filter | None = None) -> list[AttemptRow]:
        """Attempts of one delivery, oldest first (empty if ``flt.bound_sender`` does not own it)."""
        with self._conn():
            return self._reader.attempts(delivery_id, flt)

    def hops(self, delivery_id: int, flt: Filter | None = None) -> list[HopRow]:
        """The legs of the journey shown on ``delivery_id``, oldest first (one for a plain delivery)."""
        with self._conn():
            return self._reader.hops(delivery_id, flt)

    def hops_for(self, delivery_ids: Iterable[int]) -> dict[int, list[HopRow]]:
        """:meth:`hops` of many journeys in one statement (callers have already applied the filter)."""
        with self._conn():
            return self._reader.hops_for(delivery_ids)

    def raw_lines(self, message_key: int, flt: Filter | None = None) -> list[str]:
        """The log lines of one message, in order (empty if ``flt.bound_sender`` did not send it)."""
        with self._conn():
            return self._reader.raw_lines(message_key, flt)

    def hosts(self) -> list[str]:
        """Mail hosts with data in the cache, sorted."""
        with self._conn():
            return self._reader.hosts()

    def last_sync(self) -> float | None:
        """Epoch of the last completed sync, or ``None``."""
        with self._conn():
            value = self._reader.meta("last_sync")
        return float(value) if value is not None else None

    # -- ingest API (sync orchestrator) ------------------------------------------------------------

    def source_state(self, source_id: str) -> dict[str, Any] | None:
        """The JSON state saved with the last committed batch of ``source_id``."""
        with self._conn():
            return self._writer.source_state(source_id)

    def load_live(self, source_id: str) -> list[Message]:
        """Messages of ``source_id`` still in the queue, for ``Correlator.restore``."""
        with self._conn():
            return self._writer.load_live(source_id)

    def commit_batch(self, source_id: str, messages: list[Message], state: dict[str, Any], *, url: str,
                     hosts: Iterable[str] = ()) -> None:
        """Store one drained batch and the source state after it, in one transaction; idempotent."""
        with self._writing() as conn:
            self._writer.commit(conn, source_id, messages, state, url=url, hosts=hosts, now=_time.time())

    def commit_rows(self, source_id: str, rows: Rows, state: dict[str, Any], *, url: str) -> None:
        """Store one batch already turned into rows (:func:`build_rows`) and the source state, in one transaction.

        The sync pipeline builds rows in a worker process; this is the writing half of :meth:`commit_batch`.
        """
        with self._writing() as conn:
            self._writer.commit_rows(conn, source_id, rows, state, url=url, now=_time.time())

    def prune(self, retention_days: int | None = None, now: float | None = None) -> int:
        """Delete messages last seen before the retention window; return the deliveries removed."""
        days = retention_days if retention_days is not None else self.retention_days
        moment = now if now is not None else _time.time()
        with self._writing() as conn:
            return prune_rows(conn, self._writer.param, cutoff(days, moment))

    def mark_synced(self, now: float) -> None:
        """Record a completed sync (``last_sync()``), and let SQLite refresh its planner statistics."""
        p = self._writer.param
        with self._writing() as conn:
            cur = conn.cursor()
            cur.execute(f"INSERT INTO meta (key, value) VALUES ({p}, {p}) "
                        "ON CONFLICT (key) DO UPDATE SET value = excluded.value", ("last_sync", repr(float(now))))
            settle_unretried(cur)
            cur.close()
        if self._target.kind == "sqlite":
            with self._write_lock:
                if self._wconn is not None:
                    self._wconn.execute("PRAGMA optimize")


