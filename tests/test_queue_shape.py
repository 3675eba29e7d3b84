"""The qshape view: waiting recipients by destination domain and age bucket."""

from __future__ import annotations

from tracktui.queue.entries import QueueEntry, QueueRecipient
from tracktui.queue.shape import BUCKETS, queue_shape


def entry(age: float, *addresses: str, queue: str = "deferred") -> QueueEntry:
    recipients = tuple(QueueRecipient(a, "connect to mx: Connection timed out", None, "4.4.1", "") for a in addresses)
    return QueueEntry("mx1", f"Q{int(age)}", queue, 1_000_000.0 - age, age, "a@b.example", 100, False, recipients)


def test_domains_by_waiting_recipients_and_age() -> None:
    rows = queue_shape([
        entry(60, "x@slow.example", "y@slow.example"), entry(3 * 3600, "z@slow.example"),
        entry(2 * 86400, "w@gone.example"), entry(30, "v@slow.example", queue="hold"),
    ])
    total, slow, gone = rows
    assert (total.domain, total.total) == ("TOTAL", 4)
    assert (slow.domain, slow.total) == ("slow.example", 3) and (gone.domain, gone.total) == ("gone.example", 1)
    labels = [label for _bound, label in BUCKETS]
    assert slow.counts[labels.index("5m")] == 2 and slow.counts[labels.index("320m")] == 1
    assert gone.counts[labels.index(">1d")] == 1
    assert total.counts == tuple(a + b for a, b in zip(slow.counts, gone.counts, strict=True))


def test_only_the_named_queues_count() -> None:
    assert queue_shape([entry(10, "a@x.example", queue="hold")])[0].total == 0
    assert queue_shape([entry(10, "a@x.example", queue="hold")], queues=("hold",))[0].total == 1
