"""Turn what the user typed (command line options or the TUI's filter form) into one :class:`~tracktui.model.Filter`.

Both front ends call :func:`build_filter`, so a value is accepted or refused
the same way everywhere, with the same one-line message (the TUI shows it at
the field). Checks here are about what the user can fix: unknown status,
unreadable date, a start before the retention window, an empty range, an
address pattern with spaces. Matching itself is the cache's job.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta, tzinfo

from tracktui.dates import format_day, parse_when, start_of_day
from tracktui.errors import UsageError
from tracktui.model import DEFAULT_RETENTION_DAYS, STATUS_GROUPS, Filter

DEFAULT_STATUS = "delivered"
"""The filter form's default (docs/architecture.md: "Delivered (default)")."""
_LINE_BREAKS_RE = re.compile(r"[\t\n\r\v\f]+")
MAX_PATTERN = 512
"""Longer than any real address (RFC 5321 allows 254) or subject search anyone types."""


def earliest_allowed(now: datetime, tz: tzinfo, retention_days: int = DEFAULT_RETENTION_DAYS) -> datetime:
    """Start of the oldest day a filter may ask for: local midnight ``retention_days`` days before today.

    The cache keeps ``retention_days`` of history; allowing that whole first
    day means ``--since -60d`` (or the date 60 days back) is accepted.
    """
    local_now = now.astimezone(tz) if now.tzinfo is not None else now.replace(tzinfo=tz)
    return start_of_day(local_now.date() - timedelta(days=max(retention_days, 0)), tz)


def statuses_for(name: str | None) -> frozenset:
    """The statuses a ``--status`` name covers; ``None`` means the default (delivered)."""
    key = (name or DEFAULT_STATUS).strip().lower()
    try:
        return STATUS_GROUPS[key]
    except KeyError:
        choices = ", ".join(STATUS_GROUPS)
        raise UsageError(f"unknown status {name!r}: choose one of {choices}") from None


def normalize_address_pattern(value: str | None, *, what: str) -> str | None:
    """An address pattern trimmed and lowercased (``Bob@Example.COM`` -> ``bob@example.com``), or ``None`` if empty.

    Accepts an exact address, ``@domain`` or ``*`` wildcards; surrounding
    angle brackets (pasted from a log) are dropped. Refuses spaces and control
    characters, which no address contains, with a message naming ``what``.
    """
    if value is None:
        return None
    text = value.strip()
    if len(text) > 2 and text.startswith("<") and text.endswith(">"):
        text = text[1:-1].strip()
    if not text:
        return None
    if len(text) > MAX_PATTERN:
        raise UsageError(f"{what} is too long ({len(text)} characters): use an address, @domain or * wildcards")
    if any(ch.isspace() for ch in text):
        raise UsageError(f"{what} {_show(text)} contains a space: use an address, @domain or * wildcards")
    if not text.isprintable():
        raise UsageError(f"{what} {_show(text)} contains control characters: use an address, @domain or * wildcards")
    return text.lower()


def normalize_text(value: str | None, *, what: str) -> str | None:
    """Free text (subject words, queue id, Message-ID) trimmed; ``None`` if empty; control characters refused."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if len(text) > MAX_PATTERN:
        raise UsageError(f"{what} is too long ({len(text)} characters)")
    if any(not ch.isprintable() and not ch.isspace() for ch in text):
        raise UsageError(f"{what} {_show(text)} contains control characters")
    return _LINE_BREAKS_RE.sub(" ", text)


def normalize_hosts(hosts: Iterable[str] | str | None) -> tuple[str, ...]:
    """Host names trimmed and de-duplicated in order; commas also separate names.

    Case is kept: the cache compares host names exactly, as the logs spell them.
    """
    if not hosts:
        return ()
    if isinstance(hosts, str):
        hosts = [hosts]
    seen: dict[str, None] = {}
    for item in hosts:
        for part in item.split(","):
            name = part.strip()
            if not name:
                continue
            if any(ch.isspace() for ch in name) or not name.isprintable():
                raise UsageError(f"host {_show(name)} is not a host name")
            seen[name] = None
    return tuple(seen)


def build_filter(
    *,
    status: str | None,
    since: str | None,
    until: str | None,
    recipient: str | None = None,
    sender: str | None = None,
    subject: str | None = None,
    hosts: Iterable[str] | str | None = None,
    queue_id: str | None = None,
    message_id: str | None = None,
    now: datetime,
    tz: tzinfo,
    retention_days: int = DEFAULT_RETENTION_DAYS,
    bound_sender: str | None = None,
    default_since: str | None = "today",
    direction: str | None = None,
) -> Filter:
    """The :class:`Filter` for these user-typed values.

    Args:
        status: a name of :data:`~tracktui.model.STATUS_GROUPS`; ``None`` = delivered.
        since: start of the range (any :func:`~tracktui.dates.parse_when` form);
            ``None`` = ``default_since`` (``None`` there: no lower bound).
        until: end of the range, exclusive; a bare day means the end of that day.
        now: the current instant; tz: zone of dates typed without an offset.
        retention_days: the cache's window; a start before it is refused.
        bound_sender: a hard limit to one sender mailbox (exact address only).
        direction: ``outbound``, ``inbound``, ``local`` or ``all``/``None`` (every direction).

    Raises:
        UsageError: one line saying what to fix.
    """
    statuses = statuses_for(status)
    start = _when(since if since is not None and since.strip() else default_since, now=now, tz=tz, end=False)
    stop = _when(until if until is not None and until.strip() else None, now=now, tz=tz, end=True)
    if start is not None:
        earliest = earliest_allowed(now, tz, retention_days)
        if start < earliest:
            raise UsageError(
                f"start date {format_day(start.astimezone(tz))} is older than the {retention_days}-day "
                f"retention window: the earliest allowed date is {format_day(earliest)}"
            )
    if start is not None and stop is not None and start >= stop:
        raise UsageError(
            f"the range is empty: start {_show_moment(start, tz)} is not before end {_show_moment(stop, tz)}"
        )
    bound = None
    if bound_sender is not None:
        bound = normalize_address_pattern(bound_sender, what="bound sender")
        if bound is None or "*" in bound or bound.startswith("@"):
            raise UsageError("a bound sender must be one exact address")
    return Filter(
        statuses=statuses,
        since=start.timestamp() if start is not None else None,
        until=stop.timestamp() if stop is not None else None,
        recipient=normalize_address_pattern(recipient, what="recipient"),
        sender=normalize_address_pattern(sender, what="sender"),
        subject=normalize_text(subject, what="subject"),
        hosts=normalize_hosts(hosts),
        queue_id=normalize_text(queue_id, what="queue id"),
        message_id=normalize_text(message_id, what="Message-ID"),
        bound_sender=bound,
        directions=directions_for(direction),
    )


_QUEUE_ID_SHAPES = re.compile(
    r"^(?:[0-9A-F]{8,15}"                                   # Postfix short ids
    r"|[0-9BCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz]{11,20}"  # Postfix long ids (enable_long_queue_ids)
    r"|[0-9A-Za-z]{6}-[0-9A-Za-z]{6,11}-[0-9A-Za-z]{2,4})$"  # Exim, old and new
)


def split_search_text(text: str) -> tuple[str, str]:
    """What one typed value in the form's "To" field is: ``("queue_id", id)``, ``("message_id", id)``
    (written ``<...>``) or ``("recipient", text)``: one field finds an address, a journey's queue id
    or its Message-ID, as the command line's ``--to``/``--queue-id``/``--message-id`` do."""
    value = text.strip()
    if value.startswith("<") and value.endswith(">") and "@" in value:
        return "message_id", value
    if value and "@" not in value and "." not in value and "*" not in value and _QUEUE_ID_SHAPES.match(value):
        return "queue_id", value
    return "recipient", text


DIRECTION_CHOICES: tuple[str, ...] = ("all", "outbound", "inbound", "local")
"""``--direction`` values and the filter form's choices, in display order."""


def directions_for(direction: str | None) -> frozenset[str]:
    """The directions a ``--direction`` value keeps (empty: all)."""
    if direction is None or direction.strip().lower() in ("", "all"):
        return frozenset()
    value = direction.strip().lower()
    if value not in DIRECTION_CHOICES:
        raise UsageError(f"unknown direction {_show(direction)}: choose one of {', '.join(DIRECTION_CHOICES)}")
    return frozenset({value})


def _when(text: str | None, *, now: datetime, tz: tzinfo, end: bool) -> datetime | None:
    if text is None:
        return None
    return parse_when(text, now=now, tz=tz, end=end)


def _show(text: str) -> str:
    """A user value quoted for an error message, without its control characters."""
    shown = "".join(ch if ch.isprintable() else "?" for ch in text[:80])
    return repr(shown + ("..." if len(text) > 80 else ""))


def _show_moment(moment: datetime, tz: tzinfo) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")
