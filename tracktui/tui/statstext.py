"""The stats view's text: the PDF summary's numbers, live in the terminal, as plain-string ``Text``.

Pure (no Textual, no I/O): a :class:`~tracktui.report.summary.Summary` and the "who is blocking
us" counts in, ``rich.text.Text`` out, sized for 80 columns.
"""

from __future__ import annotations

from collections import Counter
from datetime import date

from rich.text import Text

from tracktui.model import Status
from tracktui.report.summary import DayCounts, Summary
from tracktui.statuses import STATUS_LOOKS
from tracktui.textsafe import sanitize

BAR_WIDTH = 40
"""Cells of the longest bar in the per-day chart."""
DAYS_SHOWN = 14


def day_bars(days: list[tuple[date, DayCounts]], width: int = BAR_WIDTH) -> Text:
    """One line per day: delivered, temporary and permanent as three runs of one bar, scaled to ``width``."""
    text = Text()
    shown = days[-DAYS_SHOWN:]
    most = max((counts.total for _day, counts in shown), default=0)
    for day, counts in shown:
        text.append(f" {day:%a %d %b}  ", style="dim")
        for n, status in ((counts.delivered, Status.DELIVERED), (counts.temporary, Status.DEFERRED),
                          (counts.permanent, Status.BOUNCED)):
            cells = round(width * n / most) if most else 0
            if n and not cells:
                cells = 1  # a day with a few failures must not look clean
            text.append("█" * cells, style=STATUS_LOOKS[status].colour)
        text.append(f"  {counts.total:,}", style="bold")
        if counts.temporary or counts.permanent:
            text.append(f" ({counts.temporary:,} temp., {counts.permanent:,} perm.)", style="dim")
        text.append("\n")
    return text


def stats_text(summary: Summary, blocking: Counter[tuple[str, str]], blocklists: Counter[str]) -> Text:
    """The whole view: totals per status, the days, top domains, top reasons, who is blocking us."""
    text = Text()
    text.append(f"{summary.total:,} deliveries", style="bold")
    text.append(f" in {len(summary.message_keys):,} messages\n", style="dim")
    for status in Status:
        n = summary.by_status[status]
        if n:
            look = STATUS_LOOKS[status]
            text.append(f" {look.mark} {look.label:<22}", style=look.colour)
            text.append(f"{n:>8,}  {summary.percent(status):5.1f}%\n")
    text.append("\nPer day", style="bold underline")
    text.append("  (delivered / temporarily / permanently rejected)\n", style="dim")
    text.append_text(day_bars(summary.chart_days()))
    text.append("\nTop recipient domains", style="bold underline")
    text.append("  (deliveries, failed)\n", style="dim")
    for stat in summary.top_domains(10):
        text.append(f" {sanitize(stat.domain, max_length=40):<40} {stat.total:>7,} {stat.failed:>7,}")
        text.append(f"  {100 * stat.failure_rate:5.1f}% failed\n", style="red" if stat.failure_rate > 0.1 else "dim")
    text.append("\nTop failure reasons\n", style="bold underline")
    reasons = summary.top_reasons(8)
    if not reasons:
        text.append(" none\n", style="dim")
    for words, n in reasons:
        text.append(f" {n:>7,}  {sanitize(words, max_length=300)}\n")
    text.append("\nWho is blocking us", style="bold underline")
    text.append("  (outbound mail deferred or refused)\n", style="dim")
    if not blocking and not blocklists:
        text.append(" nobody: no known provider or blocklist refused our mail in this view\n", style="dim")
    for (provider, reason), n in blocking.most_common(8):
        text.append(f" {n:>7,}  {sanitize(provider, max_length=60)}: {reason}\n")
    for name, n in blocklists.most_common(8):
        text.append(f" {n:>7,}  our IP on {sanitize(name, max_length=60)}\n", style="red")
    return text
