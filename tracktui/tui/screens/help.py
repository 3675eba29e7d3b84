"""The help screen: every key of the app, generated from the same table the bindings use."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tracktui.tui.keymap import help_rows

KEYS = help_rows()
"""The keys table (built from :mod:`tracktui.tui.keymap`, like the README's)."""


def keys_table(rows: tuple[tuple[str, str], ...] = KEYS) -> Table:
    """The keys as a Rich table (plain strings only)."""
    table = Table(box=None, show_header=True, header_style="bold", expand=True)
    table.add_column("Key", style="bold cyan", no_wrap=True)
    table.add_column("Action")
    for key, action in rows:
        table.add_row(Text(key), Text(action))
    return table


class HelpScreen(ModalScreen[None]):
    """Lists every key; any of Esc, q or ? closes it."""

    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("q", "close", "Close", show=False),
        Binding("question_mark", "close", "Close", show=False),
    ]

    def __init__(self, rows: tuple[tuple[str, str], ...] = KEYS, *, title: str = "tracktui keys") -> None:
        super().__init__()
        self.rows = rows
        self.title_text = title

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            yield Static(Text(self.title_text, style="bold"), id="help-title")
            yield Static(keys_table(self.rows), id="help-keys")
            yield Static(Text("Esc closes this help.", style="dim"))

    def action_close(self) -> None:
        self.dismiss(None)
