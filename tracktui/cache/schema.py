"""Schema versioning: create a fresh cache, accept the current version, rebuild an older or unknown one.

A cache is only a copy of what the logs say, so an old layout is rebuilt
rather than migrated: the tables are dropped and recreated, the source
cursors go with them, and the next sync re-reads the logs. The user is told
so in one line; a cache is never silently misread. A cache written by a
*newer* tracktui is refused instead of destroyed.
"""

from __future__ import annotations

from typing import Any

import peewee as pw

from tracktui.cache.models import Models
from tracktui.errors import CacheError

SCHEMA_VERSION = 6
"""Bump whenever a table, column, index or stored encoding changes."""

KNOWN_TABLES = ("raw_lines", "attempts", "deliveries", "messages", "hosts", "sources", "meta")
"""Every table any version created, children first (drop order)."""

APPLICATION_ID = 0x7472_6B74
"""SQLite ``PRAGMA application_id`` of every cache tracktui creates ("trkt"): the marker that a file is ours."""

_PG_LOCK_ID = 0x7472_6B74_7569  # pg_advisory_xact_lock key: one schema check at a time per database


def _existing_tables(db: pw.Database) -> set[str]:
    if isinstance(db, pw.SqliteDatabase):
        rows = db.execute_sql("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    else:
        rows = db.execute_sql(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
        ).fetchall()
    return {r[0] for r in rows}


def _stored_version(db: pw.Database, tables: set[str]) -> str | None:
    if "meta" not in tables:
        return None
    row = db.execute_sql("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return row[0] if row else None


def _application_id(db: pw.Database) -> int | None:
    if not isinstance(db, pw.SqliteDatabase):
        return None
    row = db.execute_sql("PRAGMA application_id").fetchone()
    return int(row[0]) if row else None


def _create(db: pw.Database, models: Models) -> None:
    if isinstance(db, pw.SqliteDatabase):
        db.execute_sql(f"PRAGMA application_id = {APPLICATION_ID}")
    db.create_tables(models.all(), safe=True)
    meta: Any = models.meta  # built per database at run time: its fields are not visible to mypy
    meta.insert(key="schema_version", value=str(SCHEMA_VERSION)).on_conflict(
        conflict_target=[meta.key], update={meta.value: str(SCHEMA_VERSION)}
    ).execute()


def _drop_all(db: pw.Database, tables: set[str]) -> None:
    cascade = "" if isinstance(db, pw.SqliteDatabase) else " CASCADE"
    for name in KNOWN_TABLES:
        if name in tables:
            db.execute_sql(f'DROP TABLE IF EXISTS "{name}"{cascade}')


def _is_current(db: pw.Database, models: Models) -> bool:
    """Read-only check (no transaction): every table and index of this version is there and nothing else.

    WAL readers never wait on a writer, so a cache that needs no change opens while a sync is writing.
    """
    tables = _existing_tables(db)
    wanted = {model._meta.table_name for model in models.all()}
    if tables != wanted | {t for t in tables if t.startswith("sqlite_")}:
        return False
    if _stored_version(db, tables) != str(SCHEMA_VERSION):
        return False
    if isinstance(db, pw.SqliteDatabase) and _application_id(db) != APPLICATION_ID:
        return False
    for model in models.all():
        expected = {index._name for index in model._meta.fields_to_index()}
        if not expected <= {index.name for index in db.get_indexes(model._meta.table_name)}:
            return False
    return True


def ensure_schema(db: pw.Database, models: Models, display: str) -> str | None:
    """Make the cache at ``display`` current; return a one-line notice if it had to be rebuilt.

    Runs in one write transaction (SQLite ``BEGIN IMMEDIATE``, a PostgreSQL
    advisory lock) so two processes opening a fresh cache do not race.
    """
    sqlite = isinstance(db, pw.SqliteDatabase)
    if sqlite and _is_current(db, models):
        return None  # nothing to write: a reader (search) must not wait for a writer's lock
    with db.atomic("IMMEDIATE") if sqlite else db.atomic():
        if not sqlite:
            db.execute_sql("SELECT pg_advisory_xact_lock(%s)", (_PG_LOCK_ID,))
        tables = _existing_tables(db)
        ours = tables & set(KNOWN_TABLES)
        foreign = {t for t in tables - set(KNOWN_TABLES) if not t.startswith("sqlite_")}
        if foreign:  # another program's database: never drop or rewrite its tables
            raise CacheError(
                f"{display} is not a tracktui cache (it has other tables, e.g. {sorted(foreign)[0]!r}); "
                "use another --cache"
            )
        if not ours:
            _create(db, models)
            return None
        raw = _stored_version(db, tables)
        version = int(raw) if raw is not None and raw.isdigit() else None
        marked = _application_id(db) == APPLICATION_ID
        if sqlite and not marked and version is None:
            # Tables with our names but neither our marker nor our version key: not provably ours.
            raise CacheError(
                f"{display} is not a tracktui cache (no tracktui marker); use another --cache"
            )
        if version == SCHEMA_VERSION:
            if sqlite and not marked:
                db.execute_sql(f"PRAGMA application_id = {APPLICATION_ID}")
            db.create_tables(models.all(), safe=True)  # an index added without a version bump
            return None
        if version is not None and version > SCHEMA_VERSION:
            raise CacheError(
                f"cache at {display} was made by a newer tracktui (schema {version}); "
                "upgrade tracktui or use another --cache"
            )
        _drop_all(db, tables)
        _create(db, models)
    label = f"schema {version}" if version is not None else "unknown schema"
    return f"cache at {display} was made by an older tracktui ({label}); rebuilt — the next sync re-reads the logs"
