"""One streaming pass over a report's rows: counts per status, per day, per domain, per reason.

Holds counters only, never rows, so 100,000 deliveries cost a few kilobytes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo

from tracktui.model import STATUS_GROUPS, AttemptRow, DeliveryRow, Status
from tracktui.report.words import explain_row

PERMANENT = STATUS_GROUPS["permanent"]
FAILED = PERMANENT | {Status.DEFERRED}


@dataclass(slots=True)
class DayCounts:
    """Deliveries of one chart bar: delivered, temporarily and permanently rejected."""

    delivered: int = 0
    temporary: int = 0
    permanent: int = 0

    @property
    def total(self) -> int:
        return self.delivered + self.temporary + self.permanent


@dataclass(frozen=True, slots=True)
class DomainStat:
    """One recipient domain: how many deliveries and how many of them failed."""

    domain: str
    total: int
    failed: int

    @property
    def failure_rate(self) -> float:
        return self.failed / self.total if self.total else 0.0


@dataclass(slots=True)
class Summary:
    """Everything the report's first page shows, built by :meth:`add` one row at a time."""

    tz: tzinfo
    total: int = 0
    by_status: Counter[Status] = field(default_factory=Counter)
    days: dict[date, DayCounts] = field(default_factory=dict)
    domain_total: Counter[str] = field(default_factory=Counter)
    domain_failed: Counter[str] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)
    message_keys: set[int] = field(default_factory=set)
    first_time: float | None = None
    last_time: float | None = None
    _quarter_day: dict[int, date] = field(default_factory=dict)

    def _day_of(self, moment: float) -> date:
        # Zones shift by whole quarter hours at most, so every delivery in one UTC quarter-hour shares a local day.
        quarter = int(moment // 900)
        day = self._quarter_day.get(quarter)
        if day is None:
            day = datetime.fromtimestamp(quarter * 900, self.tz).date()
            self._quarter_day[quarter] = day
        return day

    def add(self, row: DeliveryRow, attempts: Sequence[AttemptRow] = ()) -> None:
        """Count one delivery."""
        self.total += 1
        status = row.status
        self.by_status[status] += 1
        self.message_keys.add(row.message_key)
        if self.first_time is None or row.time < self.first_time:
            self.first_time = row.time
        if self.last_time is None or row.time > self.last_time:
            self.last_time = row.time
        day = self._day_of(row.time)
        counts = self.days.get(day)
        if counts is None:
            counts = self.days[day] = DayCounts()
        if status is Status.DELIVERED:
            counts.delivered += 1
        elif status is Status.DEFERRED or status is Status.IN_TRANSIT:
            counts.temporary += 1  # not settled yet: with the temporary ones, never as delivered
        else:
            counts.permanent += 1
        domain = row.recipient.rpartition("@")[2].lower() or "(local)"
        self.domain_total[domain] += 1
        if status in FAILED:
            self.domain_failed[domain] += 1
            self.reasons[explain_row(row)[0]] += 1

    def percent(self, status: Status) -> float:
        """Share of ``status`` among all deliveries, 0–100."""
        return 100.0 * self.by_status[status] / self.total if self.total else 0.0

    def top_domains(self, limit: int = 10) -> list[DomainStat]:
        """The busiest recipient domains with their failure counts."""
        return [
            DomainStat(domain, total, self.domain_failed[domain])
            for domain, total in self.domain_total.most_common(limit)
        ]

    def top_reasons(self, limit: int = 10) -> list[tuple[str, int]]:
        """The most frequent failure explanations and how often each occurred."""
        return self.reasons.most_common(limit)

    def chart_days(self, since: float | None = None, until: float | None = None) -> list[tuple[date, DayCounts]]:
        """Every day of the period (the filter's bounds, else the data's), empty days included."""
        if since is None and self.first_time is None:
            return []
        first = self._day_of(since) if since is not None else self._day_of(self.first_time or 0.0)
        last = self._day_of(until - 1) if until is not None else self._day_of(self.last_time or 0.0)
        if self.days:
            first = min(first, min(self.days))
            last = max(last, max(self.days))
        if (last - first).days > 366:
            first = last - timedelta(days=366)
        result: list[tuple[date, DayCounts]] = []
        day = first
        while day <= last:
            result.append((day, self.days.get(day, DayCounts())))
            day += timedelta(days=1)
        return result
