"""The details pane: everything known about the selected message, recipient or attempt.

Mirrors the original web panel (Sent From, Sent To, Recipient delivery status,
Message delivery status) and adds the plain-words explanation, until when the
server keeps retrying, and the identifiers a mail administrator greps for.
The content is one ``rich.text.Text`` assembled from plain strings.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import tzinfo

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from tracktui.journeys.story import journey_story
from tracktui.model import AttemptRow, DeliveryRow, HopRow, Status
from tracktui.smtp import describe_retry, explain, explain_delivery, shown_dsn
from tracktui.tui.render import (
    MAX_DETAIL,
    RESULT_STATUS,
    STATUS_MARKS,
    STATUS_WORDS,
    delivery_statement,
    local_time,
    safe,
    subject_text,
)

NULL_NOTE = "the log names no {what}: the connection ended (or was refused) before the SMTP {command} command"


def _field(text: Text, name: str, value: str | None, *, null_note: str | None = None) -> None:
    text.append(f"{name}: ", style="bold")
    if value:
        text.append(value)
    else:
        text.append("null", style="italic")
        if null_note:
            text.append(f"  ({null_note})", style="dim")
    text.append("\n")


def _duration(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    if seconds < 120:
        return f"{seconds:g} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def details_text(
    row: DeliveryRow,
    *,
    tz: tzinfo,
    now: float,
    attempt: AttemptRow | None = None,
    message_level: bool = False,
    queue_lifetime: float | None = None,
    hops: list[HopRow] | None = None,
) -> Text:
    """The details of one delivery (or of one of its attempts), as plain-string ``Text``.

    ``queue_lifetime`` (seconds): the host's configured queue lifetime, for the retry deadline.
    ``hops``: the journey's legs when known; a journey of several is told as one paragraph
    right under the explanation, where it is visible without scrolling.
    """
    text = Text()
    status = row.status
    code, dsn, reply, relay, delay, when = row.code, row.dsn, row.reply, row.relay, row.delay, row.time
    if attempt is not None:
        status = RESULT_STATUS[attempt.result]
        code, dsn, reply, relay, delay, when = (attempt.code, attempt.dsn, attempt.reply, attempt.relay,
                                                 attempt.delay, attempt.time)
    symbol, colour = STATUS_MARKS[status]
    heading = "Attempt" if attempt is not None else ("Message" if message_level else "Delivery")
    text.append(f"{symbol} {heading} at {local_time(when, tz)}\n", style=f"bold {colour}")
    _field(text, "Subject", subject_text(row.subject, limit=MAX_DETAIL) or "(no subject)")
    _field(text, "Sent From", safe(row.sender), null_note=NULL_NOTE.format(what="sender", command="MAIL FROM"))
    _field(text, "Sent To", safe(row.recipient), null_note=NULL_NOTE.format(what="recipient", command="RCPT TO"))
    shown, derived = shown_dsn(row)
    recipient_status = STATUS_WORDS[row.status] + (f" ({safe(shown)}{', derived' if derived else ''})" if shown else "")
    _field(text, "Recipient delivery status", recipient_status)
    _field(text, "Message delivery status", delivery_statement(status, relay, reply, code))
    if attempt is None:
        explanation = explain_delivery(row)
    else:  # a refusal by our own server names the client, not a provider's relay
        explanation = explain(code, dsn, reply, status, relay=None if row.refused_here else relay)
    text.append("Why: ", style="bold")
    text.append(safe(explanation.summary))
    if explanation.detail:
        text.append(f" {safe(explanation.detail)}", style="dim")
    text.append("\n")
    if attempt is None and row.hop_count > 1:
        story = journey_story(hops, client=row.client, clock=lambda t: local_time(t, tz)) if hops else None
        _field(text, "Journey", safe(story, limit=MAX_DETAIL) if story else f"{row.hop_count} hops (loading…)")
    if explanation.advice and status is not Status.DELIVERED:
        _field(text, "What to do", safe(explanation.advice))
        if explanation.help_url:
            _field(text, f"{safe(explanation.provider) or 'Provider'} help", safe(explanation.help_url))
    retry = None if row.refused_here else describe_retry(row.message_time, row.status, row.mta, now=now, tz=tz,
                                                         queue_lifetime=queue_lifetime)
    if retry:
        _field(text, "Retrying", retry)
    text.append("\n")
    _field(text, "Queue id", safe(row.queue_id))
    _field(text, "Message-ID", safe(row.message_id))
    _field(text, "Host", safe(row.host) + (f" ({safe(row.mta)})" if row.mta else ""))
    _field(text, "Relay", safe(relay))
    if row.client:
        _field(text, "Client", safe(row.client))
    _field(text, "Delay", _duration(delay))
    _field(text, "Size", f"{row.size:,} bytes" if row.size is not None else None)
    _field(text, "First seen", local_time(row.message_time, tz))
    _field(text, "Attempts", str(row.attempt_count))
    if row.final_recipient and row.final_recipient.lower() != row.recipient.lower():
        _field(text, "Final recipient", safe(row.final_recipient))
    if row.direction:
        _field(text, "Direction", row.direction)
    if row.notice_kind is not None:
        _field(text, "Notice", f"{row.notice_kind.value} notice sent back to the sender")
    text.append("\nl: raw log lines", style="dim")
    return text


class DetailsPane(VerticalScroll, can_focus=False):
    """Scrollable pane showing :func:`details_text` for the tree's cursor."""

    def __init__(self, *, tz: tzinfo, clock: Callable[[], float],
                 queue_lifetime: Callable[[str], float | None] = lambda _host: None, id: str | None = None) -> None:
        super().__init__(id=id)
        self.tz = tz
        self.clock = clock
        self.queue_lifetime = queue_lifetime
        self.row: DeliveryRow | None = None

    def compose(self) -> ComposeResult:
        yield Static(Text("Select a delivery to see what happened to it.", style="dim"), id="details-body")

    def show(self, row: DeliveryRow | None, *, attempt: AttemptRow | None = None, message_level: bool = False,
             hops: list[HopRow] | None = None) -> None:
        """Show one delivery (``None``: the empty hint)."""
        self.row = row
        body = self.query_one("#details-body", Static)
        if row is None:
            body.update(Text("Select a delivery to see what happened to it.", style="dim"))
            return
        body.update(details_text(row, tz=self.tz, now=self.clock(), attempt=attempt, message_level=message_level,
                                 queue_lifetime=self.queue_lifetime(row.host), hops=hops))
        self.scroll_home(animate=False)
