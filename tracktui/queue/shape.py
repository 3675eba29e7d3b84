"""``qshape`` for tracktui: waiting recipients by destination domain and age, so a stuck domain stands out.

Pure: queue entries in, rows of counts out. The buckets follow Postfix's ``qshape`` (minutes,
doubling), ending in "more than a day".
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from tracktui.queue.entries import QueueEntry

BUCKETS: tuple[tuple[float, str], ...] = (
    (5 * 60, "5m"), (10 * 60, "10m"), (20 * 60, "20m"), (40 * 60, "40m"), (80 * 60, "80m"),
    (160 * 60, "160m"), (320 * 60, "320m"), (640 * 60, "640m"), (86400, "1d"), (float("inf"), ">1d"),
)
"""Upper bound (seconds) and label of each age column."""


@dataclass(frozen=True, slots=True)
class ShapeRow:
    """One destination domain: waiting recipients in total and per age bucket (same order as BUCKETS)."""

    domain: str
    total: int
    counts: tuple[int, ...]


def bucket_of(age: float) -> int:
    for index, (bound, _label) in enumerate(BUCKETS):
        if age <= bound:
            return index
    return len(BUCKETS) - 1


def queue_shape(entries: Iterable[QueueEntry], *, queues: Sequence[str] = ("deferred",),
                top: int = 20) -> list[ShapeRow]:
    """The ``top`` destination domains by waiting recipients, then a ``TOTAL`` row first.

    Only the named queues count (``deferred`` by default, as ``qshape deferred``).
    """
    per_domain: dict[str, Counter[int]] = {}
    for entry in entries:
        if entry.queue not in queues:
            continue
        slot = bucket_of(entry.age)
        for recipient in entry.recipients:
            domain = recipient.address.rpartition("@")[2].lower() or "(local)"
            per_domain.setdefault(domain, Counter())[slot] += 1
    rows = [ShapeRow(domain, sum(c.values()), tuple(c[i] for i in range(len(BUCKETS))))
            for domain, c in per_domain.items()]
    rows.sort(key=lambda row: (-row.total, row.domain))
    total = tuple(sum(row.counts[i] for row in rows) for i in range(len(BUCKETS)))
    return [ShapeRow("TOTAL", sum(total), total), *rows[:top]]
