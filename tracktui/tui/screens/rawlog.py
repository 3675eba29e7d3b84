"""A scrollable screen with the raw log lines of one message, sanitized and shown literally."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import Footer, Label, RichLog

from tracktui.tui.render import safe


class RawLogScreen(ModalScreen[None]):
    """The log lines the cache holds for one message, in order."""

    BINDINGS = [
        Binding("escape", "dismiss", "Close"),
        Binding("l", "dismiss", "Close", show=False),
        Binding("q", "dismiss", "Close", show=False),
        Binding("j", "scroll('down')", "Down", show=False),
        Binding("k", "scroll('up')", "Up", show=False),
    ]

    def __init__(self, title: str, lines: list[str]) -> None:
        super().__init__()
        self.title_text = title
        self.lines = lines

    def compose(self) -> ComposeResult:
        yield Label(Text(f"Raw log lines: {safe(self.title_text, limit=200)}", style="bold"), id="raw-title")
        log = RichLog(id="raw-lines", wrap=True, markup=False, highlight=False, auto_scroll=False)
        yield log
        yield Footer()

    def on_mount(self) -> None:
        log = self.query_one(RichLog)
        if not self.lines:
            log.write(Text("The cache holds no raw lines for this message.", style="dim"))
        for line in self.lines:
            log.write(Text(safe(line)))
        log.focus()

    def action_scroll(self, direction: str) -> None:
        log = self.query_one(RichLog)
        if direction == "down":
            log.scroll_down(animate=False)
        else:
            log.scroll_up(animate=False)

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
