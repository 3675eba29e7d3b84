"""Print queue entries for ``tracktui queue``: a terminal table, CSV or one JSON array.

The same text policy as :mod:`tracktui.output`: the table sanitises every string
that came from the host and cuts it to its column; CSV cells go through
:func:`~tracktui.output.csv_cell` (no formulas, no control characters); JSON keeps
the exact text, ASCII-escaped.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from typing import IO

from tracktui.output import csv_cell, fit, iso_utc
from tracktui.queue.entries import QueueEntry
from tracktui.textsafe import sanitize

JSON_FIELDS: tuple[str, ...] = (
    "host", "queue_id", "queue", "arrival", "age_seconds", "sender", "size", "forced_expire", "recipients",
)
"""Keys of each JSON element, in order (docs/architecture.md): one element per queued message."""
RECIPIENT_FIELDS: tuple[str, ...] = ("address", "delay_reason", "code", "dsn", "explanation")
CSV_FIELDS: tuple[str, ...] = (
    "host", "queue_id", "queue", "arrival", "age_seconds", "sender", "size", "forced_expire",
    "recipient", "delay_reason", "dsn", "explanation",
)
"""CSV columns: one row per recipient still waiting (a message without one gets one row)."""


def json_record(entry: QueueEntry) -> dict[str, object]:
    return {
        "host": entry.host, "queue_id": entry.queue_id, "queue": entry.queue, "arrival": iso_utc(entry.arrival),
        "age_seconds": int(entry.age), "sender": entry.sender, "size": entry.size,
        "forced_expire": entry.forced_expire,
        "recipients": [dict(zip(RECIPIENT_FIELDS, (r.address, r.delay_reason, r.code, r.dsn, r.explanation),
                                strict=True)) for r in entry.recipients],
    }


def write_json(entries: Sequence[QueueEntry], file: IO[str]) -> int:
    file.write(json.dumps([json_record(entry) for entry in entries], ensure_ascii=True, indent=1) + "\n")
    return len(entries)


def write_csv(entries: Sequence[QueueEntry], file: IO[str]) -> int:
    writer = csv.writer(file, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    for entry in entries:
        head = [csv_cell(entry.host), csv_cell(entry.queue_id), csv_cell(entry.queue), iso_utc(entry.arrival),
                int(entry.age), csv_cell(entry.sender), entry.size, "true" if entry.forced_expire else "false"]
        for r in entry.recipients or ():
            writer.writerow([*head, csv_cell(r.address), csv_cell(r.delay_reason), csv_cell(r.dsn),
                             csv_cell(r.explanation)])
        if not entry.recipients:
            writer.writerow([*head, "", "", "", ""])
    return len(entries)


def age_text(seconds: float) -> str:
    """``45s``, ``12m``, ``3h05``, ``2d04h``: short enough for a column, exact enough to act on."""
    s = int(seconds)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m"
    if s < 86400:
        return f"{s // 3600}h{s % 3600 // 60:02d}"
    return f"{s // 86400}d{s % 86400 // 3600:02d}h"


_FIXED = (("host", 16), ("queue_id", 15), ("queue", 8), ("age", 6), ("size", 7))
_FLEX = (("sender", 2), ("recipient", 2), ("reason", 5))


def write_table(entries: Sequence[QueueEntry], width: int, file: IO[str]) -> int:
    """One line per waiting recipient; the reason column shows the plain words, else the MTA's text."""
    width = max(width, 60)
    fixed = sum(w for _, w in _FIXED) + len(_FIXED) + len(_FLEX) - 1
    spare = max(width - fixed, 3 * 8)
    shares = sum(share for _, share in _FLEX)
    widths = dict(_FIXED) | {name: max(8, spare * share // shares) for name, share in _FLEX}
    names = [name for name, _ in (*_FIXED, *_FLEX)]
    file.write(" ".join(fit(name.upper().replace("_", " "), widths[name], pad=name != "reason")
                        for name in names) + "\n")
    for entry in entries:
        for r in entry.recipients or (None,):
            values = {
                "host": entry.host, "queue_id": entry.queue_id, "queue": entry.queue, "age": age_text(entry.age),
                "size": str(entry.size), "sender": entry.sender or "<>",
                "recipient": r.address if r else "", "reason": (r.explanation or r.delay_reason) if r else "",
            }
            file.write(" ".join(fit(sanitize(values[name], max_length=2000), widths[name], pad=name != "reason")
                                for name in names) + "\n")
    return len(entries)


def effect_lines(action: str, before: dict[str, QueueEntry], after: dict[str, QueueEntry]) -> list[str]:
    """What changed per id, in words: ``4F9D195432: deferred -> hold``, ``...: deleted (gone)``."""
    lines = []
    for queue_id, old in before.items():
        new = after.get(queue_id)
        now = "gone from the queue" if new is None else new.queue
        lines.append(sanitize(f"{old.host}: {queue_id}: {old.queue} -> {now}"))
    return lines
