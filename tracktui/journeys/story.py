"""A journey told in one paragraph: where it came from, every hop, how it ended.

Pure text from :class:`~tracktui.model.HopRow` values (oldest first), for the details pane
and anything else that shows a journey; log text stays plain (callers sanitise for display).
"""

from __future__ import annotations

import time as _time
from collections.abc import Callable, Sequence

from tracktui.journeys.locality import DEFAULT_LOCALITY, LegKind
from tracktui.model import HopRow, Status

_REPLY_LIMIT = 120


def _clock(epoch: float) -> str:
    return _time.strftime("%H:%M:%S", _time.localtime(epoch))


def _short(reply: str | None) -> str:
    text = " ".join((reply or "").split())
    return text if len(text) <= _REPLY_LIMIT else text[: _REPLY_LIMIT - 1] + "…"


def journey_story(hops: Sequence[HopRow], *, client: str | None = None,
                  clock: Callable[[float], str] | None = None) -> str:
    """``greylisted at 10:00:00 → accepted from X as Q1 → content filter 127.0.0.1:10024 → ...``.

    ``client`` is the first hop's SMTP client when the caller knows it (the row's ``client``).
    ``clock`` may be a callable turning an epoch into a displayed time (default: local ``HH:MM:SS``).
    """
    show = clock or _clock
    parts: list[str] = []
    legs = [hop for hop in hops if not (hop.refused_here and hop.status is Status.DEFERRED and not hop.queue_id)]
    for hop in hops:
        if hop not in legs:
            parts.append(f"turned away for now at {show(hop.time)} ({_short(hop.reply)})")
    previous: HopRow | None = None
    for index, hop in enumerate(legs):
        if hop.refused_here:
            parts.append(f"refused by your server at {show(hop.time)}: {_short(hop.reply)}")
            previous = hop
            continue
        if index == 0:
            source = f" from {client}" if client else ""
            parts.append(f"accepted{source} as {hop.queue_id or 'a message'} on {hop.host}")
        elif previous is not None:
            verb = "reinjected" if hop.host == previous.host else f"relayed to {hop.host}"
            parts.append(f"{verb} as {hop.queue_id}")
        kind = DEFAULT_LOCALITY.leg_kind(hop.relay, refused_here=False, sent=hop.status is Status.DELIVERED)
        relay = hop.relay or "no relay"
        if hop.status is Status.IN_TRANSIT or (kind is LegKind.HANDOFF and index < len(legs) - 1):
            parts.append(f"handed to {relay} at {show(hop.time)}")
            if index == len(legs) - 1:
                parts.append("its outcome is not logged yet")
        elif hop.status is Status.DELIVERED:
            if kind is LegKind.MAILBOX:
                parts.append(f"delivered into the mailbox ({relay}) at {show(hop.time)}")
            else:
                parts.append(f"accepted by {relay} at {show(hop.time)}")
        elif hop.status is Status.DEFERRED:
            parts.append(f"deferred by {relay} at {show(hop.time)}: {_short(hop.reply)}; your server retries")
        elif hop.status is Status.EXPIRED:
            parts.append(f"expired at {show(hop.time)} after the last try at {relay}: {_short(hop.reply)}")
        else:
            parts.append(f"refused by {relay} at {show(hop.time)}: {_short(hop.reply)}")
        previous = hop
    text = " → ".join(parts)
    return text[:1].upper() + text[1:] + "." if text else ""
