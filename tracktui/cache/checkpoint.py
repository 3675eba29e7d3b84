"""Checkpoint an SQLite cache's write-ahead log in a background thread, off the writer's path.

A large sync commits a batch every third of a second. With SQLite's automatic
checkpoints, the commit that crosses the threshold also copies the WAL back
into the database file and fsyncs it before returning: over a million-line
sync about a fifth of the writing process's time. Instead, the writer
connection turns automatic checkpoints off and calls
:meth:`WalCheckpointer.committed` after each commit; this thread then runs a
``PASSIVE`` checkpoint (it never blocks the writer or readers) on a connection
of its own while the writer moves on to the next batch -- the arrangement
SQLite's WAL documentation suggests for applications that want checkpoints out
of the write path. ``sqlite3`` releases the GIL while SQLite works, so the
copy runs on the other core.

The WAL can only start over once every frame in it is checkpointed, so if the
checkpoints fall behind a busy writer the log keeps growing: past
``limit_bytes`` the writer waits for the running checkpoint before its next
transaction, which bounds the file (see :meth:`WalCheckpointer.before_write`).
"""

from __future__ import annotations

import os
import sqlite3
import threading
from contextlib import suppress

DEFAULT_LIMIT_BYTES = 64 * 1024 * 1024
JOURNAL_SIZE_LIMIT = DEFAULT_LIMIT_BYTES // 2
"""``journal_size_limit`` of the writer: SQLite cuts the WAL file back to this when the log restarts,
so the file's size tells how far the checkpoints are behind."""


class WalCheckpointer:
    """One background checkpointing thread for one SQLite database file.

    Args:
        path: the database file (its WAL is ``path + "-wal"``).
        limit_bytes: WAL size past which :meth:`before_write` waits for the checkpoint in progress.
    """

    def __init__(self, path: str, *, limit_bytes: int = DEFAULT_LIMIT_BYTES) -> None:
        self._path = path
        self._wal = path + "-wal"
        self._limit = limit_bytes
        self._wake = threading.Event()
        self._idle = threading.Event()
        """Set when every commit so far has been checkpointed (or tried)."""
        self._idle.set()
        self._lock = threading.Lock()
        self._commits = 0
        self._stopping = False
        self.checkpoints = 0
        """Checkpoints run so far (for tests and benchmarks)."""
        self._thread = threading.Thread(target=self._run, name="tracktui-wal-checkpoint", daemon=True)
        self._thread.start()

    def committed(self) -> None:
        """A write transaction committed: checkpoint what it added, in the background."""
        with self._lock:
            self._commits += 1
            self._idle.clear()
            self._wake.set()

    def before_write(self) -> None:
        """Called before a write transaction: if the WAL has grown past the limit, let the checkpoint finish.

        The transaction that starts after a complete checkpoint writes from the start of the WAL again.
        """
        try:
            size = os.stat(self._wal).st_size
        except OSError:
            return
        if size > self._limit:
            self._idle.wait()

    def close(self) -> None:
        """Stop the thread after its current checkpoint; the last connection to close checkpoints the rest."""
        self._stopping = True
        self._wake.set()
        self._thread.join()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until every commit so far has been checkpointed; False on timeout."""
        return self._idle.wait(timeout)

    @staticmethod
    def _checkpoint(conn: sqlite3.Connection) -> None:
        conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    def _run(self) -> None:
        conn = sqlite3.connect(self._path, check_same_thread=False)
        try:
            while True:
                self._wake.wait()
                with self._lock:
                    self._wake.clear()
                    covered = self._commits
                if self._stopping:
                    return
                with suppress(sqlite3.Error):  # a busy or failed checkpoint is retried after the next commit
                    self._checkpoint(conn)
                    self.checkpoints += 1
                with self._lock:
                    if self._commits == covered:
                        self._idle.set()
        finally:
            self._idle.set()
            conn.close()
