"""Reports built from the cache: the TUI's one-key export, file names, and the monthly report's month and state.

The state file records which month's report went to which address, so a
daily cron job or systemd timer mails each month once. It lives under
``platformdirs.user_state_dir("tracktui")`` (``TRACKTUI_STATE_DIR``
overrides it, for tests and for several independent subscriptions).
"""

from __future__ import annotations

import json
import re
import time as clock
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tracktui.config import ensure_private_dir, state_dir, write_file_atomic
from tracktui.errors import UsageError, os_reason
from tracktui.model import STATUS_GROUPS, Filter
from tracktui.report.pdf import Progress, ReportStats, render_report
from tracktui.report.words import MONTHS, filter_words

if TYPE_CHECKING:
    from tracktui.cache import Cache

STATE_FILE = "monthly-reports.json"
_MONTH_RE = re.compile(r"^(\d{4})-(\d{1,2})$")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True, slots=True)
class Month:
    """One calendar month in a zone: its label (``2026-10``) and its bounds (``until`` exclusive)."""

    label: str
    since: datetime
    until: datetime

    @property
    def words(self) -> str:
        """``October 2026``."""
        return f"{MONTHS[self.since.month - 1]} {self.since.year}"


def month_of(text: str | None, *, now: datetime, tz: tzinfo) -> Month:
    """The month ``YYYY-MM`` names, or the calendar month before ``now``; boundaries are local midnights."""
    if text is None:
        first_this = now.astimezone(tz).date().replace(day=1)
        year, month = (first_this - timedelta(days=1)).year, (first_this - timedelta(days=1)).month
    else:
        match = _MONTH_RE.match(text.strip())
        if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1970:
            raise UsageError(f"--month wants YYYY-MM, e.g. 2026-10, not {text.strip()[:40]!r}")
        year, month = int(match.group(1)), int(match.group(2))
    next_year, next_month = (year + 1, 1) if month == 12 else (year, month + 1)
    since = datetime(year, month, 1, tzinfo=tz)
    until = datetime(next_year, next_month, 1, tzinfo=tz)
    return Month(f"{year:04d}-{month:02d}", since, until)


def month_filter(month: Month) -> Filter:
    """Every delivery of ``month``, whatever its status."""
    return Filter(statuses=STATUS_GROUPS["all"], since=month.since.timestamp(), until=month.until.timestamp())


# -- state ----------------------------------------------------------------------------------------


def state_path() -> Path:
    """Where the sent-months record lives."""
    return state_dir() / STATE_FILE


def _load_state(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {"sent": {}}
    except (OSError, ValueError) as error:
        raise UsageError(f"cannot read the monthly report state {path}: {error}") from error
    if not isinstance(data, dict) or not isinstance(data.get("sent"), dict):
        return {"sent": {}}
    return data


def sent_at(month: str, to: str, path: Path | None = None) -> float | None:
    """When ``month``'s report was mailed to ``to`` (epoch seconds), or ``None`` if never."""
    entries = _load_state(path or state_path())["sent"].get(month, [])
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict) and str(entry.get("to", "")).lower() == to.lower():
            return float(entry.get("at", 0.0))
    return None


def record_sent(month: str, to: str, *, at: float | None = None, path: Path | None = None) -> None:
    """Note that ``month``'s report went to ``to`` (atomic rewrite of the state file)."""
    path = path or state_path()
    data = _load_state(path)
    entries = [e for e in data["sent"].get(month, []) if isinstance(e, dict) and
               str(e.get("to", "")).lower() != to.lower()]
    entries.append({"to": to, "at": clock.time() if at is None else at})
    data["sent"][month] = entries
    ensure_private_dir(path.parent)
    write_file_atomic(path, json.dumps(data, indent=2, sort_keys=True).encode("utf-8"), mode=0o600)


# -- building reports from the cache --------------------------------------------------------------

_STATUS_SLUGS = {frozenset(v): k for k, v in STATUS_GROUPS.items()}
"""Status set to its ``--status`` name; the filter form's group names win over single statuses."""


def report_filename(flt: Filter, tz: tzinfo, now: datetime) -> str:
    """``tracktui-permanent-2026-11-01_2026-11-27-to-example.com.pdf``: the filter and date, safe characters only."""
    parts = ["tracktui", _STATUS_SLUGS.get(frozenset(flt.statuses), "custom")]
    start = datetime.fromtimestamp(flt.since, tz).date() if flt.since is not None else None
    end = datetime.fromtimestamp(flt.until - 1, tz).date() if flt.until is not None else now.astimezone(tz).date()
    parts.append(f"{start.isoformat()}_{end.isoformat()}" if start else f"until-{end.isoformat()}")
    for word, value in (("to", flt.recipient), ("from", flt.sender), ("on", ",".join(flt.hosts) or None)):
        if value:
            parts.append(f"{word}-{value.lstrip('@')}")
    name = "-".join(_UNSAFE.sub("_", part).strip("._-") or "_" for part in parts)
    return name[:150] + ".pdf"


def build_report(
    cache: Cache, flt: Filter, path: Path, *, tz: tzinfo, title: str, progress: Progress | None = None,
    now: float | None = None, file_mode: int = 0o600,
) -> ReportStats:
    """Render the deliveries ``flt`` selects from ``cache`` into ``path`` (mode ``file_mode``, private by default)."""
    counts = cache.count_by_status(flt)
    total = sum(count for status, count in counts.items() if status in flt.statuses)
    hosts = list(flt.hosts) or cache.hosts()
    return render_report(
        path,
        lambda: cache.iter_report_rows(flt),
        title=title,
        filter_words=filter_words(flt, tz),
        hosts=hosts,
        generated_at=clock.time() if now is None else now,
        tz=tz,
        progress=progress,
        total=total,
        period=(flt.since, flt.until),
        file_mode=file_mode,
    )


def export_view(cache: Cache, flt: Filter, directory: Path, *, tz: tzinfo, progress: Progress | None = None,
                file_mode: int = 0o600) -> Path:
    """The TUI's ``e`` key: a PDF of exactly what ``flt`` shows, in ``directory``, named from filter and date.

    Blocking (run it in a worker); an existing file of the same name gets a
    numeric suffix rather than being overwritten. ``progress(done, total)``
    may raise to cancel: no partial file is left behind. A directory that
    cannot be written is a one-line :class:`UsageError`.
    """
    directory = Path(directory).expanduser()
    now = datetime.now(tz)
    name = report_filename(flt, tz, now)
    path = directory / name
    try:
        directory.mkdir(parents=True, exist_ok=True)
        counter = 2
        while path.exists():
            path = directory / f"{name[:-4]}-{counter}.pdf"
            counter += 1
        build_report(cache, flt, path, tz=tz, title="Mail delivery report", progress=progress, now=now.timestamp(),
                     file_mode=file_mode)
    except OSError as error:
        raise UsageError(f"cannot write the report to {directory}: {os_reason(error)}") from error
    return path

