"""The WAL is checkpointed by a background thread, and a lagging checkpoint bounds the log."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from tracktui.cache import Cache
from tracktui.cache.checkpoint import WalCheckpointer
from tracktui.cache.store import Cache as StoreCache

ROW = "x" * 2000


def wal_database(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode = wal")
    conn.execute("PRAGMA wal_autocheckpoint = 0")
    conn.execute("PRAGMA journal_size_limit = 0")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, text TEXT)")
    return conn


def write_batch(conn: sqlite3.Connection, start: int, rows: int = 100) -> None:
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany("INSERT INTO t VALUES (?, ?)", ((start + i, ROW) for i in range(rows)))
    conn.execute("COMMIT")


def test_commits_are_copied_into_the_database_file_in_the_background(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    conn = wal_database(path)
    checkpointer = WalCheckpointer(str(path))
    try:
        before = path.stat().st_size
        write_batch(conn, 0)
        assert path.stat().st_size == before  # autocheckpoint is off: the rows are only in the WAL
        checkpointer.committed()
        assert checkpointer.wait_idle(timeout=10)
        assert checkpointer.checkpoints >= 1
        assert path.stat().st_size > before + 100 * len(ROW) // 2
    finally:
        checkpointer.close()
        conn.close()
    assert not any(t.name == "tracktui-wal-checkpoint" for t in threading.enumerate())


class SlowCheckpointer(WalCheckpointer):
    """A checkpoint that lags far behind the writer, as on a loaded machine."""

    @staticmethod
    def _checkpoint(conn: sqlite3.Connection) -> None:
        time.sleep(0.3)
        WalCheckpointer._checkpoint(conn)


def max_wal_size(path: Path, *, bounded: bool) -> int:
    conn = wal_database(path)
    checkpointer = SlowCheckpointer(str(path), limit_bytes=600_000)
    biggest = 0
    try:
        for batch in range(12):
            if bounded:
                checkpointer.before_write()
            write_batch(conn, batch * 100)
            checkpointer.committed()
            biggest = max(biggest, os.stat(f"{path}-wal").st_size)
    finally:
        checkpointer.close()
        conn.close()
    return biggest


def test_a_lagging_checkpoint_makes_the_writer_wait_past_the_limit(tmp_path: Path) -> None:
    batch_bytes = 100 * len(ROW)
    unbounded = max_wal_size(tmp_path / "free.db", bounded=False)
    bounded = max_wal_size(tmp_path / "bounded.db", bounded=True)
    assert unbounded > 8 * batch_bytes  # the slow checkpoint cannot keep up on its own
    assert bounded < 600_000 + 3 * batch_bytes


def test_cache_writer_checkpoints_in_the_background_and_close_stops_the_thread(tmp_path: Path) -> None:
    from tests.test_cache_ingest import make_message

    with Cache.open(str(tmp_path / "cache.sqlite3")) as cache:
        assert isinstance(cache, StoreCache)
        cache.commit_batch("file:/x", [make_message()], {"v": 1}, url="file:/x")
        checkpointer = cache._checkpointer
        assert checkpointer is not None and checkpointer.wait_idle(timeout=10)
        assert checkpointer.checkpoints >= 1
        assert cache._wconn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
    assert not any(t.name == "tracktui-wal-checkpoint" for t in threading.enumerate())


@pytest.mark.parametrize("rows", [1, 50])
def test_data_is_whole_after_background_checkpoints(tmp_path: Path, rows: int) -> None:
    path = tmp_path / "c.db"
    conn = wal_database(path)
    checkpointer = WalCheckpointer(str(path), limit_bytes=100_000)
    try:
        for batch in range(10):
            checkpointer.before_write()
            write_batch(conn, batch * rows, rows)
            checkpointer.committed()
    finally:
        checkpointer.close()
        conn.close()
    with sqlite3.connect(path) as check:
        assert check.execute("SELECT COUNT(*), COUNT(DISTINCT id) FROM t").fetchone() == (10 * rows, 10 * rows)
        assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)
