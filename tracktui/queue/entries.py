"""What one MTA queue holds: typed entries, the same for every MTA, built by the per-MTA parsers."""

from __future__ import annotations

from dataclasses import dataclass

QUEUE_NAMES = ("incoming", "active", "deferred", "hold", "corrupt", "maildrop")
"""Postfix's queue names as ``postqueue -j`` reports them (``maildrop`` only while pickup has not run)."""


@dataclass(frozen=True, slots=True)
class QueueRecipient:
    """One recipient still waiting, with why, in the MTA's words and in plain words."""

    address: str
    delay_reason: str
    """The MTA's text (empty when it has not tried yet)."""
    code: int | None
    dsn: str | None
    explanation: str
    """:func:`tracktui.smtp.explain`'s summary, empty when there is no reason yet."""


@dataclass(frozen=True, slots=True)
class QueueEntry:
    """One queued message on one host."""

    host: str
    queue_id: str
    queue: str
    """``deferred``, ``hold``, ``active``, ``incoming``... as the MTA names it."""
    arrival: float
    """Epoch seconds the message entered the queue."""
    age: float
    """Seconds between ``arrival`` and the moment the listing was read."""
    sender: str
    size: int
    forced_expire: bool
    recipients: tuple[QueueRecipient, ...]
