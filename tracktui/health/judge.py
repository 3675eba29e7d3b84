"""Judge the deliveries of a time window against thresholds: the monitoring-plugin verdict.

Levels follow the Nagios/Icinga plugin convention (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN).
Each ``--max-*`` option is the CRITICAL threshold; WARNING starts at :attr:`Thresholds.warn_ratio`
(80 %) of it, so one number per rule is enough for cron and a Nagios service alike:

- bounce rate of *outbound* mail ((bounced + expired) / outbound deliveries) above the maximum;
- a destination domain whose oldest still-deferred delivery is older than ``max_deferred_age``
  (the age is ``now - message_time``: how long the message has waited, not since its last retry);
- more deferred deliveries than ``max_deferred`` (off unless given);
- a remote server refusing *our* mail because our IP is on a blocklist: always CRITICAL, there is
  no "a little listed". Our own server refusing a listed client (``refused_here``, inbound) is
  our filter working and never counts, nor do the lists of links in a message (SURBL, URIBL):
  those judge one message's content, not the server.

Deferred deliveries our own server caused by refusing a client (greylisting) are not ours to
wait for and are left out of every deferred rule.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from tracktui.model import DeliveryRow, Status
from tracktui.smtp import explain_delivery
from tracktui.smtp_codes import BLOCKLISTS, DOMAIN_LISTS
from tracktui.textsafe import sanitize

OK, WARNING, CRITICAL, UNKNOWN = 0, 1, 2, 3
LEVEL_NAMES = {OK: "OK", WARNING: "WARNING", CRITICAL: "CRITICAL", UNKNOWN: "UNKNOWN"}
DIRECTIONS = ("outbound", "inbound", "local")
FAILED = frozenset({Status.BOUNCED, Status.EXPIRED})
PROBLEM_STATUSES = frozenset({Status.DEFERRED, Status.BOUNCED, Status.EXPIRED})
"""The statuses :func:`observe` needs rows of (delivered and in-transit rows only need counting)."""

CONTENT_LISTS = frozenset(BLOCKLISTS[key][0] for key in DOMAIN_LISTS)
"""Lists of domains and links in messages (SURBL, URIBL): one message's content, not our sending IP."""

_DURATION = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|d|w)?\s*", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_RATE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*%?\s*")


def parse_duration(text: str) -> float:
    """``90s``, ``30m``, ``6h``, ``2d``, ``1w`` (or bare seconds) as seconds; ``ValueError`` otherwise."""
    match = _DURATION.fullmatch(text)
    if match is None or float(match.group(1)) <= 0:
        raise ValueError(f"not a duration such as 30m, 6h or 2d: {text!r}")
    unit = (match.group(2) or "s").lower()
    return float(match.group(1)) * _UNIT_SECONDS[unit]


def parse_rate(text: str) -> float:
    """A percentage (``5%`` or ``5``) as a fraction (0.05); ``ValueError`` outside 0-100."""
    match = _RATE.fullmatch(text)
    if match is None or not 0 <= float(match.group(1)) <= 100:
        raise ValueError(f"not a percentage from 0 to 100 such as 5%: {text!r}")
    return float(match.group(1)) / 100


@dataclass(frozen=True, slots=True)
class Thresholds:
    """CRITICAL thresholds; WARNING starts at ``warn_ratio`` of each."""

    max_deferred_age: float = 6 * 3600
    """Seconds a destination domain's oldest deferred delivery may wait."""
    max_bounce_rate: float = 0.05
    """Fraction of outbound deliveries that may bounce or expire."""
    max_deferred: int | None = None
    """Deferred deliveries allowed at once; ``None``: not judged."""
    max_queue: int | None = None
    """Messages a host's queue may hold right now; ``None``: not judged."""
    warn_ratio: float = 0.8


@dataclass(slots=True)
class HostHealth:
    """What one mail host's deliveries in the window show."""

    counts: dict[tuple[str, Status], int] = field(default_factory=dict)
    """Deliveries by (direction, status)."""
    oldest_deferred: float | None = None
    """``message_time`` of the oldest deferred delivery (ours to retry), or ``None``."""
    deferred_by_domain: dict[str, int] = field(default_factory=dict)
    oldest_by_domain: dict[str, float] = field(default_factory=dict)
    blocklisted: dict[str, int] = field(default_factory=dict)
    """Outbound deliveries refused because our IP is listed, by blocklist name."""
    refusing: dict[tuple[str, str], int] = field(default_factory=dict)
    """Who is blocking us: outbound deliveries deferred or refused, by (provider, reason)."""

    @property
    def outbound(self) -> int:
        return sum(n for (direction, _), n in self.counts.items() if direction == "outbound")

    @property
    def outbound_failed(self) -> int:
        return sum(n for (direction, status), n in self.counts.items()
                   if direction == "outbound" and status in FAILED)

    @property
    def bounce_rate(self) -> float:
        """Bounced + expired over all outbound deliveries (0 when nothing went out)."""
        return self.outbound_failed / self.outbound if self.outbound else 0.0

    @property
    def deferred(self) -> int:
        return sum(self.deferred_by_domain.values())


@dataclass(slots=True)
class Observation:
    """The window's facts per host, and the instant they are judged at."""

    now: float
    window: float
    hosts: dict[str, HostHealth] = field(default_factory=dict)

    def host(self, name: str) -> HostHealth:
        return self.hosts.setdefault(name, HostHealth())

    @property
    def total(self) -> int:
        return sum(sum(h.counts.values()) for h in self.hosts.values())

    @property
    def outbound(self) -> int:
        return sum(h.outbound for h in self.hosts.values())

    @property
    def bounce_rate(self) -> float:
        outbound = self.outbound
        return sum(h.outbound_failed for h in self.hosts.values()) / outbound if outbound else 0.0

    @property
    def deferred(self) -> int:
        return sum(h.deferred for h in self.hosts.values())

    def oldest_deferred_age(self) -> float:
        """Seconds the oldest deferred delivery (any host) has waited; 0 when none."""
        times = [h.oldest_deferred for h in self.hosts.values() if h.oldest_deferred is not None]
        return max(0.0, self.now - min(times)) if times else 0.0

    def domain_ages(self) -> dict[str, float]:
        """Per destination domain (all hosts), the age of its oldest deferred delivery."""
        oldest: dict[str, float] = {}
        for health in self.hosts.values():
            for domain, when in health.oldest_by_domain.items():
                oldest[domain] = min(when, oldest.get(domain, when))
        return {domain: max(0.0, self.now - when) for domain, when in oldest.items()}

    def blocklisted(self) -> dict[str, int]:
        merged: dict[str, int] = {}
        for health in self.hosts.values():
            for name, n in health.blocklisted.items():
                merged[name] = merged.get(name, 0) + n
        return merged


def recipient_domain(row: DeliveryRow) -> str:
    """The destination domain of a delivery: of the final recipient when known, lower case."""
    address = row.final_recipient or row.recipient or ""
    domain = address.rpartition("@")[2].strip().strip(">").lower()
    return domain or "(none)"


def observe(
    counts: Mapping[tuple[str, str, Status], int],
    rows: Iterable[DeliveryRow],
    *,
    now: float,
    window: float,
    hosts: Iterable[str] = (),
) -> Observation:
    """Facts of the window from counts by (host, direction, status) and the rows of :data:`PROBLEM_STATUSES`.

    ``rows`` may hold other statuses too; they are ignored. Counts are taken as given (the cache's
    aggregate queries), so a window of a million deliveries costs rows only for its problems.
    ``hosts`` are reported even with nothing in the window, so a host that went quiet shows zeros
    instead of vanishing from the metrics.
    """
    seen = Observation(now=now, window=window)
    for host in hosts:
        seen.host(host)
    for (host, direction, status), n in counts.items():
        if n:
            health = seen.host(host)
            health.counts[(direction, status)] = health.counts.get((direction, status), 0) + n
    for row in rows:
        if row.status not in PROBLEM_STATUSES:
            continue
        health = seen.host(row.host)
        if row.status is Status.DEFERRED and not row.refused_here:
            domain = recipient_domain(row)
            health.deferred_by_domain[domain] = health.deferred_by_domain.get(domain, 0) + 1
            first = row.message_time
            health.oldest_by_domain[domain] = min(first, health.oldest_by_domain.get(domain, first))
            if health.oldest_deferred is None or first < health.oldest_deferred:
                health.oldest_deferred = first
        if row.direction == "outbound" and not row.refused_here:
            explanation = explain_delivery(row)
            if explanation.provider:
                key = (explanation.provider, explanation.reason or "other")
                health.refusing[key] = health.refusing.get(key, 0) + 1
            if explanation.category == "blocklisted" and explanation.blocklist not in CONTENT_LISTS:
                name = explanation.blocklist or "unnamed"
                health.blocklisted[name] = health.blocklisted.get(name, 0) + 1
    return seen


@dataclass(frozen=True, slots=True)
class Verdict:
    """The worst level, the reasons for it, and the plugin's one output line."""

    level: int
    reasons: tuple[str, ...]
    line: str

    @property
    def name(self) -> str:
        return LEVEL_NAMES[self.level]


def judge(seen: Observation, limits: Thresholds, *, problem: str | None = None,
          queue_sizes: Mapping[str, int] | None = None) -> Verdict:
    """The verdict on ``seen``; ``problem`` (a failed sync) makes it UNKNOWN whatever the data says.

    ``queue_sizes``: messages each host's queue holds now (``check --queue``), judged against ``max_queue``.
    """
    findings: list[tuple[int, str]] = []
    warn = limits.warn_ratio

    rate, most = seen.bounce_rate, limits.max_bounce_rate
    level = _level(rate, most, warn)
    if level == CRITICAL:
        findings.append((level, f"outbound bounce rate {_percent(rate)} over max {_percent(most)}"))
    elif level == WARNING:
        findings.append((level, f"outbound bounce rate {_percent(rate)} over {_percent(most * warn)} "
                                f"(max {_percent(most)})"))

    slow = sorted(seen.domain_ages().items(), key=lambda item: (-item[1], item[0]))
    for level_wanted in (CRITICAL, WARNING):
        named = [(d, age) for d, age in slow if _level(age, limits.max_deferred_age, warn) == level_wanted]
        if named:
            listed = ", ".join(f"{d} ({_duration(age)})" for d, age in named[:3])
            more = f" and {len(named) - 3} more" if len(named) > 3 else ""
            bound = limits.max_deferred_age * (1 if level_wanted == CRITICAL else warn)
            findings.append((level_wanted, f"deferring over {_duration(bound)}: {listed}{more}"))

    if limits.max_deferred is not None:
        level = _level(seen.deferred, limits.max_deferred, warn)
        if level:
            findings.append((level, f"{seen.deferred} deferred (max {limits.max_deferred})"))

    if limits.max_queue is not None and queue_sizes:
        for host, size in sorted(queue_sizes.items(), key=lambda item: (-item[1], item[0])):
            level = _level(size, limits.max_queue, warn)
            if level:
                findings.append((level, f"{host} queue holds {size} (max {limits.max_queue})"))

    lists = seen.blocklisted()
    if lists:
        named_lists = ", ".join(f"{name} ({n})" for name, n in sorted(lists.items(), key=lambda i: (-i[1], i[0])))
        findings.append((CRITICAL, f"our IP is blocklisted: {named_lists}"))

    level = max((lvl for lvl, _ in findings), default=OK)
    reasons = tuple(text for lvl, text in sorted(findings, key=lambda f: -f[0]))
    if problem is not None:
        level, reasons = UNKNOWN, (problem, *reasons)
    return Verdict(level, reasons, _line(seen, limits, level, reasons))


def _level(value: float, maximum: float, warn_ratio: float) -> int:
    if value > maximum:
        return CRITICAL
    if value > maximum * warn_ratio:
        return WARNING
    return OK


def _line(seen: Observation, limits: Thresholds, level: int, reasons: tuple[str, ...]) -> str:
    noun = "delivery" if seen.total == 1 else "deliveries"
    facts = (f"{seen.total} {noun} in {_duration(seen.window)}, bounce rate {_percent(seen.bounce_rate)}, "
             f"oldest deferred {_duration(seen.oldest_deferred_age()) if seen.deferred else 'none'}")
    text = "; ".join((*reasons, facts))
    text = sanitize(text, max_length=1000).replace("|", "/")  # domains and list names come from logs
    warn = limits.warn_ratio
    perf = [
        f"deliveries={seen.total};;;0",
        f"outbound={seen.outbound};;;0",
        f"bounce_rate={seen.bounce_rate * 100:.2f}%;{limits.max_bounce_rate * warn * 100:g};"
        f"{limits.max_bounce_rate * 100:g};0;100",
        f"oldest_deferred={seen.oldest_deferred_age():.0f}s;{limits.max_deferred_age * warn:.0f};"
        f"{limits.max_deferred_age:.0f};0",
        "deferred={};{};{};0".format(
            seen.deferred,
            "" if limits.max_deferred is None else f"{limits.max_deferred * warn:g}",
            "" if limits.max_deferred is None else limits.max_deferred,
        ),
        f"blocklisted={sum(seen.blocklisted().values())};;1;0",
    ]
    return f"TRACKTUI {LEVEL_NAMES[level]} - {text} | {' '.join(perf)}"


def _percent(fraction: float) -> str:
    return f"{fraction * 100:.1f}%"


def _duration(value: float) -> str:
    """Short human duration: ``45s``, ``12m``, ``2h``, ``2h30m``, ``24h``, ``3d`` (hours up to two days)."""
    seconds = round(value)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 2 * 86400:
        hours, minutes = divmod(seconds // 60, 60)
        return f"{hours}h{minutes:02d}m" if minutes else f"{hours}h"
    days, hours = divmod(seconds // 3600, 24)
    return f"{days}d{hours}h" if hours else f"{days}d"
