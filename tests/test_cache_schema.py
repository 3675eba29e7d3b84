"""Cache location, file safety, URL handling and schema versioning."""

from __future__ import annotations

import builtins
import os
import re
import sqlite3
import stat
from pathlib import Path

import pytest

from tests.test_cache_ingest import make_message
from tracktui.cache import SCHEMA_VERSION, Cache
from tracktui.cache.db import SQLITE_PRAGMAS, connect, resolve
from tracktui.errors import CacheError
from tracktui.model import Filter, Status

ALL = Filter(statuses=frozenset(Status))


def _set_version(cache_url: str, version: str) -> None:
    """Overwrite the stored schema version behind the cache's back (plain driver, no tracktui)."""
    if cache_url.startswith("sqlite:///"):
        with sqlite3.connect(cache_url.removeprefix("sqlite:///")) as conn:
            conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (version,))
        return
    import psycopg2

    conn = psycopg2.connect(cache_url)
    try:
        with conn, conn.cursor() as cur:
            cur.execute("UPDATE meta SET value = %s WHERE key = 'schema_version'", (version,))
    finally:
        conn.close()


def test_default_cache_is_private_wal_file_under_xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    old = os.umask(0o022)
    try:
        with Cache.open() as cache:
            cache.commit_batch("src", [make_message()], {}, url="file:x")
            path = Path(cache.location)
    finally:
        os.umask(old)
    assert path == tmp_path / "xdg" / "tracktui" / "cache.sqlite3"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA page_size").fetchone()[0] == SQLITE_PRAGMAS["page_size"] == 16384


def test_sqlite_connections_checkpoint_the_wal_less_often_than_sqlite_default(tmp_path: Path) -> None:
    """Connections get the larger autocheckpoint (the sync's writer checkpoints in a thread instead)."""
    db = connect(resolve(str(tmp_path / "c.db")))
    with db.connection_context():
        pages = db.execute_sql("PRAGMA wal_autocheckpoint").fetchone()[0]
        assert db.execute_sql("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL: durable at checkpoint
    assert pages == SQLITE_PRAGMAS["wal_autocheckpoint"]
    assert pages > 1000  # SQLite's default


def test_plain_path_and_sqlite_url_open_the_same_file(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "c.db"
    with pytest.raises(CacheError, match="does not exist"):
        Cache.open(str(path))  # a --cache in a directory that is not there: a typo, not a tree to create
    assert not path.parent.exists()
    path.parent.mkdir()
    with Cache.open(str(path)) as a:
        a.commit_batch("src", [make_message()], {"o": 1}, url="file:x")
    with Cache.open(f"sqlite:///{path}") as b:
        assert b.source_state("src") == {"o": 1}
        assert len(b.search(ALL).rows) == 1
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.parametrize("url", ["mysql://u@h/db", "sqlite:relative.db", "sqlite:///"])
def test_bad_urls_are_one_line_errors(url: str) -> None:
    with pytest.raises(CacheError) as info:
        Cache.open(url)
    assert "\n" not in str(info.value)


def test_unreachable_postgres_is_a_cache_error() -> None:
    with pytest.raises(CacheError, match=re.escape("cannot open cache postgresql://nobody@127.0.0.1:1/x")) as info:
        Cache.open("postgresql://nobody:secret@127.0.0.1:1/x")
    assert "secret" not in str(info.value) and "\n" not in str(info.value)


def test_postgres_url_parts_and_no_password_in_display() -> None:
    target = resolve("postgresql://me:s%40cret@127.0.0.1:5433/mail?sslmode=disable")
    assert target.kind == "postgresql"
    assert target.dsn == {"database": "mail", "host": "127.0.0.1", "port": 5433, "user": "me",
                          "password": "s@cret", "sslmode": "disable"}
    assert "cret" not in target.display


def test_missing_psycopg2_is_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def fake_import(name: str, *args: object, **kwargs: object) -> object:
        if name.startswith("psycopg2"):
            raise ImportError("No module named 'psycopg2'")
        return real_import(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(CacheError, match=r"tracktui\[postgres\]"):
        Cache.open("postgresql://u@127.0.0.1:1/x")


def test_current_version_is_kept(cache_url: str) -> None:
    with Cache.open(cache_url) as cache:
        cache.commit_batch("src", [make_message()], {"o": 1}, url="file:x")
        assert cache.notices == []
    notices: list[str] = []
    with Cache.open(cache_url, on_notice=notices.append) as cache:
        assert notices == [] and cache.source_state("src") == {"o": 1}


@pytest.mark.parametrize("version", ["0", "1", "garbage"])
def test_older_or_unknown_version_is_rebuilt_with_a_notice(cache_url: str, version: str) -> None:
    with Cache.open(cache_url) as cache:
        cache.commit_batch("src", [make_message(live=True)], {"o": 1}, url="file:x")
        cache.mark_synced(1.0)
    _set_version(cache_url, version)
    notices: list[str] = []
    with Cache.open(cache_url, on_notice=notices.append) as cache:
        assert len(notices) == 1 and cache.notices == notices
        assert "older tracktui" in notices[0] and "rebuilt" in notices[0] and "re-reads the logs" in notices[0]
        label = f"schema {version}" if version.isdigit() else "unknown schema"
        assert label in notices[0]
        assert "\n" not in notices[0]
        assert cache.source_state("src") is None  # cursors reset: the next sync re-reads the logs
        assert cache.load_live("src") == [] and cache.search(ALL).rows == () and cache.last_sync() is None
        cache.commit_batch("src", [make_message()], {"o": 2}, url="file:x")
        assert len(cache.search(ALL).rows) == 1
    with Cache.open(cache_url, on_notice=notices.append):
        assert len(notices) == 1  # rebuilt once, then current


def test_newer_version_is_refused_not_destroyed(cache_url: str) -> None:
    with Cache.open(cache_url) as cache:
        cache.commit_batch("src", [make_message()], {"o": 1}, url="file:x")
    _set_version(cache_url, str(SCHEMA_VERSION + 1))
    with pytest.raises(CacheError, match="newer tracktui"):
        Cache.open(cache_url)
    _set_version(cache_url, str(SCHEMA_VERSION))
    with Cache.open(cache_url) as cache:  # nothing was destroyed
        assert cache.source_state("src") == {"o": 1}
        assert len(cache.search(ALL).rows) == 1


def test_tables_with_our_names_but_no_marker_are_refused_untouched(tmp_path: Path) -> None:
    """Another program's table called ``deliveries`` is not provably ours: refuse, drop nothing."""
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE deliveries (id INTEGER PRIMARY KEY, whatever TEXT)")
        conn.execute("INSERT INTO deliveries VALUES (1, 'x')")
    with pytest.raises(CacheError, match="not a tracktui cache"):
        Cache.open(str(path))
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT whatever FROM deliveries").fetchall() == [("x",)]


def test_new_caches_carry_the_tracktui_marker(tmp_path: Path) -> None:
    from tracktui.cache.schema import APPLICATION_ID

    path = tmp_path / "new.db"
    Cache.open(str(path)).close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID


def test_retention_must_be_positive() -> None:
    with pytest.raises(CacheError):
        Cache.open(retention_days=0)
