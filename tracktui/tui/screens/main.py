"""The main screen: filter form, delivery tree, details pane, sync progress.

All cache queries and syncs run in thread workers that only call the engine
and post a message from :mod:`tracktui.tui.messages`; the handlers here are
the only code touching widgets. A search has a generation number so answers
to a superseded search are dropped.
"""

from __future__ import annotations

import dataclasses
import time
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Container
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Static
from textual.worker import Worker, WorkerState, get_current_worker

from tracktui.errors import TracktuiError
from tracktui.model import STATUS_GROUP_LABELS, Filter, PageCursor, Status
from tracktui.tui import messages as msg
from tracktui.tui.keymap import bindings, footer_ranks
from tracktui.tui.render import local_time, safe
from tracktui.tui.widgets.delivery_tree import (
    AttemptData,
    DeliveryTree,
    HopData,
    MessageData,
    PlaceholderData,
    RecipientData,
)
from tracktui.tui.widgets.details import DetailsPane
from tracktui.tui.widgets.filter_form import FieldError, FilterForm, earliest_note, form_filter, group_counts
from tracktui.tui.widgets.footer import FittingFooter
from tracktui.tui.widgets.sync_bar import SyncBar

if TYPE_CHECKING:
    from tracktui.cache import Cache
    from tracktui.sync import SyncProgress
    from tracktui.tui.options import AppOptions
    from tracktui.tui.screens.subscription import Subscription



FOLLOW_SECONDS = 5.0
"""While following, the next sync starts this long after the previous one ended."""


class MainScreen(Screen[None]):
    """Search, browse and explain deliveries."""

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]

    BINDINGS = bindings()

    def __init__(self, options: AppOptions, *, cache: Cache | None = None) -> None:
        super().__init__()
        self.options = options
        self.cache: Cache | None = cache
        self.flt: Filter | None = None
        self.generation = 0
        self.next_cursor: PageCursor | None = None
        self.syncing = False
        self.search_started = 0.0
        self.last_search_seconds: float | None = None
        self.first_page_seconds: float | None = None
        self.counts: dict[Status, int] | None = None
        self.wider_counts: dict[Status, int] | None = None
        self.context: tuple[tuple[str, ...], float | None] = ((), None)
        self.following = options.follow
        self._follow_timer: Timer | None = None
        """The cache's hosts and its last completed sync, for the line above the results."""

    def compose(self) -> ComposeResult:
        options = self.options
        yield FilterForm(options.form, earliest_note=earliest_note(options.now(), options.tz, options.retention_days),
                         id="filter-form")
        yield Static(Text("Opening the cache…", style="dim"), id="result-info")
        with Container(id="results"):
            yield DeliveryTree(options.tz, id="tree")
            yield DetailsPane(tz=options.tz, clock=options.clock, queue_lifetime=options.queue_lifetime, id="details")
        yield SyncBar(id="sync-bar")
        yield FittingFooter(footer_ranks())

    def on_mount(self) -> None:
        self.query_one(DeliveryTree).focus()
        if self.cache is None:
            self._open_cache()
        else:
            self._cache_ready()

    # -- workers (engine calls only; results come back as messages) -----------------------

    @work(thread=True, exclusive=True, group="cache", exit_on_error=False)
    def _open_cache(self) -> None:
        from tracktui.cache import Cache

        cache = Cache.open(self.options.cache_url, retention_days=self.options.retention_days)
        cache.use_locality(self.options.locality)
        self.post_message(msg.CacheOpened(cache))

    @work(thread=True, exclusive=True, group="search", exit_on_error=False)
    def _search(self, generation: int, flt: Filter, after: PageCursor | None) -> None:
        assert self.cache is not None
        started = time.perf_counter()
        page = self.cache.search(flt, after=after, limit=self.options.page_size)
        self.post_message(msg.PageLoaded(generation, flt, page, first=after is None,
                                         seconds=time.perf_counter() - started))

    @work(thread=True, exclusive=True, group="counts", exit_on_error=False)
    def _counts(self, generation: int, flt: Filter) -> None:
        assert self.cache is not None
        counts = self.cache.count_by_status(flt)
        wider = None
        if not any(counts.values()) and (flt.since is not None or flt.until is not None):
            wider = self.cache.count_by_status(dataclasses.replace(flt, since=None, until=None))
        self.post_message(msg.CountsLoaded(generation, counts, self.cache.count_by_direction(flt), wider,
                                           tuple(self.cache.hosts()), self.cache.last_sync()))

    @work(thread=True, exclusive=True, group="newer", exit_on_error=False)
    def _newer(self, generation: int, flt: Filter, top_time: float, top_id: int) -> None:
        assert self.cache is not None
        page = self.cache.search(flt, limit=self.options.page_size)
        rows = tuple(row for row in page.rows if (row.time, row.delivery_id) > (top_time, top_id))
        self.post_message(msg.NewerRows(generation, rows))

    @work(thread=True, group="children", exit_on_error=False, name="recipients")
    def _recipients(self, message_key: int) -> None:
        assert self.cache is not None
        rows = self.cache.message_deliveries(message_key)
        self.post_message(msg.RecipientsLoaded(message_key, rows, self.cache.notices_for(message_key)))

    @work(thread=True, group="children", exit_on_error=False, name="attempts")
    def _attempts(self, delivery_id: int) -> None:
        assert self.cache is not None
        self.post_message(msg.AttemptsLoaded(delivery_id, self.cache.attempts(delivery_id),
                                             self.cache.hops(delivery_id)))

    @work(thread=True, group="children", exit_on_error=False, name="hops")
    def _hops(self, delivery_id: int) -> None:
        assert self.cache is not None
        self.post_message(msg.HopsLoaded(delivery_id, self.cache.hops(delivery_id)))

    @work(thread=True, exclusive=True, group="raw", exit_on_error=False)
    def _raw_lines(self, message_key: int, title: str) -> None:
        assert self.cache is not None
        self.post_message(msg.RawLinesLoaded(message_key, title, self.cache.raw_lines(message_key)))

    @work(thread=True, exclusive=True, group="sync", exit_on_error=False)
    def _sync(self) -> None:
        from tracktui.sync import sync_sources

        assert self.cache is not None
        worker = get_current_worker()
        options = self.options

        def progress(event: SyncProgress) -> None:
            self.post_message(msg.SyncProgressed(event))

        report = sync_sources(
            self.cache, options.sources, profiles=options.profiles, mta=options.mta, tz=options.log_tz,
            accept_new_host_key=options.accept_new_host_key, auth=options.auth, progress=progress,
            retention_days=options.retention_days, should_stop=lambda: worker.is_cancelled, now=options.clock(),
        )
        self.post_message(msg.SyncFinished(report))

    @work(thread=True, exclusive=True, group="export", exit_on_error=False)
    def _export(self, flt: Filter) -> None:
        from pathlib import Path

        from tracktui.config import load_config
        from tracktui.report.monthly import export_view

        assert self.cache is not None
        report = load_config(self.options.config_path).report
        path = export_view(self.cache, flt, Path(report.output_dir).expanduser(), tz=self.options.tz, progress=None,
                           file_mode=report.file_mode_bits)
        self.post_message(msg.ExportFinished(str(path)))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one place a failed worker becomes a message on screen."""
        if event.state is not WorkerState.ERROR:
            return
        error = event.worker.error
        group = event.worker.group
        if group == "sync":
            self.syncing = False
            self.query_one(SyncBar).finish(Text(f"Sync failed: {safe(str(error), limit=500)}", style="red"))
        elif group == "search":
            self.query_one(DeliveryTree).loading_more = False
        elif group == "children":
            self.query_one(DeliveryTree).reset_loading()
        elif group == "cache":
            self._info(Text(f"Cannot open the cache: {safe(str(error), limit=500)}", style="bold red"))
        self.show_error(error)
        self.refresh_bindings()

    def show_error(self, error: BaseException | None) -> None:
        """A worker's failure as one plain-text notification."""
        words = str(error) if isinstance(error, TracktuiError) else f"{type(error).__name__}: {error}"
        self.notify(safe(words, limit=500), title="Error", severity="error", markup=False, timeout=8)

    # -- cache and search ------------------------------------------------------------------

    def on_cache_opened(self, message: msg.CacheOpened) -> None:
        self.cache = message.cache
        from tracktui.tui.app import tracktui_app

        tracktui_app(self.app).cache = message.cache  # closed when the app exits
        for notice in message.cache.notices:  # e.g. "cache rebuilt" after an upgrade
            self.notify(safe(notice, limit=500), title="Cache", severity="warning", markup=False, timeout=10)
        self._cache_ready()

    def _cache_ready(self) -> None:
        self.run_search()
        if self.options.sync_on_start and self.has_sources:
            self.action_sync()

    def run_search(self) -> None:
        """Validate the form and start a new search (marks the wrong field instead, if any)."""
        form = self.query_one(FilterForm)
        try:
            flt = form_filter(form.values(), now=self.options.now(), tz=self.options.tz,
                              retention_days=self.options.retention_days)
        except FieldError as error:
            form.mark_invalid(error.field, str(error))
            return
        form.clear_invalid()
        if self.cache is None:
            return
        self.generation += 1
        self.flt = flt
        self.next_cursor = None
        self.search_started = time.perf_counter()
        self.first_page_seconds = None
        tree = self.query_one(DeliveryTree)
        tree.clear_results()
        self.query_one(DetailsPane).show(None)
        self._info(Text("Searching…", style="dim"))
        self._search(self.generation, flt, None)
        self._counts(self.generation, flt)

    @on(FilterForm.Submitted)
    def _submitted(self, event: FilterForm.Submitted) -> None:
        self.run_search()

    def on_page_loaded(self, message: msg.PageLoaded) -> None:
        if message.generation != self.generation:
            return
        tree = self.query_one(DeliveryTree)
        page = message.page
        self.next_cursor = page.next_cursor
        tree.append_rows(page.rows, has_more=page.next_cursor is not None)
        if message.first:
            self.first_page_seconds = time.perf_counter() - self.search_started
            if page.rows:
                tree.move_cursor_to_line(0)
            else:
                tree.root.add_leaf(self._empty_note(), PlaceholderData())
        self._show_info()

    def _empty_note(self) -> Text:
        """Why nothing shows, and the way out: other status groups, a wider date range, a wildcard."""
        text = Text("No deliveries match this filter.", style="dim italic")
        form = self.query_one(FilterForm)
        values = form.values()
        counts = self.counts
        if counts is not None:
            groups = group_counts(counts)
            others = [(g, n) for g, n in groups.items() if g not in (values.status, "all") and n]
            if others:
                words = ", ".join(f"{STATUS_GROUP_LABELS[g]} {n:,}" for g, n in others)
                text.append(f" {STATUS_GROUP_LABELS[values.status]} has none; {words} (keys t, p, s, a).",
                            style="italic")
        wider = self.wider_counts
        if wider is not None and any(wider.values()):
            total = sum(wider.values())
            days = self.options.retention_days
            text.append(f" {total:,} in the cache outside these dates: widen From (e.g. -{days}d).", style="italic")
        typed = values.recipient.strip()
        if typed and "@" not in typed and "*" not in typed and "." not in typed and " " not in typed:
            text.append(f" No exact match for {safe(typed, limit=40)}: try *{safe(typed, limit=40)}*.", style="italic")
        return text

    def on_counts_loaded(self, message: msg.CountsLoaded) -> None:
        if message.generation != self.generation:
            return
        self.query_one(FilterForm).set_counts(message.counts, message.directions)
        self.counts = message.counts
        self.wider_counts = message.wider
        self.context = (message.hosts, message.last_sync)
        tree = self.query_one(DeliveryTree)
        if tree.message_count == 0:
            for node in tree.root.children:
                if isinstance(node.data, PlaceholderData) and not node.data.more:
                    node.set_label(self._empty_note())
        self._show_info()

    def _show_info(self) -> None:
        tree = self.query_one(DeliveryTree)
        text = Text()
        counts = self.counts
        form = self.query_one(FilterForm)
        if counts is not None:
            total = group_counts(counts)[form.values().status]
            text.append(f"{total:,} {'delivery' if total == 1 else 'deliveries'}", style="bold")
        else:
            text.append("counting…", style="dim")
        shown = tree.message_count
        more = "+" if tree.has_more else ""  # more load as the cursor nears the end
        text.append(f" · {shown:,}{more} {'message' if shown == 1 else 'messages'} shown", style="dim")
        hosts, last_sync = self.context
        if hosts:
            more = f" +{len(hosts) - 3}" if len(hosts) > 3 else ""
            text.append(f" · {', '.join(safe(h, limit=40) for h in hosts[:3])}{more}", style="dim")
        if last_sync is not None:
            stamp = local_time(last_sync, self.options.tz)
            today = local_time(self.options.clock(), self.options.tz)[:10]
            text.append(f" · synced {stamp[11:16] if stamp[:10] == today else stamp[:16]}", style="dim")
        self._info(text)

    def _info(self, text: Text) -> None:
        self.query_one("#result-info", Static).update(text)

    @on(DeliveryTree.LoadMore)
    def _load_more(self, event: DeliveryTree.LoadMore) -> None:
        if self.flt is not None and self.next_cursor is not None:
            self._search(self.generation, self.flt, self.next_cursor)

    @on(DeliveryTree.LoadRecipients)
    def _load_recipients(self, event: DeliveryTree.LoadRecipients) -> None:
        self._recipients(event.message_key)

    @on(DeliveryTree.LoadAttempts)
    def _load_attempts(self, event: DeliveryTree.LoadAttempts) -> None:
        self._attempts(event.delivery_id)

    def on_recipients_loaded(self, message: msg.RecipientsLoaded) -> None:
        self.query_one(DeliveryTree).fill_recipients(message.message_key, message.rows, message.notices)

    def on_attempts_loaded(self, message: msg.AttemptsLoaded) -> None:
        self.query_one(DeliveryTree).fill_attempts(message.delivery_id, message.attempts, message.hops)
        self._refresh_story(message.delivery_id)

    def on_hops_loaded(self, message: msg.HopsLoaded) -> None:
        self.query_one(DeliveryTree).set_hops(message.delivery_id, message.hops)
        self._refresh_story(message.delivery_id)

    def _refresh_story(self, delivery_id: int) -> None:
        """The journey's hops arrived: retell the details if that recipient is still under the cursor."""
        data = self.query_one(DeliveryTree).cursor_data()
        if isinstance(data, RecipientData) and data.row.delivery_id == delivery_id:
            self.query_one(DetailsPane).show(data.row, hops=data.hops)

    @on(DeliveryTree.NodeHighlighted)
    def _highlighted(self, event: DeliveryTree.NodeHighlighted) -> None:
        data = event.node.data
        details = self.query_one(DetailsPane)
        if isinstance(data, MessageData):
            details.show(data.row, message_level=True)
        elif isinstance(data, RecipientData):
            details.show(data.row, hops=data.hops)
            if data.hops is None and data.row.hop_count > 1:
                self._hops(data.row.delivery_id)
        elif isinstance(data, HopData):
            details.show(data.row, hops=data.hops)
        elif isinstance(data, AttemptData):
            details.show(data.row, attempt=data.attempt)
        self.refresh_bindings()

    @on(DeliveryTree.NodeSelected)
    def _selected(self, event: DeliveryTree.NodeSelected) -> None:
        if isinstance(event.node.data, PlaceholderData) and event.node.data.more:
            self.query_one(DeliveryTree).maybe_load_more()

    # -- sync ------------------------------------------------------------------------------

    def on_sync_progressed(self, message: msg.SyncProgressed) -> None:
        self.query_one(SyncBar).update_progress(message.progress)
        if message.progress.phase == "done":
            self.refresh_after_sync()  # one host finished: show what it brought while others go on

    def on_sync_finished(self, message: msg.SyncFinished) -> None:
        self.syncing = False
        report = message.report
        failed = [result for result in report.results if result.error is not None]
        summary = Text(f"Synced {len(report.results) - len(failed)}/{len(report.results)} sources: "
                       f"{report.lines:,} new lines, {report.deliveries:,} deliveries updated "
                       f"in {report.seconds:.1f} s.", style="dim")
        if self.following:
            summary.append(f" Following: every {FOLLOW_SECONDS:g} s (f stops).", style="bold cyan")
        if failed:
            summary.append(f" {len(failed)} failed (see above).", style="red")
            for result in failed:
                self.notify(safe(str(result.error), limit=500), title="Sync failed", severity="error",
                            markup=False, timeout=10)
        self.query_one(SyncBar).finish(summary)
        self.refresh_after_sync()
        if self.following:
            self._follow_timer = self.set_timer(FOLLOW_SECONDS, self.action_sync)
        elif self.options.refresh_seconds:
            self.set_timer(self.options.refresh_seconds, self.action_sync)
        self.refresh_bindings()

    def refresh_after_sync(self) -> None:
        """New counts, and new rows above the shown ones; the cursor stays on its node."""
        if self.flt is None or self.cache is None:
            return
        self._counts(self.generation, self.flt)
        tree = self.query_one(DeliveryTree)
        top = tree.top_row()
        if top is None:
            self.run_search()
        else:
            self._newer(self.generation, self.flt, top.time, top.delivery_id)
            if not tree.has_more and tree.message_count:
                # We had everything; a sync may have added older rows after the last one.
                last = tree.last_row()
                if last is not None:
                    self.next_cursor = PageCursor(last.time, last.delivery_id)
                    self._search(self.generation, self.flt, self.next_cursor)

    def on_newer_rows(self, message: msg.NewerRows) -> None:
        if message.generation != self.generation or not message.rows:
            return
        added = self.query_one(DeliveryTree).prepend_rows(message.rows)
        if added:
            self.notify(f"{added} new message(s) above", timeout=4, markup=False)
        self._show_info()

    # -- actions ---------------------------------------------------------------------------

    @property
    def has_sources(self) -> bool:
        """Whether there is anything to sync."""
        return bool(self.options.sources or self.options.profiles)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Hide keys that do nothing right now."""
        if action == "sync":
            return self.has_sources and not self.syncing
        if action == "follow":
            return self.has_sources
        if action == "stats":
            return self.cache is not None and self.flt is not None
        if action == "export":
            return self.flt is not None
        if action == "story":
            data = self.query_one(DeliveryTree).cursor_data()
            return isinstance(data, RecipientData | HopData | AttemptData) and self.cache is not None
        if action == "raw_log":
            return isinstance(self.query_one(DeliveryTree).cursor_data(), MessageData | RecipientData | AttemptData)
        return True

    def action_focus_search(self) -> None:
        self.query_one(FilterForm).focus_fields()

    def action_focus_tree(self) -> None:
        self.set_focus(self.query_one(DeliveryTree))

    def action_status(self, group: str) -> None:
        self.query_one(FilterForm).set_status(group)

    def action_sync(self) -> None:
        if self.syncing or self.cache is None or not self.has_sources:
            return
        self.syncing = True
        sources = list(self.options.sources)
        for profile in self.options.profiles:
            sources.extend(profile.source_urls())
        self.query_one(SyncBar).start(sources)
        self._sync()
        self.refresh_bindings()

    def action_follow(self) -> None:
        """Toggle following: a sync every :data:`FOLLOW_SECONDS` after the previous one ends."""
        self.following = not self.following
        if self._follow_timer is not None:
            self._follow_timer.stop()
            self._follow_timer = None
        bar = self.query_one(SyncBar)
        if self.following:
            bar.finish(Text(f"Following: syncing every {FOLLOW_SECONDS:g} s (f stops).", style="bold cyan"))
            self.action_sync()
        else:
            bar.finish(Text("Stopped following.", style="dim"))
        self.refresh_bindings()

    def action_raw_log(self) -> None:
        data = self.query_one(DeliveryTree).cursor_data()
        if isinstance(data, MessageData | RecipientData | AttemptData):
            row = data.row
            title = f"{row.host} {row.queue_id or '(no queue id)'}"
            self._raw_lines(row.message_key, title)

    def action_story(self) -> None:
        """The full-screen delivery story of the recipient under the cursor (or of its hop's or attempt's)."""
        from tracktui.tui.screens.story import StoryScreen

        data = self.query_one(DeliveryTree).cursor_data()
        if isinstance(data, RecipientData | HopData | AttemptData) and self.cache is not None:
            self.app.push_screen(StoryScreen(data.row, cache=self.cache, options=self.options))

    def on_raw_lines_loaded(self, message: msg.RawLinesLoaded) -> None:
        from tracktui.tui.screens.rawlog import RawLogScreen

        self.app.push_screen(RawLogScreen(message.title, message.lines))

    def action_toggle_details(self) -> None:
        self.query_one(DetailsPane).toggle_class("-hidden")

    def action_export(self) -> None:
        if self.flt is None or self.cache is None:
            return
        self.notify("Writing the PDF report…", markup=False)
        self._export(self.flt)

    def on_export_finished(self, message: msg.ExportFinished) -> None:
        self.notify(f"Report written to {safe(message.path)}", title="PDF export", markup=False, timeout=10)

    def action_subscription(self) -> None:
        """The monthly report dialog; it reads and writes the config file the app was started with."""
        from tracktui.tui.screens.subscription import SubscriptionScreen

        self.app.push_screen(SubscriptionScreen(self.options.config_path), self._subscription_saved)

    def _subscription_saved(self, result: Subscription | None) -> None:
        if result is not None:
            self.notify(result.words(), title="Monthly PDF report", markup=False, timeout=12)

    def action_stats(self) -> None:
        if self.cache is None or self.flt is None:
            return
        from tracktui.tui.screens.stats import StatsScreen

        self.app.push_screen(StatsScreen(self.cache, self.flt, self.options.tz))

    def action_help(self) -> None:
        from tracktui.tui.screens.help import HelpScreen

        self.app.push_screen(HelpScreen())

    async def action_quit(self) -> None:
        self.app.exit()
