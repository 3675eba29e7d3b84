"""The Prometheus text exposition of a health :class:`~tracktui.health.judge.Observation`, for node-exporter.

node-exporter's textfile collector reads every ``*.prom`` file in its directory on each scrape,
so the file must be complete at every instant (the command writes it atomically) and readable
by the exporter's user (0644). Label values come from logs (domains, blocklist names) and are
untrusted: :func:`escape_label` applies the text format's escapes (backslash, double quote,
newline) and drops the other control characters, so a hostile value stays one valid sample.
Cardinality is bounded: only the :data:`TOP_DOMAINS` most-deferred domains of each host get a
series.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from tracktui.health.judge import CONTENT_LISTS, DIRECTIONS, Observation
from tracktui.model import Status
from tracktui.smtp_codes import BLOCKLISTS

TOP_DOMAINS = 20
"""Destination domains per host exported in ``tracktui_deferred_by_domain``."""
KNOWN_LISTS = tuple(sorted(name for name, _ in BLOCKLISTS.values() if name not in CONTENT_LISTS))
"""IP blocklists always exported (0 when not seen), so an alert on ``== 1`` never sees a gap."""


class QueueEntryLike(Protocol):
    """What :func:`queue_stats` needs of a live queue entry (``tracktui queue`` provides the real type)."""

    @property
    def host(self) -> str: ...

    @property
    def arrival(self) -> float: ...


@dataclass(frozen=True, slots=True)
class QueueStats:
    """One host's live MTA queue: how many entries, and the oldest one's arrival (epoch seconds)."""

    size: int
    oldest_arrival: float | None


def queue_stats(entries: Iterable[QueueEntryLike]) -> dict[str, QueueStats]:
    """Per-host queue size and oldest arrival (``tracktui check --queue`` passes ``tracktui queue``'s entries)."""
    sizes: dict[str, int] = {}
    oldest: dict[str, float] = {}
    for entry in entries:
        sizes[entry.host] = sizes.get(entry.host, 0) + 1
        oldest[entry.host] = min(entry.arrival, oldest.get(entry.host, entry.arrival))
    return {host: QueueStats(size, oldest.get(host)) for host, size in sizes.items()}


def escape_label(value: str) -> str:
    """A label value for the text format: ``\\`` ``"`` and newline escaped, other control characters dropped."""
    out: list[str] = []
    for char in value:
        if char == "\\":
            out.append("\\\\")
        elif char == '"':
            out.append('\\"')
        elif char == "\n":
            out.append("\\n")
        elif ord(char) < 0x20 or 0x7F <= ord(char) < 0xA0 or 0xD800 <= ord(char) < 0xE000:
            continue  # CR, ESC, NUL, lone surrogates: no meaning in a label, trouble for some readers
        else:
            out.append(char)
    return "".join(out)


class _Family:
    def __init__(self, name: str, help_text: str) -> None:
        self.lines = [f"# HELP {name} {help_text}", f"# TYPE {name} gauge"]
        self.name = name

    def add(self, value: float, **labels: str) -> None:
        inner = ",".join(f'{key}="{escape_label(text)}"' for key, text in labels.items())
        self.lines.append(f"{self.name}{{{inner}}} {_number(value)}" if inner else f"{self.name} {_number(value)}")


def render_textfile(
    seen: Observation,
    *,
    level: int,
    last_sync: float | None,
    queue: Mapping[str, QueueStats] | None = None,
) -> str:
    """The whole ``.prom`` file: HELP/TYPE lines and one gauge sample per line, ending in a newline.

    ``queue`` (from :func:`queue_stats`) adds ``tracktui_queue_size`` and
    ``tracktui_queue_oldest_seconds``; ``None`` leaves them out.
    """
    hosts = sorted(seen.hosts)
    families: list[_Family] = []

    deliveries = _Family("tracktui_deliveries", f"Deliveries whose latest event is in the last {seen.window:.0f} "
                         "seconds, by host, status and direction.")
    for host in hosts:
        counts = seen.hosts[host].counts
        for direction in DIRECTIONS:
            for status in Status:
                deliveries.add(counts.get((direction, status), 0), host=host, status=status.value,
                               direction=direction)
    families.append(deliveries)

    rate = _Family("tracktui_bounce_rate", "Bounced and expired over all outbound deliveries in the window (0-1).")
    oldest = _Family("tracktui_oldest_deferred_seconds",
                     "Age of the oldest still-deferred delivery in the window (0 when none).")
    by_domain = _Family("tracktui_deferred_by_domain",
                        f"Deferred deliveries by destination domain (the {TOP_DOMAINS} largest per host).")
    listed = _Family("tracktui_blocklisted",
                     "1 when a remote server refused our mail in the window because our IP is on this list.")
    for host in hosts:
        health = seen.hosts[host]
        rate.add(health.bounce_rate, host=host)
        age = seen.now - health.oldest_deferred if health.oldest_deferred is not None else 0.0
        oldest.add(max(0.0, age), host=host)
        top = sorted(health.deferred_by_domain.items(), key=lambda item: (-item[1], item[0]))[:TOP_DOMAINS]
        for domain, n in top:
            by_domain.add(n, host=host, domain=domain)
        for name in sorted(set(KNOWN_LISTS) | set(health.blocklisted)):
            listed.add(1 if health.blocklisted.get(name) else 0, host=host, list=name)
    refusing = _Family("tracktui_refused_by_provider",
                       "Who is blocking us: outbound deliveries in the window a known mailbox provider deferred or "
                       "refused, by provider and reason.")
    for host in hosts:
        for (provider, reason), n in sorted(seen.hosts[host].refusing.items()):
            refusing.add(n, host=host, provider=provider, reason=reason)
    families += [rate, oldest, by_domain, listed, refusing]

    if queue is not None:
        size = _Family("tracktui_queue_size", "Messages in the MTA's queue now.")
        queue_age = _Family("tracktui_queue_oldest_seconds", "Age of the oldest message in the MTA's queue now.")
        for host, stats in sorted(queue.items()):
            size.add(stats.size, host=host)
            arrived = stats.oldest_arrival
            queue_age.add(max(0.0, seen.now - arrived) if arrived is not None else 0.0, host=host)
        families += [size, queue_age]

    verdict = _Family("tracktui_check_status", "Verdict of the last tracktui check: 0 OK, 1 WARNING, 2 CRITICAL, "
                     "3 UNKNOWN.")
    verdict.add(level)
    families.append(verdict)
    checked = _Family("tracktui_check_timestamp_seconds", "When the last tracktui check ran (Unix time).")
    checked.add(seen.now)
    families.append(checked)
    if last_sync is not None:
        synced = _Family("tracktui_last_sync_timestamp_seconds", "When the cache last completed a sync (Unix time).")
        synced.add(last_sync)
        families.append(synced)
    return "".join("\n".join(family.lines) + "\n" for family in families)


def _number(value: float) -> str:
    if float(value).is_integer() and abs(value) < 2**53:
        return str(int(value))
    return repr(float(value))
