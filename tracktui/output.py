"""Print deliveries for ``tracktui search``: a terminal table, CSV or one JSON array, all streamed.

Nothing here holds a result set: rows are written as they come from the
cache, so a million matches cost the same memory as ten.

Text policy: the table is for people, so every log-derived string goes
through :func:`~tracktui.textsafe.sanitize` (no escape sequences, control or
bidi characters reach the terminal) and is a ``rich.text.Text`` (never markup).
CSV and JSON are data for programs and keep the exact text the log had:
JSON keeps the exact text the log had and escapes it (``ensure_ascii``, so output is
plain ASCII whatever the locale). CSV is opened in spreadsheets, so each cell is
defused (OWASP "CSV injection"): escape sequences, control and bidi characters are
removed as for the table, and a cell that would start with ``=``, ``+``, ``-``, ``@``,
a tab or a carriage return gets a leading ``'`` so no spreadsheet runs it as a formula.
"""

from __future__ import annotations

import csv
import json
import time as _time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import IO

from rich.cells import cell_len, set_cell_size
from rich.console import Console
from rich.text import Text

from tracktui.model import RESULT_TO_STATUS, AttemptRow, DeliveryRow, HopRow, Status
from tracktui.smtp import explain, explain_delivery, shown_dsn
from tracktui.statuses import STATUS_LOOKS
from tracktui.textsafe import sanitize

JSON_FIELDS: tuple[str, ...] = (
    "time", "host", "queue_id", "message_id", "sender", "recipient", "final_recipient", "direction", "subject",
    "status", "dsn", "dsn_derived", "reply", "relay", "explanation", "reason", "provider", "help_url", "attempts",
    "hops",
)
"""Keys of each JSON element, in order (docs/architecture.md's contract): one element per journey and
recipient the sender used; ``status`` is the journey's final one, ``queue_id`` its first hop's.
``reason`` is one of :data:`~tracktui.smtp.REASONS` (``null`` when delivered or in transit); ``provider``
and ``help_url`` are ``null`` unless the reply came from a provider of ``data/providers.toml``."""
ATTEMPT_FIELDS: tuple[str, ...] = ("time", "relay", "dsn", "reply", "reason")
HOP_FIELDS: tuple[str, ...] = ("host", "queue_id", "relay", "status", "time")
CSV_FIELDS: tuple[str, ...] = JSON_FIELDS
"""CSV columns: the JSON fields, with ``attempts`` and ``hops`` holding how many there are."""

STATUS_STYLES: dict[Status, str] = {status: look.colour for status, look in STATUS_LOOKS.items()}
_CELL_LIMIT = 2000
"""Only this much of a cell is sanitised for the table: it is cut to the column anyway."""


def iso_utc(epoch: float) -> str:
    """``2026-11-27T09:00:01Z``: whole seconds, as the logs print them."""
    return _time.strftime("%Y-%m-%dT%H:%M:%SZ", _time.gmtime(epoch))


def explanation_of(row: DeliveryRow) -> str:
    """One sentence saying what the delivery's last reply means."""
    return explain_delivery(row).summary


# -- JSON -----------------------------------------------------------------------------------------


def json_record(row: DeliveryRow, attempts: Sequence[AttemptRow], hops: Sequence[HopRow] = ()) -> dict[str, object]:
    """The JSON element for one journey recipient, with exactly :data:`JSON_FIELDS`.

    ``hops`` defaults to the one leg the row itself describes.
    """
    explanation = explain_delivery(row)
    legs = [{"host": hop.host, "queue_id": hop.queue_id, "relay": hop.relay, "status": str(hop.status),
             "time": iso_utc(hop.time)} for hop in hops] or [
        {"host": row.host, "queue_id": row.queue_id, "relay": row.relay, "status": str(row.status),
         "time": iso_utc(row.time)}]
    return {
        "time": iso_utc(row.time),
        "host": row.host,
        "queue_id": row.queue_id,
        "message_id": row.message_id,
        "sender": row.sender,
        "recipient": row.recipient,
        "final_recipient": row.final_recipient or row.recipient,
        "direction": row.direction,
        "subject": row.subject,
        "status": str(row.status),
        "dsn": shown_dsn(row)[0],
        "dsn_derived": shown_dsn(row)[1],
        "reply": row.reply,
        "relay": row.relay,
        "explanation": explanation.summary,
        "reason": explanation.reason,
        "provider": explanation.provider,
        "help_url": explanation.help_url,
        "attempts": [
            {"time": iso_utc(attempt.time), "relay": attempt.relay, "dsn": attempt.dsn, "reply": attempt.reply,
             "reason": _attempt_reason(row, attempt)}
            for attempt in attempts
        ],
        "hops": legs,
    }


def _attempt_reason(row: DeliveryRow, attempt: AttemptRow) -> str | None:
    """The reason of one attempt; a refusal by our own server keeps the row's (it is not a provider reply)."""
    if row.refused_here:
        return explain_delivery(row).reason
    status = RESULT_TO_STATUS.get(attempt.result)
    return explain(attempt.code, attempt.dsn, attempt.reply, status, relay=attempt.relay).reason


def write_json_pairs(
    items: Iterable[tuple[DeliveryRow, Sequence[AttemptRow]] | tuple[DeliveryRow, Sequence[AttemptRow],
                                                                     Sequence[HopRow]]],
    file: IO[str],
) -> int:
    """Stream one JSON array, one element per (delivery, attempts[, hops]); returns the number written."""
    count = 0
    for item in items:
        file.write("[\n" if count == 0 else ",\n")
        file.write(json.dumps(json_record(*item)))
        count += 1
    file.write("[]\n" if count == 0 else "\n]\n")
    return count


def write_json(
    rows: Iterable[DeliveryRow],
    attempts_of: Callable[[DeliveryRow], Sequence[AttemptRow]],
    file: IO[str],
) -> int:
    """Stream one JSON array of ``rows``, asking ``attempts_of`` for each row's attempts."""
    return write_json_pairs(((row, attempts_of(row)) for row in rows), file)


# -- CSV ------------------------------------------------------------------------------------------


def write_csv(rows: Iterable[DeliveryRow], file: IO[str]) -> int:
    """Stream CSV: a header row, then one row per delivery (``attempts`` = count); returns rows written.

    Every cell of log text goes through :func:`csv_cell` (defused for spreadsheets and terminals).
    """
    writer = csv.writer(file, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    count = 0
    for row in rows:
        explanation = explain_delivery(row)
        writer.writerow([
            iso_utc(row.time), csv_cell(row.host), csv_cell(row.queue_id), csv_cell(row.message_id),
            csv_cell(row.sender), csv_cell(row.recipient), csv_cell(row.final_recipient or row.recipient),
            row.direction or "", csv_cell(row.subject), str(row.status),
            csv_cell(shown_dsn(row)[0]), "yes" if shown_dsn(row)[1] else "", csv_cell(row.reply),
            csv_cell(row.relay), csv_cell(explanation.summary),
            explanation.reason or "", csv_cell(explanation.provider), csv_cell(explanation.help_url),
            row.attempt_count, row.hop_count,
        ])
        count += 1
    return count


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: str | None) -> str:
    """One CSV cell of log text: shown as the table shows it, and never a spreadsheet formula."""
    if not value:
        return ""
    cleaned = sanitize(value)
    if value.startswith(_FORMULA_STARTS) or cleaned.startswith(_FORMULA_STARTS):
        return "'" + cleaned
    return cleaned


# -- table ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Column:
    """One table column: ``width`` in terminal cells."""

    name: str
    width: int


_FIXED = {"time": 16, "status": 9, "dsn": 7}
_FLEX: dict[str, tuple[int, int]] = {"recipient": (16, 3), "sender": (14, 3), "subject": (10, 2), "reason": (12, 3),
                                     "reply": (12, 5)}
"""Flexible columns: (minimum width, share of the spare width)."""
_ORDER = ("time", "status", "recipient", "sender", "subject", "dsn", "reason", "reply")
_DROP_ORDER = ("reply", "subject", "sender")
"""The raw reply goes first: at 80 columns its first dozen characters ("host 127.0.0…") say nothing,
while the reason ("no such user", "blocklisted: Spamhaus") says what happened."""
"""Columns given up, in this order, when the terminal is too narrow for all of them."""


def table_columns(width: int) -> list[Column]:
    """Columns and their widths for a terminal ``width`` cells wide (never wider than it)."""
    width = max(width, 40)
    gap = table_gap(width)
    names = list(_ORDER)
    for drop in (None, *_DROP_ORDER):
        if drop is not None:
            names.remove(drop)
        fixed = sum(_FIXED[name] for name in names if name in _FIXED) + gap * (len(names) - 1)
        flex = [name for name in names if name in _FLEX]
        spare = width - fixed - sum(_FLEX[name][0] for name in flex)
        if spare >= 0:
            break
    widths = {name: _FIXED[name] for name in names if name in _FIXED}
    if spare < 0:
        # Only the recipient is left and even its minimum does not fit: it gets what remains.
        widths.update({name: max(width - fixed, 1) // len(flex) for name in flex})
        return [Column(name, widths[name]) for name in names]
    shares = sum(_FLEX[name][1] for name in flex)
    given = 0
    for name in flex:
        extra = spare * _FLEX[name][1] // shares
        widths[name] = _FLEX[name][0] + extra
        given += extra
    widths[flex[-1]] += spare - given  # rounding leftovers to the last flexible column
    return [Column(name, widths[name]) for name in names]


def table_gap(width: int) -> int:
    """Spaces between columns."""
    return 2 if max(width, 40) >= 120 else 1


def write_table(
    rows: Iterable[DeliveryRow],
    console_width: int,
    file: IO[str],
    *,
    tz: tzinfo | None = None,
    color: bool | None = None,
) -> int:
    """Stream a table sized to ``console_width``: a header, then one line per delivery; returns rows written.

    Times are shown in ``tz`` (default: local). Every log-derived cell is
    sanitised and cut with an ellipsis to its column; on a colour terminal
    lines are ``Text`` printed by rich (never markup), otherwise plain strings
    of the same content (about 20x faster, for pipes and big results).
    ``color`` forces colours on or off (default: when ``file`` is a terminal).
    """
    console = Console(
        file=file,
        width=max(console_width, 40),
        force_terminal=color,
        no_color=True if color is False else None,
        highlight=False,
        emoji=False,
        markup=False,
        soft_wrap=False,
    )
    columns = table_columns(console_width)
    last = len(columns) - 1
    gap = Text(" " * table_gap(console_width))
    header = gap.join(
        _cell(column.name.upper(), column.width, "bold", pad=index < last) for index, column in enumerate(columns)
    )
    console.print(header, no_wrap=True, overflow="crop")
    styled = console.is_terminal and not console.no_color and console.color_system is not None
    plain_gap = gap.plain
    count = 0
    for row in rows:
        if styled:
            line = gap.join(
                _cell(_value(row, column.name, tz), column.width, _style(row, column.name), pad=index < last)
                for index, column in enumerate(columns)
            )
            console.print(line, no_wrap=True, overflow="crop")
        else:  # nothing to style: plain strings, without rich's per-cell cost
            file.write(plain_gap.join(
                fit(_value(row, column.name, tz), column.width, pad=index < last)
                for index, column in enumerate(columns)
            ) + "\n")
        count += 1
    return count


def fit(value: str, width: int, *, pad: bool = True) -> str:
    """``value`` cut to ``width`` terminal cells (ending in ``…`` when cut), padded with spaces if ``pad``."""
    if value.isascii():
        if len(value) > width:
            return value[: width - 1] + "…"
        return value.ljust(width) if pad else value
    cells = cell_len(value)
    if cells > width:
        return set_cell_size(value, width - 1) + "…"
    return value + " " * (width - cells) if pad else value


def _value(row: DeliveryRow, name: str, tz: tzinfo | None) -> str:
    if name == "time":
        return datetime.fromtimestamp(row.time, tz=tz).strftime("%Y-%m-%d %H:%M") if tz else _local_time(row.time)
    if name == "status":
        return str(row.status)
    if name == "reason":
        return short_reason(row)
    if name == "dsn":
        dsn, derived = shown_dsn(row)
        return f"{dsn}*" if derived and dsn else (dsn or "")
    value = getattr(row, name)
    return sanitize(value, max_length=_CELL_LIMIT) if value else ""


_REASON_WORDS: dict[str, str] = {
    "no_mx_host_not_found": "no MX / host not found", "spf_dkim_dmarc": "SPF/DKIM/DMARC", "tls_failed": "TLS failed",
    "reverse_dns": "no reverse DNS", "in_transit": "in a filter/relay", "deleted": "deleted by an admin",
    "temporary_other": "refused for now", "permanent_other": "refused",
}
"""Category slugs whose words need more than replacing ``_`` with a space."""


def short_reason(row: DeliveryRow) -> str:
    """A few words for the table: where it went, or why it did not (who refused, which blocklist)."""
    explanation = explain_delivery(row)
    if row.status is Status.DELIVERED:
        relay = (row.relay or "").partition("[")[0]
        return sanitize(f"to {relay}" if relay else "delivered", max_length=200)
    words = _REASON_WORDS.get(explanation.category, explanation.category.replace("_", " "))
    if explanation.blocklist:
        words = f"{words}: {explanation.blocklist}"
    elif explanation.provider and explanation.reason:
        words = f"{explanation.provider}: {explanation.reason}"
    if row.refused_here:
        words = f"we refused: {words}"
    return sanitize(words, max_length=200)


def _local_time(epoch: float) -> str:
    return _time.strftime("%Y-%m-%d %H:%M", _time.localtime(epoch))


def _style(row: DeliveryRow, name: str) -> str:
    if name == "status":
        return STATUS_STYLES.get(row.status, "")
    if name == "time":
        return "dim"
    return ""


def _cell(value: str, width: int, style: str, *, pad: bool) -> Text:
    text = Text(value, style=style, no_wrap=True, overflow="ellipsis")
    text.truncate(width, overflow="ellipsis", pad=pad)
    return text
