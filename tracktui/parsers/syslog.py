"""Split a log line's envelope (time, host, program) from its message.

Three envelopes are understood, chosen per line by a cheap look at its first
characters so one source may mix them:

- traditional syslog: ``Nov 27 09:00:01 host prog[pid]: message`` (no year,
  no zone: the year comes from a reference time, the zone is configurable);
  the day may also be ``Nov 7`` (unpadded) or ``Nov 07`` (Postfix's
  ``maillog_file``);
- RFC 3339 syslog: ``2026-11-27T09:00:01.123456+01:00 host prog[pid]: message``;
- ``journalctl -o json``: one JSON object per line (``MESSAGE``,
  ``SYSLOG_IDENTIFIER``, ``__REALTIME_TIMESTAMP``, ``_HOSTNAME``).

Timestamps are converted once per distinct second and memoised: a busy log
repeats the same second hundreds of times, and a ``datetime`` per line would
cost more than the rest of the parse.
"""

from __future__ import annotations

import json
import time as _time
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Final, NamedTuple

_MONTHS: Final = {
    name: index
    for index, name in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
        start=1,
    )
}
_CACHE_LIMIT: Final = 4096
_FUTURE_SLACK: Final = timedelta(days=2)


class SyslogLine(NamedTuple):
    """A line's envelope: UTC epoch seconds, host, program (``postfix/smtp``), pid, message."""

    time: float
    host: str
    program: str
    pid: str
    message: str


def local_zone() -> tzinfo:
    """The machine's local time zone, as a fixed ``tzinfo`` fallback-safe object."""
    zone = datetime.now().astimezone().tzinfo
    return zone if zone is not None else UTC


class EnvelopeParser:
    """Splits lines into :class:`SyslogLine`; one instance per source, not thread-safe.

    Args:
        tz: zone of year-less traditional stamps (default: the local zone).
        reference_time: epoch seconds near the end of the log (a file's
            mtime, or now); a year-less stamp later than it (plus slack) is
            taken to be from the previous year, which handles New Year.
        default_host: host used when the envelope carries none.
    """

    def __init__(
        self,
        *,
        tz: tzinfo | None = None,
        reference_time: float | None = None,
        default_host: str = "",
    ) -> None:
        self.tz = tz or local_zone()
        self.reference = datetime.fromtimestamp(
            reference_time if reference_time is not None else _time.time(), tz=self.tz
        )
        self.default_host = default_host
        self._trad_cache: dict[str, float] = {}
        self._iso_cache: dict[str, float] = {}

    # -- public ---------------------------------------------------------------

    def split(self, line: str) -> SyslogLine | None:
        """Envelope and message of ``line``, or ``None`` when it has no known envelope.

        A trailing ``\\r`` (a log copied from Windows, some syslog relays) is not part of the line.
        """
        if line[-1:] == "\r":
            line = line.rstrip("\r")
        if len(line) < 16:
            return None
        first = line[0]
        if first == "{":
            return self._split_journal(line)
        if first.isdigit() and line[4:5] == "-" and line[10:11] == "T":
            stamp, sep, rest = line.partition(" ")
            if not sep:
                return None
            epoch = self.iso_epoch(stamp)
            if epoch is None:
                return None
            return self._split_host_program(epoch, rest)
        if line[3] == " " and line[15] == " ":
            epoch = self.traditional_epoch(line[:15])
            if epoch is None:
                return None
            return self._split_host_program(epoch, line[16:])
        if line[3] == " " and line[5] == " " and line[14] == " ":
            # "Mar 7 02:09:33": a relay or a template that does not pad the day
            epoch = self.traditional_epoch(line[:4] + " " + line[4:14])
            if epoch is None:
                return None
            return self._split_host_program(epoch, line[15:])
        return None

    def traditional_epoch(self, stamp: str) -> float | None:
        """Epoch of ``Mmm dd HH:MM:SS`` in the configured zone, year inferred."""
        cached = self._trad_cache.get(stamp)
        if cached is not None:
            return cached
        month = _MONTHS.get(stamp[:3])
        try:
            day = int(stamp[4:6])
            hour, minute, second = int(stamp[7:9]), int(stamp[10:12]), int(stamp[13:15])
            if month is None or stamp[9] != ":" or stamp[12] != ":":
                return None
            year = self.reference.year
            moment = datetime(year, month, day, hour, minute, second, tzinfo=self.tz)
            if moment > self.reference + _FUTURE_SLACK:
                moment = moment.replace(year=year - 1)
        except (ValueError, IndexError):
            return None
        return self._remember(self._trad_cache, stamp, moment.timestamp())

    def iso_epoch(self, stamp: str) -> float | None:
        """Epoch of an RFC 3339 stamp; a stamp without offset is read in the configured zone."""
        seconds_part = stamp[:19]
        zone_part = ""
        fraction = 0.0
        rest = stamp[19:]
        if rest.startswith((".", ",")):
            digits_end = 1
            while digits_end < len(rest) and rest[digits_end].isdigit():
                digits_end += 1
            try:
                fraction = float("0." + rest[1:digits_end]) if digits_end > 1 else 0.0
            except ValueError:
                return None
            rest = rest[digits_end:]
        zone_part = rest
        key = seconds_part + zone_part
        cached = self._iso_cache.get(key)
        if cached is None:
            try:
                moment = datetime.fromisoformat(seconds_part + zone_part.replace("Z", "+00:00"))
            except ValueError:
                return None
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=self.tz)
            cached = self._remember(self._iso_cache, key, moment.timestamp())
        return cached + fraction

    # -- helpers --------------------------------------------------------------

    @staticmethod
    def _remember(cache: dict[str, float], key: str, value: float) -> float:
        if len(cache) >= _CACHE_LIMIT:
            cache.clear()
        cache[key] = value
        return value

    def _split_host_program(self, epoch: float, rest: str) -> SyslogLine | None:
        host, sep, rest = rest.partition(" ")
        if not sep:
            return None
        tag, sep, message = rest.partition(": ")
        if not sep:
            if rest.endswith(":"):
                tag, message = rest[:-1], ""
            else:
                return None
        program, bracket, pid = tag.partition("[")
        if bracket:
            pid = pid.rstrip("]")
        if " " in program:
            return None
        return SyslogLine(epoch, host or self.default_host, program, pid, message)

    def _split_journal(self, line: str) -> SyslogLine | None:
        try:
            record = json.loads(line)
        except ValueError:
            return None
        if not isinstance(record, dict):
            return None
        message = record.get("MESSAGE")
        if isinstance(message, list):  # journald sends non-UTF-8 messages as a byte array
            try:
                message = bytes(b & 0xFF for b in message if isinstance(b, int)).decode(
                    "utf-8", "replace"
                )
            except (TypeError, ValueError):
                return None
        if not isinstance(message, str):
            return None
        try:
            epoch = int(record["__REALTIME_TIMESTAMP"]) / 1_000_000
        except (KeyError, TypeError, ValueError):
            return None
        program = record.get("SYSLOG_IDENTIFIER") or record.get("_COMM") or ""
        host = record.get("_HOSTNAME") or self.default_host
        pid = record.get("SYSLOG_PID") or record.get("_PID") or ""
        if not isinstance(program, str) or not isinstance(host, str):
            return None
        return SyslogLine(epoch, host, program, str(pid), message)


def journal_cursor(line: str) -> str | None:
    """The ``__CURSOR`` of a ``journalctl -o json`` line, for resuming with ``--after-cursor``."""
    if not line.startswith("{"):
        return None
    try:
        record = json.loads(line)
    except ValueError:
        return None
    cursor = record.get("__CURSOR") if isinstance(record, dict) else None
    return cursor if isinstance(cursor, str) else None
