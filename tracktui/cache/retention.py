"""Retention: forget what is older than the window, by each message's last activity.

A message goes as a whole (its deliveries, attempts and raw lines with it)
once its ``last_seen`` falls before the cutoff, live or not: a message still
in the queue after the whole window is not worth resuming. Children are
deleted explicitly, before their parents, so pruning does not depend on the
foreign-key pragma being on.
"""

from __future__ import annotations

from typing import Any

DAY = 86400.0


def cutoff(retention_days: int, now: float) -> float:
    """Epoch before which data is pruned."""
    return now - retention_days * DAY


def prune(conn: Any, param: str, before: float) -> int:
    """Delete messages last seen before ``before`` and all that hangs off them; return deliveries removed.

    ``conn`` is a DB-API connection inside the caller's write transaction; ``param`` its placeholder.
    """
    p = param
    old = f"SELECT id FROM messages WHERE last_seen < {p}"
    cur = conn.cursor()
    try:
        cur.execute(f"SELECT COUNT(*) FROM deliveries WHERE message_key IN ({old})", (before,))
        removed = cur.fetchone()[0]
        if removed:
            cur.execute(
                f"DELETE FROM attempts WHERE delivery_id IN (SELECT id FROM deliveries WHERE message_key IN ({old}))",
                (before,),
            )
            cur.execute(f"DELETE FROM deliveries WHERE message_key IN ({old})", (before,))
        cur.execute(f"DELETE FROM raw_lines WHERE message_key IN ({old})", (before,))
        cur.execute(f"DELETE FROM messages WHERE last_seen < {p}", (before,))
        cur.execute(f"DELETE FROM hosts WHERE last_seen < {p}", (before,))
    finally:
        cur.close()
    return int(removed)
