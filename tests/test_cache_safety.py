"""A foreign SQLite file given as the cache must not lose its tables."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tracktui.cache import Cache
from tracktui.errors import CacheError


def test_foreign_sqlite_file_is_refused_and_keeps_its_tables(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE messages (id INTEGER, body TEXT)")
    con.execute("CREATE TABLE invoices (id INTEGER)")
    con.execute("INSERT INTO messages VALUES (1, 'keep me')")
    con.commit()
    con.close()
    with pytest.raises(CacheError, match="not a tracktui cache"):
        Cache.open(str(path))
    con = sqlite3.connect(path)
    assert con.execute("SELECT body FROM messages").fetchall() == [("keep me",)]
    assert con.execute("SELECT count(*) FROM invoices").fetchone() == (0,)
    con.close()



def test_search_without_a_cache_says_so_and_creates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "missing.sqlite3"
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "cfg"), "XDG_CACHE_HOME": str(tmp_path / "xc")}
    done = subprocess.run(
        [sys.executable, "-m", "tracktui", "search", "--cache", str(path)],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )
    assert f"no cache at {path} (run tracktui sync first)" in done.stderr
    assert "Traceback" not in done.stderr
    assert done.returncode == 2
    assert not path.exists()


def test_search_does_not_wait_for_a_writer(tmp_path: Path) -> None:
    import time

    path = tmp_path / "cache.sqlite3"
    Cache.open(str(path)).close()
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # another process mid-sync holds the write lock
    try:
        env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "cfg"), "XDG_CACHE_HOME": str(tmp_path / "xc")}
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "tracktui", "search", "--cache", str(path), "--status", "all"],
            capture_output=True, text=True, env=env, timeout=60, check=False,
        )
        elapsed = time.monotonic() - started
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert "locked" not in done.stderr, done.stderr
    assert done.returncode == 1, done.stderr  # an empty cache: nothing matched
    assert elapsed < 8, elapsed  # the busy timeout is 10 s: a reader taking the lock would wait it out


@pytest.mark.parametrize("command", ["search", "sync"])
def test_damaged_cache_is_one_line_with_what_to_do(tmp_path: Path, command: str) -> None:
    fixture = Path(__file__).parent / "fixtures" / "postfix" / "delivery.log"
    path = tmp_path / "cache.sqlite3"
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "cfg"), "XDG_CACHE_HOME": str(tmp_path / "xc")}
    source = f"file:{fixture}"
    subprocess.run([sys.executable, "-m", "tracktui", "sync", "--source", source, "--cache", str(path)],
                   env=env, check=True, capture_output=True, timeout=120)
    with path.open("r+b") as handle:  # garbage over pages in the middle of the file
        handle.seek(16384 * 3)
        handle.write(b"\xa5" * 16384 * 4)
    args = ["search", "--status", "all", "--since", "-60d"] if command == "search" else ["sync", "--source", source]
    done = subprocess.run([sys.executable, "-m", "tracktui", *args, "--cache", str(path)],
                          env=env, capture_output=True, text=True, timeout=120, check=False)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "damaged" in lines[0] and ".recover" in lines[0] and str(path) in lines[0]
    assert done.returncode == 5


def test_a_full_disk_is_its_own_line_and_code(tmp_path: Path) -> None:
    from tracktui.cache.store import damaged_or_plain
    from tracktui.errors import EXIT_CACHE

    path = tmp_path / "c.db"
    con = sqlite3.connect(path)
    con.execute("PRAGMA max_page_count = 2")  # SQLite's own SQLITE_FULL, as on a full disk
    with pytest.raises(sqlite3.OperationalError) as info:
        con.execute("CREATE TABLE t (x)")
        con.executemany("INSERT INTO t VALUES (?)", [("x" * 4000,)] * 50)
    con.close()
    error = damaged_or_plain(str(path), info.value, path)
    assert error.exit_code == EXIT_CACHE and error.exit_code != 2
    assert "disk is full" in str(error) and "free some space" in str(error)


def test_a_read_only_cache_directory_names_the_wal_need(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """SQLite's "unable to open database file" says why when the directory is not writable for the user.

    Root ignores permissions (CI runs as root, and the venv's interpreter under /root is not
    runnable by another user), so the directory's writability is what the check is told.
    """
    import tracktui.cache.store as store

    path = tmp_path / "shared" / "cache.sqlite3"
    path.parent.mkdir()
    error = sqlite3.OperationalError("unable to open database file")
    assert "WAL" not in str(store.damaged_or_plain(str(path), error, path))
    monkeypatch.setattr(store.os, "access", lambda _p, _mode: False)
    words = str(store.damaged_or_plain(str(path), error, path))
    assert "WAL needs a writable directory" in words and str(path.parent) in words
    assert "\n" not in words
