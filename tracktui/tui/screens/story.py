"""The delivery story: everything about one recipient on one full, scrollable screen.

Top to bottom: what happened and why, what to do, the retry deadline; the journey and its
hops; the attempts with repeats grouped; the identifiers; the raw log lines, searchable
with ``/`` and ``n``. The hops, attempts and raw lines are loaded in a thread worker that
only calls the cache and posts :class:`~tracktui.tui.messages.StoryLoaded`. Text comes from
:mod:`tracktui.tui.storytext`, always plain strings in ``rich.text.Text``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from tracktui.tui import messages as msg
from tracktui.tui.keymap import STORY_KEYS, bindings, footer_ranks
from tracktui.tui.render import MAX_LABEL, safe
from tracktui.tui.storytext import attempts_text, head_text, ids_text, journey_text, raw_line_text
from tracktui.tui.widgets.footer import FittingFooter

if TYPE_CHECKING:
    from tracktui.cache import Cache
    from tracktui.model import DeliveryRow
    from tracktui.tui.options import AppOptions

MAX_RAW_SHOWN = 500
"""Raw lines shown as lines of the story; the raw log screen (``l`` in the tree) has them all."""

COPYABLE: tuple[tuple[str, str], ...] = (("queue_id", "Queue id"), ("message_id", "Message-ID"),
                                         ("recipient", "Recipient"))
"""What ``y``/``Y`` can copy: the row's field and its name."""


def copy_value(row: DeliveryRow, field: str) -> str:
    """The value to copy, made safe (no escapes or controls reach the clipboard either)."""
    return safe(str(getattr(row, field) or ""), limit=1000)


class CopyChoice(ModalScreen[str | None]):
    """A small list: which value to copy."""

    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("q", "cancel", "Cancel", show=False)]

    def __init__(self, row: DeliveryRow) -> None:
        super().__init__()
        self.row = row

    def compose(self) -> ComposeResult:
        options = []
        for field, name in COPYABLE:
            label = Text(f"{name}: ", style="bold")
            label.append(copy_value(self.row, field)[:MAX_LABEL] or "(none)")
            options.append(Option(label, id=field, disabled=not copy_value(self.row, field)))
        with Vertical(id="copy-box"):
            yield Static(Text("Copy to the clipboard", style="bold"))
            yield OptionList(*options, id="copy-options")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


class StoryScreen(Screen[None]):
    """One recipient's delivery story; Esc or q goes back to the tree."""

    BINDINGS = bindings(STORY_KEYS)

    def __init__(self, row: DeliveryRow, *, cache: Cache, options: AppOptions) -> None:
        super().__init__()
        self.row = row
        self.cache = cache
        self.options = options
        self.lines: list[str] = []
        self.query_text = ""
        self.matches: list[int] = []
        self.current = -1

    def compose(self) -> ComposeResult:
        row, options = self.row, self.options
        with VerticalScroll(id="story"):
            yield Static(head_text(row, tz=options.tz, now=options.clock(),
                                   queue_lifetime=options.queue_lifetime(row.host)), id="story-head")
            yield Static(journey_text(row, None, tz=options.tz), id="story-journey", classes="story-section")
            yield Static(attempts_text(None, tz=options.tz), id="story-attempts", classes="story-section")
            yield Static(ids_text(row), id="story-ids", classes="story-section")
            yield Static(Text("Raw log lines", style="bold underline"), id="story-raw-title",
                         classes="story-section")
            yield Vertical(Static(Text("loading…", style="dim italic")), id="story-raw")
        yield Input(placeholder="find in the raw log lines; Enter jumps, Esc closes", id="story-find")
        yield FittingFooter(footer_ranks(STORY_KEYS))

    def on_mount(self) -> None:
        self.query_one("#story", VerticalScroll).focus()
        self._load(self.row.delivery_id, self.row.message_key)

    # -- loading ---------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="story", exit_on_error=False)
    def _load(self, delivery_id: int, message_key: int) -> None:
        cache = self.cache
        self.post_message(msg.StoryLoaded(delivery_id, cache.hops(delivery_id), cache.attempts(delivery_id),
                                          cache.raw_lines(message_key)))

    def on_story_loaded(self, message: msg.StoryLoaded) -> None:
        tz = self.options.tz
        self.query_one("#story-journey", Static).update(journey_text(self.row, message.hops, tz=tz))
        self.query_one("#story-attempts", Static).update(attempts_text(message.attempts, tz=tz))
        self.lines = message.lines[:MAX_RAW_SHOWN]
        raw = self.query_one("#story-raw", Vertical)
        raw.remove_children()
        widgets = [Static(raw_line_text(line), classes="raw-line") for line in self.lines]
        if not message.lines:
            widgets.append(Static(Text("The cache holds no raw lines for this message.", style="dim")))
        elif len(message.lines) > MAX_RAW_SHOWN:
            widgets.append(Static(Text(f"… and {len(message.lines) - MAX_RAW_SHOWN:,} more lines "
                                       "(l on the tree shows them all)", style="dim")))
        raw.mount_all(widgets)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            error = event.worker.error
            failed = Text("could not be loaded (see the error)", style="red")
            for section, title in (("#story-journey", "Journey"), ("#story-attempts", "Attempts")):
                self.query_one(section, Static).update(Text(f"{title}\n", style="bold underline") + failed)
            raw = self.query_one("#story-raw", Vertical)
            raw.remove_children()
            raw.mount(Static(failed))
            self.notify(safe(f"{type(error).__name__}: {error}", limit=500), title="Error", severity="error",
                        markup=False, timeout=8)

    # -- finding in the raw lines ----------------------------------------------------------

    def action_find(self) -> None:
        find = self.query_one("#story-find", Input)
        find.add_class("-open")
        find.focus()

    @on(Input.Submitted, "#story-find")
    def _find_submitted(self, event: Input.Submitted) -> None:
        self.find(event.value)
        self.query_one("#story", VerticalScroll).focus()

    def find(self, query: str) -> None:
        """Highlight every raw line holding ``query`` (any case) and jump to the first one."""
        self.query_text = query.strip()
        needle = self.query_text.lower()
        previous = set(self.matches)
        self.matches = [i for i, line in enumerate(self.lines) if needle and needle in safe(line).lower()]
        self.current = -1
        self._paint(previous | set(self.matches))
        if self.matches:
            self._jump(0)
        elif self.query_text:
            self.notify(f"Not in the raw log lines: {safe(self.query_text, limit=100)}", markup=False, timeout=4)

    def action_find_next(self) -> None:
        if self.matches:
            self._jump((self.current + 1) % len(self.matches))

    def action_find_previous(self) -> None:
        if self.matches:
            self._jump((self.current - 1) % len(self.matches))

    def _jump(self, index: int) -> None:
        previous = self.current
        self.current = index
        lines = list(self.query(".raw-line").results(Static))
        for match in {previous, index} - {-1}:
            line_no = self.matches[match]
            lines[line_no].update(raw_line_text(self.lines[line_no], self.query_text, current=match == index))
        target = lines[self.matches[index]]
        self.query_one("#story", VerticalScroll).scroll_to_center(target, animate=False)
        self.sub_title = f"match {index + 1} of {len(self.matches)}"

    def _paint(self, line_numbers: set[int]) -> None:
        """Redraw only the lines whose highlighting changes (a story may hold hundreds)."""
        lines = list(self.query(".raw-line").results(Static))
        for line_no in line_numbers:
            lines[line_no].update(raw_line_text(self.lines[line_no], self.query_text))

    # -- actions ---------------------------------------------------------------------------

    def action_close(self) -> None:
        """Esc: closes the find field when it is open and focused, else the story."""
        find = self.query_one("#story-find", Input)
        if find.has_focus:
            find.remove_class("-open")
            self.query_one("#story", VerticalScroll).focus()
            return
        self.dismiss(None)

    def action_copy(self, field: str) -> None:
        value = copy_value(self.row, field)
        if not value:
            self.notify("Nothing to copy: the log names none.", markup=False, timeout=4)
            return
        self.app.copy_to_clipboard(value)
        name = dict(COPYABLE).get(field, field)
        self.notify(f"Copied {name.lower()}: {value[:MAX_LABEL]}", markup=False, timeout=4)

    def action_copy_choice(self) -> None:
        self.app.push_screen(CopyChoice(self.row), self._copy_chosen)

    def _copy_chosen(self, field: str | None) -> None:
        if field is not None:
            self.action_copy(field)

    def action_help(self) -> None:
        from tracktui.tui.keymap import help_rows
        from tracktui.tui.screens.help import HelpScreen

        self.app.push_screen(HelpScreen(help_rows(STORY_KEYS), title="Delivery story keys"))
