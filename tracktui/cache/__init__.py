"""The local cache: peewee models, connection, idempotent ingest, queries, retention.

The only package that imports peewee. Views and the sync orchestrator use
:class:`Cache` and nothing else.
"""

from __future__ import annotations

from tracktui.cache.schema import SCHEMA_VERSION
from tracktui.cache.store import DEFAULT_RETENTION_DAYS, Cache

__all__ = ["DEFAULT_RETENTION_DAYS", "SCHEMA_VERSION", "Cache"]
