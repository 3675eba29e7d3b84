"""Shared fixtures: isolated user directories, and caches on SQLite and PostgreSQL.

``cache_url`` is parametrised over both backends: a temporary SQLite file,
and a fresh schema on the PostgreSQL server whose URL ``.ci/run`` exports as
``TRACKTUI_TEST_PG_URL``. Without that variable the PostgreSQL cases fail in
CI (``CI=true``) and are skipped on a developer machine.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

PG_ENV = "TRACKTUI_TEST_PG_URL"


@pytest.fixture(autouse=True)
def _isolated_user_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads or writes the real user's cache or config directory."""
    base = tmp_path_factory.mktemp("xdg")
    monkeypatch.setenv("XDG_CACHE_HOME", str(base / "cache"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(base / "config"))


def _pg_base_url() -> str:
    url = os.environ.get(PG_ENV)
    if url:
        return url
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"{PG_ENV} is not set: .ci/run must start PostgreSQL before the tests")
    pytest.skip(f"{PG_ENV} not set (PostgreSQL cases run in CI)")


@pytest.fixture
def pg_schema_url() -> Iterator[Callable[[], str]]:
    """Factory of URLs, each pointing at a fresh, empty PostgreSQL schema dropped after the test."""
    base = _pg_base_url()
    import psycopg2

    schemas: list[str] = []

    def make() -> str:
        name = f"tt_{uuid.uuid4().hex[:16]}"
        conn = psycopg2.connect(base)
        try:
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute(f"CREATE SCHEMA {name}")
        finally:
            conn.close()
        schemas.append(name)
        sep = "&" if "?" in base else "?"
        return f"{base}{sep}options={quote(f'-csearch_path={name}')}"

    yield make
    if schemas:
        conn = psycopg2.connect(base)
        try:
            conn.autocommit = True
            with conn.cursor() as cur:
                for name in schemas:
                    cur.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")
        finally:
            conn.close()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def cache_url_factory(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], str]:
    """Factory of fresh, empty cache URLs on the parametrised backend (several per test if needed)."""
    if request.param == "postgresql":
        return request.getfixturevalue("pg_schema_url")
    counter = iter(range(1_000_000))

    def make() -> str:
        return f"sqlite:///{tmp_path / f'cache{next(counter)}.sqlite3'}"

    return make


@pytest.fixture
def cache_url(cache_url_factory: Callable[[], str]) -> str:
    """A fresh, empty cache URL: SQLite file or PostgreSQL schema (the test runs once for each)."""
    return cache_url_factory()


@pytest.fixture
def cache(cache_url: str) -> Iterator[object]:
    """An open :class:`tracktui.cache.Cache` on ``cache_url``, closed after the test."""
    from tracktui.cache import Cache

    opened = Cache.open(cache_url)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture(params=[0, 0o022, 0o077], ids=["umask000", "umask022", "umask077"])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    """Run the test under each of these umasks: permissions tracktui sets must not depend on it."""
    old = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(old)
