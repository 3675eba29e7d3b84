"""The filter form: status group with counts, date range, recipient, sender, subject, direction with counts.

The form only collects what the user typed; :func:`form_filter` turns it into
a :class:`~tracktui.model.Filter` with :func:`tracktui.filters.build_filter`
(the same rules as the command line) and says which field is wrong, so the
screen can mark that field instead of failing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, tzinfo

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Input, Label, RadioButton, RadioSet, Select, Static

from tracktui.dates import format_day
from tracktui.errors import UsageError
from tracktui.filters import (
    build_filter,
    earliest_allowed,
    normalize_address_pattern,
    normalize_text,
    split_search_text,
)
from tracktui.model import STATUS_GROUP_LABELS, STATUS_GROUPS, Filter, Status

GROUPS: tuple[str, ...] = tuple(STATUS_GROUP_LABELS)
"""``delivered``, ``temporary``, ``permanent``, ``all``: the radio buttons, in order."""
FIELDS: tuple[str, ...] = ("since", "until", "recipient", "sender", "subject")


@dataclass(frozen=True, slots=True)
class FormValues:
    """What the form holds, as typed."""

    status: str = "delivered"
    since: str = "today"
    until: str = ""
    recipient: str = ""
    sender: str = ""
    subject: str = ""
    direction: str = "all"


class FieldError(UsageError):
    """A form value that cannot be used, and the field it belongs to."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def form_filter(values: FormValues, *, now: datetime, tz: tzinfo, retention_days: int) -> Filter:
    """The filter for ``values``; :class:`FieldError` names the first wrong field and why."""
    checks = (
        ("since", lambda: build_filter(status=None, since=values.since, until=None, now=now, tz=tz,
                                       retention_days=retention_days)),
        ("until", lambda: build_filter(status=None, since=None, until=values.until, default_since=None, now=now,
                                       tz=tz, retention_days=retention_days)),
        ("recipient", lambda: split_search_text(values.recipient)[0] != "recipient"
         or normalize_address_pattern(values.recipient, what="recipient")),
        ("sender", lambda: normalize_address_pattern(values.sender, what="sender")),
        ("subject", lambda: normalize_text(values.subject, what="subject")),
    )
    for field, check in checks:
        try:
            check()
        except UsageError as error:
            raise FieldError(field, str(error)) from None
    kind, typed = split_search_text(values.recipient)
    by_id = kind != "recipient"  # an id searches the whole retention window, whatever the dates say
    try:
        return build_filter(
            status=values.status, since=None if by_id else values.since, until=None if by_id else values.until,
            default_since=None if by_id else "today",
            recipient=typed if kind == "recipient" else None, queue_id=typed if kind == "queue_id" else None,
            message_id=typed if kind == "message_id" else None,
            sender=values.sender, subject=values.subject, now=now, tz=tz, retention_days=retention_days,
            direction=values.direction,
        )
    except UsageError as error:
        raise FieldError("until", str(error)) from None


def group_counts(counts: dict[Status, int]) -> dict[str, int]:
    """Counts per status group of the form, from counts per status."""
    return {group: sum(counts.get(status, 0) for status in STATUS_GROUPS[group]) for group in GROUPS}


class FilterForm(Vertical):
    """Status radio set plus the search fields; posts :class:`FilterForm.Submitted`."""

    class Submitted(Message):
        """The user asked to search with these values."""

        def __init__(self, values: FormValues) -> None:
            super().__init__()
            self.values = values

    def __init__(self, values: FormValues, *, earliest_note: str, id: str | None = None) -> None:
        super().__init__(id=id)
        self._initial = values
        self._earliest_note = earliest_note
        self._counts: dict[str, int] | None = None

    def compose(self) -> ComposeResult:
        initial = self._initial
        with Horizontal(id="form-row"):
            with RadioSet(id="status"):
                for group in GROUPS:
                    yield RadioButton(self._label(group), value=group == initial.status, id=f"status-{group}")
            with Vertical(id="fields"):
                with Horizontal(classes="field-row"):
                    yield Label("From", classes="field-label")
                    yield Input(initial.since, placeholder="today", id="since", compact=True,
                                tooltip="today, yesterday, 2026-11-01, -7d")
                    yield Label("Until", classes="field-label")
                    yield Input(initial.until, placeholder="now", id="until", compact=True)
                with Horizontal(classes="field-row"):
                    yield Label("To", classes="field-label")
                    yield Input(initial.recipient, placeholder="bob@example.com, @domain, queue id, <msg-id>",
                                id="recipient", compact=True)
                    yield Label("Sender", classes="field-label")
                    yield Input(initial.sender, placeholder="address or @domain", id="sender", compact=True)
                with Horizontal(classes="field-row"):
                    yield Label("Subject", classes="field-label")
                    yield Input(initial.subject, placeholder="words in the subject", id="subject", compact=True)
                    yield Select(self._direction_options(), value=initial.direction, allow_blank=False,
                                 compact=True, id="direction", tooltip="which way the mail went")
                    yield Button("Search", id="search", compact=True, variant="primary")
        yield Static(Text(self._earliest_note, style="dim"), id="form-note")

    def values(self) -> FormValues:
        """What the form holds now."""
        pressed = self.query_one("#status", RadioSet).pressed_button
        status = (pressed.id or "status-delivered").removeprefix("status-") if pressed else "delivered"
        direction = self.query_one("#direction", Select).value
        return FormValues(status=status, direction=direction if isinstance(direction, str) else "all",
                          **{name: self.query_one(f"#{name}", Input).value for name in FIELDS})

    def set_status(self, group: str) -> None:
        """Press the radio button of ``group`` (posts a change, which searches)."""
        button = self.query_one(f"#status-{group}", RadioButton)
        if not button.value:
            button.value = True

    def set_counts(self, counts: dict[Status, int] | None, directions: dict[str, int] | None = None) -> None:
        """Show per-group counts next to the radio labels, per-direction ones in the choice (``None``: unknown)."""
        self._counts = group_counts(counts) if counts is not None else None
        for group in GROUPS:
            self.query_one(f"#status-{group}", RadioButton).label = self._label(group)
        select = self.query_one("#direction", Select)
        with select.prevent(Select.Changed):
            current = select.value
            select.set_options(self._direction_options(directions))
            select.value = current

    @staticmethod
    def _direction_options(directions: dict[str, int] | None = None) -> list[tuple[str, str]]:
        """``All``, ``Out 80``, ``In 35``, ``Local 5``: short enough for an 80-column form."""
        out = [("All ways", "all")]
        for value, word in (("outbound", "Out"), ("inbound", "In"), ("local", "Local")):
            count = f" {directions[value]:,}" if directions is not None else ""
            out.append((f"{word}{count}", value))
        return out

    def mark_invalid(self, field: str, message: str) -> None:
        """Flag one field and say why under the fields (the message is plain text, never markup)."""
        self.clear_invalid()
        widget = self.query_one(f"#{field}", Input)
        widget.add_class("-invalid")
        widget.focus()
        note = self.query_one("#form-note", Static)
        note.update(Text(message))
        note.add_class("-error")

    def clear_invalid(self) -> None:
        """Remove every error mark and restore the note."""
        for name in FIELDS:
            self.query_one(f"#{name}", Input).remove_class("-invalid")
        note = self.query_one("#form-note", Static)
        note.update(Text(self._earliest_note, style="dim"))
        note.remove_class("-error")

    def focus_fields(self) -> None:
        """Put the cursor in the recipient field, the one people search by most."""
        self.screen.set_focus(self.query_one("#recipient", Input))  # at once: keys typed next must land there

    def _label(self, group: str) -> Text:
        label = Text(STATUS_GROUP_LABELS[group])
        if self._counts is not None:
            label.append(f" {self._counts[group]:,}", style="bold")
        return label

    @on(Input.Submitted)
    @on(Button.Pressed, "#search")
    def _submit(self, event: Message) -> None:
        event.stop()
        self.post_message(self.Submitted(self.values()))

    @on(RadioSet.Changed, "#status")
    @on(Select.Changed, "#direction")
    def _choice_changed(self, event: Message) -> None:
        event.stop()
        self.post_message(self.Submitted(self.values()))


def with_status(values: FormValues, group: str) -> FormValues:
    """``values`` with another status group."""
    return replace(values, status=group)


def earliest_note(now: datetime, tz: tzinfo, retention_days: int) -> str:
    """The hint under the fields: how far back the cache goes."""
    earliest = earliest_allowed(now, tz, retention_days)
    return f"today, yesterday, 2026-11-01, -7d; earliest {format_day(earliest)} ({retention_days}-day retention)"
