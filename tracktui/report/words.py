"""Plain words for reports and the TUI: a filter as a sentence, status names, reply explanations."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta, tzinfo
from functools import lru_cache

from tracktui.model import STATUS_GROUPS, DeliveryRow, Filter, Status
from tracktui.statuses import STATUS_LOOKS

MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)

STATUS_LABELS: dict[Status, str] = {status: look.label for status, look in STATUS_LOOKS.items()}
"""How a single status reads in a report."""

_GROUP_WORDS: dict[str, str] = {
    "all": "All deliveries",
    "delivered": "Delivered",
    "temporary": "Temporarily rejected",
    "permanent": "Permanently rejected",
    "bounced": "Bounced",
    "expired": "Expired",
}


def status_words(statuses: frozenset[Status]) -> str:
    """The status part of a filter: the filter form's name for a group, else the statuses listed."""
    for group, words in _GROUP_WORDS.items():
        if statuses == STATUS_GROUPS[group]:
            return words
    if not statuses:
        return "No status"
    return " or ".join(STATUS_LABELS[status] for status in Status if status in statuses)


def _day(moment: datetime) -> str:
    return f"{moment.day} {MONTHS[moment.month - 1]} {moment.year}"


def _at_midnight(moment: datetime) -> bool:
    return moment.time() == time(0, 0)


def period_words(since: float | None, until: float | None, tz: tzinfo) -> str:
    """A time range as people write it: ``1–31 October 2026``; ``until`` is exclusive."""
    start = datetime.fromtimestamp(since, tz) if since is not None else None
    end = datetime.fromtimestamp(until, tz) if until is not None else None
    if start is None and end is None:
        return "all dates"
    if start is not None and end is None:
        return f"since {_day(start)}" + ("" if _at_midnight(start) else f" {start:%H:%M}")
    assert end is not None
    if start is None:
        return f"before {_day(end)}" + ("" if _at_midnight(end) else f" {end:%H:%M}")
    if not (_at_midnight(start) and _at_midnight(end)) or end <= start:
        return f"{_day(start)} {start:%H:%M} – {_day(end)} {end:%H:%M}"
    last = (end - timedelta(days=1)).date()
    first = start.date()
    if first == last:
        return _day(start)
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}–{last.day} {MONTHS[last.month - 1]} {last.year}"
    if first.year == last.year:
        return f"{first.day} {MONTHS[first.month - 1]} – {last.day} {MONTHS[last.month - 1]} {last.year}"
    return f"{first.day} {MONTHS[first.month - 1]} {first.year} – {last.day} {MONTHS[last.month - 1]} {last.year}"


def filter_words(flt: Filter, tz: tzinfo) -> str:
    """The whole filter as one phrase: ``Permanently rejected, 1–31 October 2026, to @example.com``."""
    parts = [status_words(flt.statuses), period_words(flt.since, flt.until, tz)]
    if flt.recipient:
        parts.append(f"to {flt.recipient}")
    if flt.sender:
        parts.append(f"from {flt.sender}")
    if flt.bound_sender:
        parts.append(f"sent by {flt.bound_sender}")
    if flt.subject:
        parts.append(f"subject contains “{flt.subject}”")
    if flt.hosts:
        parts.append("on " + ", ".join(flt.hosts))
    if flt.queue_id:
        parts.append(f"queue id {flt.queue_id}")
    if flt.message_id:
        parts.append(f"Message-ID {flt.message_id}")
    return ", ".join(parts)


def _fallback_explain(code: int | None, dsn: str | None, status: Status) -> tuple[str, str]:
    """Coarse words from the reply's class, used only when ``tracktui.smtp`` is missing."""
    first = (dsn or "")[:1] or (str(code)[:1] if code else "")
    if status is Status.DELIVERED or first == "2":
        return "Accepted by the receiving server", "success"
    if status is Status.EXPIRED:
        return "Gave up after the queue lifetime", "permanent"
    if first == "5":
        return "Refused permanently by the receiving server", "permanent"
    if first == "4" or status is Status.DEFERRED:
        return "Refused temporarily; the server will retry", "temporary"
    return "No explanation available", "unknown"


def _explainer() -> Callable[[int | None, str | None, str | None, Status], tuple[str, str]]:
    """Bind to ``tracktui.smtp.explain`` when it exists, else to the coarse fallback."""
    try:
        from tracktui.smtp import explain
    except ImportError:
        return lambda code, dsn, reply, status: _fallback_explain(code, dsn, status)

    def call(code: int | None, dsn: str | None, reply: str | None, status: Status) -> tuple[str, str]:
        explanation = explain(code, dsn, reply, status)
        return str(explanation.summary), str(explanation.category)

    return call


_EXPLAIN = _explainer()


@lru_cache(maxsize=8192)
def explain_reply(code: int | None, dsn: str | None, reply: str | None, status: Status) -> tuple[str, str]:
    """Plain-words ``(summary, category)`` of one reply, cached: reports repeat the same replies a lot."""
    return _EXPLAIN(code, dsn, reply, status)


def explain_row(row: DeliveryRow) -> tuple[str, str]:
    """Plain-words ``(summary, category)`` of a delivery's latest reply."""
    return explain_reply(row.code, row.dsn, row.reply, row.status)
