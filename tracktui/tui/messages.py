"""Messages that thread workers post back to the event loop.

Workers call the engine (cache queries, sync) and post one of these; only the
handlers on the event loop touch widgets. Each carries what it answers (a
search generation, a message key, a delivery id) so a late answer to an old
question can be recognised and dropped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

from tracktui.model import AttemptRow, DeliveryRow, Filter, HopRow, Page, Status

if TYPE_CHECKING:
    from tracktui.cache import Cache
    from tracktui.sources import AuthCallbacks
    from tracktui.sync import SyncProgress, SyncReport


class CacheOpened(Message):
    """The cache is open (opening it is I/O, so it happens in a worker)."""

    def __init__(self, cache: Cache) -> None:
        super().__init__()
        self.cache = cache


class PageLoaded(Message):
    """One page of search results; ``first`` means it starts a new result list."""

    def __init__(self, generation: int, flt: Filter, page: Page, *, first: bool, seconds: float) -> None:
        super().__init__()
        self.generation = generation
        self.flt = flt
        self.page = page
        self.first = first
        self.seconds = seconds


class CountsLoaded(Message):
    """Deliveries per status under the current filter's other fields."""

    def __init__(self, generation: int, counts: dict[Status, int], directions: dict[str, int] | None = None,
                 wider: dict[Status, int] | None = None, hosts: tuple[str, ...] = (),
                 last_sync: float | None = None) -> None:
        super().__init__()
        self.hosts = hosts
        self.last_sync = last_sync
        self.generation = generation
        self.counts = counts
        self.directions = directions
        self.wider = wider
        """When nothing matches in the date range: the counts over the whole retention window."""


class NewerRows(Message):
    """Rows newer than the newest one shown, found after a sync."""

    def __init__(self, generation: int, rows: tuple[DeliveryRow, ...]) -> None:
        super().__init__()
        self.generation = generation
        self.rows = rows


class RecipientsLoaded(Message):
    """Every recipient of one message, for a message node being expanded."""

    def __init__(self, message_key: int, rows: list[DeliveryRow], notices: list[DeliveryRow] | None = None) -> None:
        super().__init__()
        self.message_key = message_key
        self.rows = rows
        self.notices = notices or []
        """Bounce/delay notifications our server sent back about this message."""


class AttemptsLoaded(Message):
    """Every attempt of one delivery, oldest first."""

    def __init__(self, delivery_id: int, attempts: list[AttemptRow], hops: list[HopRow] | None = None) -> None:
        super().__init__()
        self.delivery_id = delivery_id
        self.attempts = attempts
        self.hops = hops or []


class HopsLoaded(Message):
    """The legs of one journey, oldest first."""

    def __init__(self, delivery_id: int, hops: list[HopRow]) -> None:
        super().__init__()
        self.delivery_id = delivery_id
        self.hops = hops


class RawLinesLoaded(Message):
    """The raw log lines of one message."""

    def __init__(self, message_key: int, title: str, lines: list[str]) -> None:
        super().__init__()
        self.message_key = message_key
        self.title = title
        self.lines = lines


class StoryLoaded(Message):
    """Everything the delivery story shows beyond its row: hops, attempts and raw lines."""

    def __init__(self, delivery_id: int, hops: list[HopRow], attempts: list[AttemptRow], lines: list[str]) -> None:
        super().__init__()
        self.delivery_id = delivery_id
        self.hops = hops
        self.attempts = attempts
        self.lines = lines


class SyncProgressed(Message):
    """Progress of one source during a sync."""

    def __init__(self, progress: SyncProgress) -> None:
        super().__init__()
        self.progress = progress


class SyncFinished(Message):
    """A sync over every source ended (``report.results[i].error`` says which failed)."""

    def __init__(self, report: SyncReport) -> None:
        super().__init__()
        self.report = report


class LoginSynced(Message):
    """The login's first sync ended; carries the cache it opened and the session's prompt answers."""

    def __init__(self, report: SyncReport, cache: Cache, auth: AuthCallbacks) -> None:
        super().__init__()
        self.report = report
        self.cache = cache
        self.auth = auth


class ExportFinished(Message):
    """A PDF export was written."""

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path
