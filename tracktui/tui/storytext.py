"""The delivery story's text, section by section, and the grouping of repeated attempts.

Pure functions from query rows to ``rich.text.Text`` built from plain strings (no textual,
no I/O), so the story screen only lays them out and the wording is unit-testable. Every
log-derived value goes through :func:`~tracktui.tui.render.safe`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo

from rich.text import Text

from tracktui.journeys.story import journey_story
from tracktui.model import AttemptResult, AttemptRow, DeliveryRow, HopRow, Status
from tracktui.smtp import describe_retry, explain_delivery
from tracktui.tui.render import (
    MAX_DETAIL,
    MAX_LABEL,
    RESULT_STATUS,
    STATUS_MARKS,
    STATUS_WORDS,
    hop_label,
    local_time,
    safe,
    subject_text,
)


@dataclass(frozen=True, slots=True)
class AttemptRun:
    """Consecutive attempts with the same outcome, relay and reply: told as one line."""

    result: AttemptResult
    relay: str | None
    reply: str | None
    first: float
    last: float
    count: int


def _same(run: AttemptRun, attempt: AttemptRow) -> bool:
    return (run.result, run.relay, run.reply) == (attempt.result, attempt.relay, attempt.reply)


def group_attempts(attempts: Sequence[AttemptRow]) -> list[AttemptRun]:
    """Collapse runs of consecutive attempts with the same result, relay and reply, oldest first.

    Only neighbours merge: a different reply in between starts a new run, so the order in
    which things happened stays visible.
    """
    runs: list[AttemptRun] = []
    for attempt in attempts:
        if runs and _same(runs[-1], attempt):
            last = runs[-1]
            runs[-1] = AttemptRun(last.result, last.relay, last.reply, last.first, attempt.time, last.count + 1)
        else:
            runs.append(AttemptRun(attempt.result, attempt.relay, attempt.reply, attempt.time, attempt.time, 1))
    return runs


def short_time(epoch: float, tz: tzinfo) -> str:
    """``23 Nov 13:06`` in the display zone."""
    return datetime.fromtimestamp(epoch, tz=tz).strftime("%d %b %H:%M")


def run_line(run: AttemptRun, tz: tzinfo) -> Text:
    """``⟳ 87× Host or domain name not found, 23 Nov 13:06 → 24 Nov 12:50  (relay none)``."""
    symbol, colour = STATUS_MARKS[RESULT_STATUS[run.result]]
    text = Text()
    text.append(symbol, style=f"bold {colour}")
    text.append(f" {run.count}× " if run.count > 1 else " ", style="bold")
    text.append(safe(run.reply, limit=MAX_LABEL) or "(no reply logged)")
    when = short_time(run.first, tz)
    if run.count > 1:
        when += f" → {short_time(run.last, tz)}"
    text.append(f", {when}", style="dim")
    text.append(f"  ({safe(run.relay, limit=MAX_LABEL) or 'no relay'})", style="dim")
    return text


def _heading(text: Text, title: str) -> None:
    text.append(f"{title}\n", style="bold underline")


def _field(text: Text, name: str, value: str | None) -> None:
    text.append(f"{name}: ", style="bold")
    if value:
        text.append(value)
    else:
        text.append("null", style="italic")
    text.append("\n")


def head_text(row: DeliveryRow, *, tz: tzinfo, now: float, queue_lifetime: float | None = None) -> Text:
    """Status mark, recipient (and final recipient), Why, What to do and the retry deadline."""
    symbol, colour = STATUS_MARKS[row.status]
    text = Text()
    text.append(f"{symbol} ", style=f"bold {colour}")
    text.append(safe(row.recipient, limit=MAX_LABEL) or "null", style="bold cyan")
    if row.final_recipient and row.final_recipient.lower() != row.recipient.lower():
        text.append(" → ")
        text.append(safe(row.final_recipient, limit=MAX_LABEL), style="bold cyan")
    text.append(f"  {STATUS_WORDS[row.status]}\n", style=colour)
    text.append(f"{local_time(row.time, tz)}  ", style="dim")
    text.append(subject_text(row.subject, limit=MAX_LABEL) or "(no subject)", style="dim")
    text.append("\n\n")
    explanation = explain_delivery(row)
    text.append("Why: ", style="bold")
    text.append(safe(explanation.summary))
    if explanation.detail:
        text.append(f" {safe(explanation.detail)}", style="dim")
    text.append("\n")
    if explanation.advice and row.status is not Status.DELIVERED:
        _field(text, "What to do", safe(explanation.advice))
    retry = None if row.refused_here else describe_retry(row.message_time, row.status, row.mta, now=now, tz=tz,
                                                         queue_lifetime=queue_lifetime)
    if retry:
        _field(text, "Retrying", retry)
    text.rstrip()
    return text


def journey_text(row: DeliveryRow, hops: Sequence[HopRow] | None, *, tz: tzinfo) -> Text:
    """The journey in one paragraph, then one line per hop (``None``: still loading)."""
    text = Text()
    _heading(text, "Journey")
    if hops is None:
        text.append("loading…", style="dim italic")
        return text
    clock: Callable[[float], str] = lambda t: local_time(t, tz)  # noqa: E731
    story = journey_story(hops, client=row.client, clock=clock)
    text.append(safe(story, limit=MAX_DETAIL) if story else "No hops recorded.")
    for hop in hops:
        text.append("\n  ")
        text.append_text(hop_label(hop, tz))
    return text


def attempts_text(attempts: Sequence[AttemptRow] | None, *, tz: tzinfo) -> Text:
    """The attempts, repeated ones grouped by :func:`group_attempts` (``None``: still loading)."""
    text = Text()
    if attempts is None:
        _heading(text, "Attempts")
        text.append("loading…", style="dim italic")
        return text
    runs = group_attempts(attempts)
    _heading(text, f"Attempts ({len(attempts)})" if attempts else "Attempts")
    if not runs:
        text.append("No attempts recorded.", style="dim")
    for index, run in enumerate(runs):
        if index:
            text.append("\n")
        text.append_text(run_line(run, tz))
    return text


def ids_text(row: DeliveryRow) -> Text:
    """The identifiers a mail administrator greps for."""
    text = Text()
    _heading(text, "Identifiers")
    _field(text, "Queue id", safe(row.queue_id))
    _field(text, "Message-ID", safe(row.message_id))
    _field(text, "Recipient", safe(row.recipient))
    _field(text, "Sender", safe(row.sender))
    _field(text, "Host", safe(row.host) + (f" ({safe(row.mta)})" if row.mta else ""))
    _field(text, "Relay", safe(row.relay))
    if row.client:
        _field(text, "Client", safe(row.client))
    _field(text, "Size", f"{row.size:,} bytes" if row.size is not None else None)
    _field(text, "Direction", row.direction)
    text.rstrip()
    return text


def raw_line_text(line: str, query: str = "", *, current: bool = False) -> Text:
    """One raw log line made safe, with ``query`` (case-insensitive) highlighted."""
    text = Text(safe(line), style="bold" if current else "")
    if query:
        text.highlight_words([query], style="black on yellow" if not current else "black on bright_green",
                             case_sensitive=False)
    return text
