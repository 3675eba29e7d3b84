"""Read the dates people type (``today``, ``3 days ago``, ``-12h``, ``2026-11-01 14:00``) into aware datetimes.

Used by ``--since``/``--until`` on the command line and by the TUI's filter
form, so both accept the same words and fail with the same message.

Semantics, chosen so ranges read the way people mean them:

- A bare day (``today``, ``yesterday``, ``2026-11-01``) is that day's local
  midnight; as the *end* of a range (``end=True``) it means the end of that
  day, i.e. the next local midnight (ranges are end-exclusive). So
  ``--since 2026-11-01 --until 2026-11-01`` is the whole of 1 November.
- Days and weeks back (``3 days ago``, ``-2w``) are calendar arithmetic on
  the local wall clock (same clock time N days earlier, whatever the DST
  shifts in between); hours and minutes back (``-12h``) are elapsed time.
- Times without an offset are in the given zone; ISO 8601 with an offset or
  ``Z`` keeps its own offset. Every result is timezone-aware.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil import parser as _dateparser
from dateutil import tz as _dateutil_tz

from tracktui.errors import UsageError

_HINT = "try today, yesterday, 2026-11-01, '2026-11-01 14:00', '3 days ago' or -3d"
_MAX_TEXT = 64
"""Longer input is not a date anyone typed; refuse it before dateutil tries."""

_UNITS: dict[str, str] = {
    "m": "minutes", "min": "minutes", "mins": "minutes", "minute": "minutes", "minutes": "minutes",
    "h": "hours", "hr": "hours", "hrs": "hours", "hour": "hours", "hours": "hours",
    "d": "days", "day": "days", "days": "days",
    "w": "weeks", "wk": "weeks", "wks": "weeks", "week": "weeks", "weeks": "weeks",
}
_AGO_RE = re.compile(r"^(\d{1,6}|an?)\s*([a-z]+)\s+ago$")
_SHORT_RE = re.compile(r"^-\s*(\d{1,6})\s*([a-z]+)$")
_DAY_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_DAY_TIME_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[ t](\d{1,2}):(\d{2})(?::(\d{2}))?$")
# Two defaults differing in every time field: a parse that keeps them had no time of day in it.
_PROBE_A = datetime(2000, 1, 1, 0, 0, 0, 0)
_PROBE_B = datetime(2000, 1, 1, 13, 37, 42, 4242)


def local_zone() -> tzinfo:
    """The machine's local zone with its DST rules (honours ``TZ``)."""
    return _dateutil_tz.tzlocal()


def resolve_zone(name: str | None) -> tzinfo:
    """``tzinfo`` for an IANA zone name (``Europe/Berlin``, ``UTC``), or the local zone for ``None``."""
    if not name:
        return local_zone()
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise UsageError(f"unknown time zone {name!r}: use a name like Europe/Berlin or UTC") from error


def localize(naive: datetime, tz: tzinfo) -> datetime:
    """Attach ``tz`` to a wall-clock time, normalised through UTC so gap times (DST) land on a real instant."""
    return naive.replace(tzinfo=tz).astimezone(UTC).astimezone(tz)


def start_of_day(day: date, tz: tzinfo) -> datetime:
    """Local midnight at the start of ``day``."""
    return localize(datetime.combine(day, time()), tz)


def parse_when(text: str, *, now: datetime, tz: tzinfo, end: bool = False) -> datetime:
    """The instant ``text`` names, as an aware datetime in ``tz`` (or in the offset ``text`` gives).

    Args:
        text: what the user typed (see the module docstring for the forms).
        now: the current instant; a naive value is taken to be in ``tz``.
        tz: zone for dates and times written without an offset.
        end: ``text`` ends a range: a bare day then means the next midnight.

    Raises:
        UsageError: when ``text`` is not a date, with a hint at the accepted forms.
    """
    raw = text
    text = " ".join(text.split()).lower()
    if not text or len(text) > _MAX_TEXT or not text.isprintable():
        raise _bad(raw)
    now = localize(now, tz) if now.tzinfo is None else now.astimezone(tz)

    day = _named_day(text, now)
    if day is not None:
        return start_of_day(day + timedelta(days=1) if end else day, tz)
    if text == "now":
        return now
    relative = _relative(text, now)
    if relative is not None:
        return relative
    match = _DAY_RE.match(text)
    if match:
        day = _make_date(raw, *match.groups())
        return start_of_day(day + timedelta(days=1) if end else day, tz)
    match = _DAY_TIME_RE.match(text)
    if match:
        year, month, mday, hour, minute, second = match.groups()
        day = _make_date(raw, year, month, mday)
        try:
            clock = time(int(hour), int(minute), int(second or 0))
        except ValueError as error:
            raise _bad(raw) from error
        return localize(datetime.combine(day, clock), tz)
    return _general(raw, text, now, tz, end=end)


def _named_day(text: str, now: datetime) -> date | None:
    if text == "today":
        return now.date()
    if text == "yesterday":
        return now.date() - timedelta(days=1)
    return None


def _relative(text: str, now: datetime) -> datetime | None:
    match = _AGO_RE.match(text) or _SHORT_RE.match(text)
    if not match:
        return None
    amount_text, unit_text = match.groups()
    unit = _UNITS.get(unit_text)
    if unit is None:
        return None
    amount = 1 if amount_text in ("a", "an") else int(amount_text)
    if unit in ("days", "weeks"):
        # Wall-clock arithmetic: aware datetime minus timedelta keeps the clock time across DST.
        wall = now.replace(tzinfo=None) - timedelta(**{unit: amount})
        return localize(wall, now.tzinfo)  # type: ignore[arg-type]
    return (now.astimezone(UTC) - timedelta(**{unit: amount})).astimezone(now.tzinfo)


def _make_date(raw: str, year: str, month: str, mday: str) -> date:
    try:
        return date(int(year), int(month), int(mday))
    except ValueError as error:
        raise _bad(raw) from error


def _general(raw: str, text: str, now: datetime, tz: tzinfo, *, end: bool) -> datetime:
    """Anything else dateutil reads unambiguously: ISO 8601 with offsets, ``1 Nov 2026``, ``Nov 1 14:00``."""
    if not any(ch.isdigit() for ch in text) or text.isdigit():
        # dateutil would happily read "monday", "may" or "3" relative to today: too surprising for a filter.
        raise _bad(raw)
    try:
        first = _dateparser.parse(text, default=_PROBE_A.replace(year=now.year, month=now.month, day=now.day))
        second = _dateparser.parse(text, default=_PROBE_B.replace(year=now.year, month=now.month, day=now.day))
    except (ValueError, OverflowError) as error:
        raise _bad(raw) from error
    if first.tzinfo is not None:
        return first
    if first.hour != second.hour:
        # The hour came from the defaults: no time of day was given, so this is a bare day.
        day = first.date()
        return start_of_day(day + timedelta(days=1) if end else day, tz)
    return localize(first, tz)


def _bad(raw: str) -> UsageError:
    shown = raw if len(raw) <= _MAX_TEXT else raw[:_MAX_TEXT] + "..."
    shown = "".join(ch if ch.isprintable() else "?" for ch in shown)
    return UsageError(f"cannot read date '{shown}': {_HINT}")


def format_day(moment: datetime) -> str:
    """``2026-11-01`` for messages that name a day."""
    return moment.strftime("%Y-%m-%d")


DATE_OPTIONS = ("--since", "--until")
_DASH_VALUE_RE = re.compile(r"^-\d")


def join_dash_values(argv: Sequence[str], options: Sequence[str] = DATE_OPTIONS) -> list[str]:
    """``--since -3d`` -> ``--since=-3d``, so argparse does not take the relative date for an option.

    Only values that look like ``-<digit>...`` right after one of ``options``
    are joined; everything else passes through unchanged.
    """
    out: list[str] = []
    after_option = False
    for arg in argv:
        if after_option and _DASH_VALUE_RE.match(arg):
            out[-1] = f"{out[-1]}={arg}"
            after_option = False
            continue
        out.append(arg)
        after_option = arg in options
    return out
