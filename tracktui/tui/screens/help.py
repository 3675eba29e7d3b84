"""The help screen: every key of the app, generated from the same table the bindings use."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

KEYS: tuple[tuple[str, str], ...] = (
    ("/", "Search fields: type a recipient, sender, subject or dates; Enter searches"),
    ("Esc", "Back from the fields to the results"),
    ("s  or 1", "Delivered"),
    ("t  or 2", "Temporarily rejected (deferred: the server keeps retrying)"),
    ("p  or 3", "Permanently rejected (bounced or expired)"),
    ("a  or 4", "All deliveries"),
    ("↑ ↓  or  j k", "Move through the results; more load as you near the end"),
    ("Enter / Space", "Expand a message (its recipients) or a recipient (its attempts)"),
    ("r", "Sync now: read new log lines from the sources"),
    ("l", "Raw log lines of the selected message"),
    ("d", "Show or hide the details pane"),
    ("e", "Export the current view as a PDF report"),
    ("m", "Monthly PDF report by e-mail: subscribe, change the address or unsubscribe"),
    ("Ctrl+P", "Command palette: every action by name"),
    ("?", "This help"),
    ("q", "Quit (Ctrl+Q works everywhere)"),
)
"""The keys table, shown here and in the README."""


def keys_table() -> Table:
    """The keys as a Rich table (plain strings only)."""
    table = Table(box=None, show_header=True, header_style="bold", expand=True)
    table.add_column("Key", style="bold cyan", no_wrap=True)
    table.add_column("Action")
    for key, action in KEYS:
        table.add_row(Text(key), Text(action))
    return table


class HelpScreen(ModalScreen[None]):
    """Lists every key; any of Esc, q or ? closes it."""

    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("q", "close", "Close", show=False),
        Binding("question_mark", "close", "Close", show=False),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            yield Static(Text("tracktui keys", style="bold"), id="help-title")
            yield Static(keys_table(), id="help-keys")
            yield Static(Text("Esc closes this help.", style="dim"))

    def action_close(self) -> None:
        self.dismiss(None)
