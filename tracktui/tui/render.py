"""Turn query rows into display text: tree labels and detail lines, always as ``rich.text.Text``.

Every log-derived string (subject, address, relay, reply, raw line) goes
through :func:`safe` (``textsafe.sanitize``) and into a ``Text`` built from a
plain string, never into markup: a subject like ``[@click=app.quit]`` must
show as those characters and do nothing else.
"""

from __future__ import annotations

import contextlib
import re
from datetime import datetime, tzinfo
from email.header import decode_header, make_header

from rich.text import Text

from tracktui.model import AttemptResult, AttemptRow, DeliveryRow, HopRow, Status
from tracktui.statuses import STATUS_LOOKS
from tracktui.textsafe import sanitize

STATUS_MARKS: dict[Status, tuple[str, str]] = {
    status: (look.mark, look.colour) for status, look in STATUS_LOOKS.items()
}
"""Mark and colour per status, in the tree and the details pane."""

STATUS_WORDS: dict[Status, str] = {status: look.words for status, look in STATUS_LOOKS.items()}

RESULT_STATUS: dict[AttemptResult, Status] = {
    AttemptResult.SENT: Status.DELIVERED,
    AttemptResult.DEFERRED: Status.DEFERRED,
    AttemptResult.BOUNCED: Status.BOUNCED,
    AttemptResult.EXPIRED: Status.EXPIRED,
}

SEVERITY: dict[Status, int] = {status: look.severity for status, look in STATUS_LOOKS.items()}
"""Which status a message node shows when its recipients differ: the worst one."""

MAX_LABEL = 300
"""Characters of a subject shown in a tree label; the details pane shows more."""
MAX_DETAIL = 4000
"""Characters of one log-derived value in the details pane."""

_IP_RE = re.compile(r"\[([0-9A-Fa-f:.]+)\]")


def safe(value: str | None, *, limit: int = MAX_DETAIL) -> str:
    """A log-derived value made displayable: escapes and controls stripped, length capped."""
    return sanitize(value, max_length=limit)


def subject_text(subject: str | None, *, limit: int) -> str:
    """A subject for display: RFC 2047 encoded words decoded (``=?UTF-8?B?...?=``), then made safe."""
    if subject and "=?" in subject:
        with contextlib.suppress(ValueError, LookupError, UnicodeError):  # else shown as logged
            subject = str(make_header(decode_header(subject)))
    return safe(subject, limit=limit)


def local_time(epoch: float, tz: tzinfo) -> str:
    """``2014-10-27 15:24:35`` in the display zone."""
    return datetime.fromtimestamp(epoch, tz=tz).strftime("%Y-%m-%d %H:%M:%S")


def mark(status: Status) -> Text:
    """The coloured status mark."""
    symbol, colour = STATUS_MARKS[status]
    text = Text()
    text.append(symbol, style=f"bold {colour}")
    return text


def worst(statuses: list[Status]) -> Status:
    """The status a message node shows for several recipients."""
    return max(statuses, key=SEVERITY.__getitem__)


def message_label(row: DeliveryRow, status: Status, recipients: list[str], tz: tzinfo) -> Text:
    """``✓ 2014-10-27 15:24:35 - subject  bob@example.com +2``: one message node."""
    label = mark(status)
    label.append(f" {local_time(row.time, tz)} - ")
    subject = subject_text(row.subject, limit=MAX_LABEL)
    label.append(subject or "(no subject)", style="" if subject else "dim italic")
    if recipients:
        label.append("  ")
        label.append(safe(recipients[0], limit=MAX_LABEL), style="cyan")
        if len(recipients) > 1:
            label.append(f" +{len(recipients) - 1}", style="dim")
    return label


def recipient_label(row: DeliveryRow) -> Text:
    """``✓ bob@example.com  delivered``: one recipient node."""
    label = mark(row.status)
    label.append(" ")
    label.append(safe(row.recipient, limit=MAX_LABEL) or "null", style="cyan")
    if row.final_recipient and row.final_recipient.lower() != row.recipient.lower():
        label.append(" → ")
        label.append(safe(row.final_recipient, limit=MAX_LABEL), style="cyan")
    label.append(f"  {STATUS_WORDS[row.status]}", style="dim")
    if row.hop_count > 1:
        label.append(f" ({row.hop_count} hops)", style="dim")
    elif row.attempt_count > 1:
        label.append(f" ({row.attempt_count} attempts)", style="dim")
    return label


NOTICE_WORDS = {"non-delivery": "non-delivery notice", "delay": "delay warning", "success": "delivery receipt"}


def notice_label(row: DeliveryRow, tz: tzinfo) -> Text:
    """``↩ non-delivery notice to alice@example.com  delivered 2014-10-27 15:30``: a DSN we sent back."""
    label = Text("↩ ", style="magenta")
    kind = row.notice_kind.value if row.notice_kind is not None else "non-delivery"
    label.append(NOTICE_WORDS.get(kind, "notice"), style="magenta")
    label.append(" to ")
    label.append(safe(row.recipient, limit=MAX_LABEL) or "null", style="cyan")
    label.append(f"  {STATUS_WORDS[row.status]} {local_time(row.time, tz)}", style="dim")
    return label


def attempt_label(attempt: AttemptRow, tz: tzinfo) -> Text:
    """``⟳ 2014-10-27 15:24:35 mx.example.com[1.2.3.4]: 451 4.7.1 try later``: one attempt node."""
    label = mark(RESULT_STATUS[attempt.result])
    label.append(f" {local_time(attempt.time, tz)} ")
    label.append(safe(attempt.relay, limit=MAX_LABEL) or "no relay", style="bold")
    reply = safe(attempt.reply, limit=MAX_LABEL)
    if reply:
        label.append(": ")
        label.append(reply)
    return label


def hop_label(hop: HopRow, tz: tzinfo) -> Text:
    """``→ hop mx 1A2B3C4D5E 10:00:01 127.0.0.1[127.0.0.1]:10024``: one leg of a journey."""
    label = mark(hop.status)
    label.append(" hop ", style="dim")
    label.append(safe(hop.host, limit=MAX_LABEL) or "?", style="bold")
    label.append(f" {safe(hop.queue_id, limit=MAX_LABEL) or 'refused at SMTP'} {local_time(hop.time, tz)} ")
    label.append(safe(hop.relay, limit=MAX_LABEL) or "no relay")
    return label


def relay_address(relay: str | None) -> str | None:
    """The IP address in a postfix relay (``mx.example.com[74.125.193.26]:25``), else the relay itself."""
    if not relay:
        return None
    match = _IP_RE.search(relay)
    return match.group(1) if match else relay


def delivery_statement(status: Status, relay: str | None, reply: str | None, code: int | None) -> str:
    """What the original web panel called "Message delivery status", rebuilt from relay and reply.

    ``74.125.193.26 accepted message. Remote host said: 250 2.0.0 OK ...`` for a
    delivery; for a failure, who refused and with which words, or why no
    remote host could be asked at all.
    """
    where = relay_address(relay) if relay and relay.lower() != "none" else None
    words = safe(reply) or "(nothing logged)"
    if status is Status.DELIVERED:
        return f"{where or 'The next hop'} accepted message. Remote host said: {words}"
    if status is Status.EXPIRED:
        return f"Gave up after the queue lifetime. Last reply: {words}"
    if code is not None and where:
        how = "temporarily" if status is Status.DEFERRED else "permanently"
        return f"{where} rejected message {how}. Remote host said: {words}"
    if where:
        return f"Delivery to {where} failed: {words}"
    return f"No remote host accepted a connection: {words}"
