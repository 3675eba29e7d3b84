"""The stats view (``S``): the current filter's numbers at a glance — per status, per day, top
domains and reasons, and who is blocking our mail. One pass over the filter's rows in a thread
worker (the same :class:`~tracktui.report.summary.Summary` the PDF uses); Esc goes back.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Static

from tracktui.report.summary import Summary
from tracktui.smtp import explain_delivery
from tracktui.tui.statstext import stats_text

if TYPE_CHECKING:
    from datetime import tzinfo

    from tracktui.cache import Cache
    from tracktui.model import Filter

STATS_ROW_LIMIT = 200_000
"""Rows read for one view; beyond it the view says it counted a sample (narrow the dates)."""


class StatsLoaded(Message):
    def __init__(self, text: Text) -> None:
        super().__init__()
        self.text = text


class StatsScreen(Screen[None]):
    """Numbers of the current filter; scroll with the arrows and page keys."""

    BINDINGS = [Binding("escape", "close", "Back"), Binding("q", "close", "Back", show=False),
                Binding("S", "close", "Back", show=False)]

    def __init__(self, cache: Cache, flt: Filter, tz: tzinfo) -> None:
        super().__init__()
        self.cache, self.flt, self.tz = cache, flt, tz

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="stats"):
            yield Static(Text("Counting…", style="dim"), id="stats-body")

    def on_mount(self) -> None:
        self.query_one("#stats", VerticalScroll).focus()
        self._load()

    @work(thread=True, exclusive=True, exit_on_error=False)
    def _load(self) -> None:
        summary = Summary(self.tz)
        blocking: Counter[tuple[str, str]] = Counter()
        blocklists: Counter[str] = Counter()
        read = 0
        for row, attempts in self.cache.iter_report_rows(self.flt):
            summary.add(row, attempts)
            if row.direction == "outbound" and not row.refused_here and row.status.value in (
                    "deferred", "bounced", "expired"):
                explanation = explain_delivery(row)
                if explanation.provider:
                    blocking[(explanation.provider, explanation.reason or "other")] += 1
                if explanation.category == "blocklisted" and explanation.blocklist:
                    blocklists[explanation.blocklist] += 1
            read += 1
            if read >= STATS_ROW_LIMIT:
                break
        text = stats_text(summary, blocking, blocklists)
        if read >= STATS_ROW_LIMIT:
            text.append(f"\nCounted the newest {STATS_ROW_LIMIT:,} deliveries only: narrow the dates for all.\n",
                        style="yellow")
        text.append("\nEsc: back", style="dim")
        self.post_message(StatsLoaded(text))

    def on_stats_loaded(self, message: StatsLoaded) -> None:
        self.query_one("#stats-body", Static).update(message.text)

    def action_close(self) -> None:
        self.app.pop_screen()
