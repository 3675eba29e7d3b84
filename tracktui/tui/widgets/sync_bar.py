"""Sync progress: one bar per source while a sync runs, one status line otherwise."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Label, ProgressBar, Static

from tracktui.tui.render import safe

if TYPE_CHECKING:
    from tracktui.sync import SyncProgress

PHASE_WORDS = {"connecting": "connecting", "listing": "listing files", "reading": "reading",
               "done": "done", "failed": "failed"}


def progress_words(progress: SyncProgress) -> Text:
    """``mx1 reading /var/log/mail.log: 12,345 lines, 3,210 deliveries``, as plain-string text."""
    text = Text(safe(progress.host or progress.source, limit=60), style="bold")
    text.append(f" {PHASE_WORDS.get(progress.phase, progress.phase)}")
    if progress.phase == "failed":
        text.append(f": {safe(progress.label, limit=300)}", style="red")
        return text
    if progress.label:
        text.append(f" {safe(progress.label, limit=80)}", style="dim")
    text.append(f": {progress.lines:,} lines, {progress.deliveries:,} deliveries")
    return text


class SourceProgress(Horizontal):
    """One source's bar and words."""

    def __init__(self, source: str) -> None:
        super().__init__(classes="source-progress")
        self.source = source

    def compose(self) -> ComposeResult:
        yield ProgressBar(total=None, show_eta=False, show_percentage=True)
        yield Label(Text(safe(self.source, limit=80)), classes="progress-words")

    def update_progress(self, progress: SyncProgress) -> None:
        """Move the bar and rewrite the words."""
        bar = self.query_one(ProgressBar)
        if progress.phase in ("done", "failed"):
            bar.update(total=1, progress=1)
        elif progress.bytes_total:
            bar.update(total=progress.bytes_total, progress=progress.bytes_done)
        self.set_class(progress.phase == "failed", "-failed")
        self.query_one(".progress-words", Label).update(progress_words(progress))


class SyncBar(Vertical):
    """Bars for the running sync and a one-line summary of the last one."""

    def compose(self) -> ComposeResult:
        yield Static(Text("", style="dim"), id="sync-status")

    def start(self, sources: list[str]) -> None:
        """A sync began: one bar per source."""
        for row in self.query(SourceProgress):
            row.remove()
        self.mount_all([SourceProgress(source) for source in sources])
        self.set_status(Text("Syncing… the results refresh when it finishes.", style="dim"))

    def update_progress(self, progress: SyncProgress) -> None:
        """Route one progress event to its source's bar."""
        for row in self.query(SourceProgress):
            if row.source == progress.source:
                row.update_progress(progress)
                return

    def finish(self, summary: Text, *, keep_failed: bool = True) -> None:
        """The sync ended: drop the bars of sources that went fine, show ``summary``."""
        for row in self.query(SourceProgress):
            if not (keep_failed and row.has_class("-failed")):
                row.remove()
        self.set_status(summary)

    def set_status(self, text: Text) -> None:
        """Replace the summary line (hidden while empty: every line counts at 80x24)."""
        status = self.query_one("#sync-status", Static)
        status.update(text)
        status.display = bool(text.plain)

    def on_mount(self) -> None:
        self.query_one("#sync-status", Static).display = False
