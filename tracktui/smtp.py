"""SMTP replies in plain words: reply codes, enhanced status codes and well-known remote texts.

Pure and I/O-free. :func:`explain` turns what an attempt recorded (basic reply
code of RFC 5321, enhanced status code of RFC 3463 and the IANA registry, the
remote host's words) into an :class:`Explanation` a non-expert can read and an
administrator can act on. Recognised remote texts ("over quota", "blocked using
zen.spamhaus.org"...) beat the codes, because remote servers put vague codes
(550, 5.7.1) on very specific refusals. :func:`retry_until` and
:func:`describe_retry` say how long an MTA keeps retrying a deferred delivery.
The tables (codes, blocklists, texts) live in :mod:`tracktui.smtp_codes`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, tzinfo
from functools import lru_cache
from typing import TYPE_CHECKING

from tracktui.model import Status
from tracktui.providers import provider_code, provider_of
from tracktui.smtp_codes import (
    BASIC_CODES,
    BLOCKLIST_RULES,
    BLOCKLISTS,
    CATEGORY_REASON,
    CATEGORY_TEXT,
    CLASS_WORDS,
    CODE_BLOCKLISTS,
    DOMAIN_LISTS,
    DSN_CLASS_WORDS,
    ENHANCED_CODES,
    EXPIRY_RE,
    LIST_NAME_RE,
    REASONS,
    TEXT_RULES,
)

if TYPE_CHECKING:
    from tracktui.model import DeliveryRow

__all__ = [
    "BASIC_CODES",
    "BLOCKLISTS",
    "CATEGORY_TEXT",
    "DEFAULT_QUEUE_LIFETIME",
    "ENHANCED_CODES",
    "REASONS",
    "TEXT_RULES",
    "Explanation",
    "describe_retry",
    "explain",
    "explain_delivery",
    "extract_code",
    "extract_dsn",
    "retry_until",
]

DAY = 86400.0
DEFAULT_QUEUE_LIFETIME: dict[str, float] = {
    "postfix": 5 * DAY,  # maximal_queue_lifetime = 5d
    "exim": 4 * DAY,  # default retry rule: F,2h,15m; G,16h,1h,1.5; F,4d,6h
    "qmail": 604800.0,  # control/queuelifetime default
}
"""How long each MTA keeps a deferred message by default, in seconds."""

_MAX_TEXT = 4000
"""Only the head of a reply is searched: replies can be huge, the meaning is at the start."""
_DSN_RE = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?!\d|\.\d)")
_CODE_RE = re.compile(r"(?:said:\s*|^|[\s:(])([245][0-5]\d)(?=[\s-]|$)")


@dataclass(frozen=True, slots=True)
class Explanation:
    """What a reply means, for people.

    ``category`` is a short stable slug views and reports may group by;
    ``summary`` is one sentence for a non-expert; ``detail`` names the codes;
    ``advice`` says what the administrator can do; ``permanent`` is ``True``
    when the MTA will not retry, ``False`` when it will, ``None`` when unknown
    or not a failure; ``blocklist`` names the blocklist when one is involved.
    """

    category: str
    summary: str
    detail: str
    permanent: bool | None
    advice: str
    blocklist: str | None = None
    reason: str | None = ""
    """One of :data:`REASONS` for scripts, ``None`` when there is nothing to explain; left ``""``
    it is derived from ``category`` (:data:`~tracktui.smtp_codes.CATEGORY_REASON`)."""
    provider: str | None = None
    """The mail provider whose reply this is (``Gmail (Google)``), when recognised."""
    help_url: str | None = None
    """The provider's own page for this reply (or its general one), when the provider is known."""

    def __post_init__(self) -> None:
        if self.reason == "":
            object.__setattr__(self, "reason", CATEGORY_REASON.get(self.category, "other"))


def extract_dsn(text: str | None) -> str | None:
    """The first enhanced status code (``5.1.1``) in ``text``, ignoring IP addresses."""
    if not text:
        return None
    match = _DSN_RE.search(text[:_MAX_TEXT])
    return ".".join(match.groups()) if match else None


def extract_code(text: str | None) -> int | None:
    """The first basic reply code (``550``) in ``text``, ignoring ports and numbers inside words."""
    if not text:
        return None
    match = _CODE_RE.search(text[:_MAX_TEXT])
    return int(match.group(1)) if match else None


def explain(
    code: int | None,
    dsn: str | None,
    reply: str | None,
    status: Status | None = None,
    *,
    relay: str | None = None,
) -> Explanation:
    """Plain-words explanation of one reply; never raises, whatever the input.

    ``relay`` (``host[ip]:port``, as the log has it) helps recognise the provider that wrote
    the reply; the host named in a Postfix reply (``host X[ip] said:``) serves as well.
    """
    try:
        return _explain_cached(_clean_code(code), _clean_dsn(dsn), _clean_text(reply), _clean_status(status),
                               _relay_host(relay))
    except Exception:  # pragma: no cover - belt and braces: views must never crash on a reply
        return Explanation("unknown", "The log does not say why.", "", None, "Look at the raw log lines.")


def explain_delivery(row: DeliveryRow) -> Explanation:
    """:func:`explain` for a delivery row of the query API, naming the right party.

    The reply's meaning is the same whoever wrote it; who refused whom is not: a refusal by
    our own server is worded for the client it refused (and promises no retry of ours), a
    hand-off to our own filter or relay says that its outcome is not logged yet, and a local
    mailbox delivery is ours, not "the recipient's server".
    """
    return for_party(explain(row.code, row.dsn, row.reply, row.status, relay=row.relay), row)


_DERIVED_DSN_RULES: tuple[tuple[re.Pattern[str], str, str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), temporary, permanent) for pattern, temporary, permanent in (
        # RFC 3463 as Postfix's smtp client assigns them when the server said nothing itself.
        (r"host lookup did not complete|temporary (?:dns|lookup) failure|try again later.*lookup", "4.4.3", "4.4.3"),
        (r"unrouteable address|no host found|host not found|all relevant MX records point to non-existent hosts|"
         r"domain (?:\S+ )?(?:does not exist|not found)|nxdomain", "4.4.3", "5.1.2"),
        (r"smtp timeout after|connection (?:reset|closed|lost)|lost connection|broken pipe|"
         r"remote host closed connection|unexpected disconnection|tls session", "4.4.2", "5.4.2"),
        (r"connection refused|connection timed out|no route to host|network is unreachable|"
         r"retry time not reached|host is down|timed out", "4.4.1", "5.4.1"),
    )
)
"""Text of a failure that carries no enhanced code -> the dsn for a temporary / a permanent failure."""


def derived_dsn(reply: str | None, status: Status) -> str | None:
    """The RFC 3463 code a failure without one would have had (Exim and qmail log none when no server
    answered: connection refused, timeout, host not found). ``None`` for a delivery, and when the log
    has a reply code (then the dsn is its class). Marked as derived wherever it is shown."""
    if status in (Status.DELIVERED, Status.IN_TRANSIT):
        return None
    temporary = status is Status.DEFERRED
    text = (reply or "")[:_MAX_TEXT]
    for pattern, when_temporary, when_permanent in _DERIVED_DSN_RULES:
        if pattern.search(text):
            return when_temporary if temporary else when_permanent
    return "4.0.0" if temporary else "5.0.0"


def shown_dsn(row: DeliveryRow) -> tuple[str | None, bool]:
    """The row's dsn, or (when it logged none, nor a reply code) the derived one; and whether it is derived."""
    if row.dsn is not None or row.code is not None or row.refused_here:
        return row.dsn, False
    derived = derived_dsn(row.reply, row.status)
    return derived, derived is not None


HERE_TEXT: dict[str, str] = {
    "blocklisted": "Your server refused mail from {client} because that client is listed on {listed}.",
    "greylisted": "Your server greylisted {client}: it turned the first try away, and a real mail server "
                  "tries again within minutes.",
    "no_such_user": "Your server refused the message from {client}: the recipient address does not exist here.",
    "no_such_domain": "Your server refused the message from {client}: it does not handle mail for that domain.",
    "relay_denied": "Your server refused to relay for {client}: the recipient's domain is not one it handles "
                    "and that client may not relay.",
    "sender_rejected": "Your server refused the sender address {client} gave.",
    "reverse_dns": "Your server refused {client} because that client's IP has no proper reverse DNS name.",
    "spf_dkim_dmarc": "Your server refused the message from {client}: the sender's domain does not authorise "
                      "that client (SPF, DKIM or DMARC).",
    "spam_content": "Your server's filters judged the message from {client} to be spam and refused it.",
    "message_too_large": "Your server refused the message from {client}: it is larger than your server accepts.",
    "rate_limited": "Your server is limiting how much mail it takes from {client} right now.",
    "content_rejected": "Your server refused the message from {client} because of its format or content.",
}
"""Summaries for refusals written by our own server; ``{client}`` is the refused client."""
_HERE_ADVICE_PERMANENT = ("Nothing to do if it was unwanted. If the sender is legitimate, tell them why (the reply "
                          "above), or allow them in your server's access rules.")
_HERE_ADVICE_TEMPORARY = ("Nothing to do: it is up to the sending server to retry. A retry that is accepted joins "
                          "this journey; one that never comes makes it final after a day.")


def for_party(explanation: Explanation, row: DeliveryRow) -> Explanation:
    """``explanation`` reworded for who the other party of ``row`` really was (see :func:`explain_delivery`)."""
    from tracktui.journeys.locality import DEFAULT_LOCALITY, LegKind

    if row.status is Status.IN_TRANSIT:
        where = row.next_hop or "an internal relay"
        return Explanation(
            "in_transit",
            f"Handed to {where}, one of your own content filters or relays; its outcome is not logged yet.",
            explanation.detail, None,
            "Wait for the next sync. If it stays like this, sync the host that relay belongs to, list it in "
            "internal_relays, or check the filter's own log: it may not have passed the message back.",
        )
    if row.refused_here:
        client = row.client or "the client"
        listed = explanation.blocklist or "a blocklist"
        summary = HERE_TEXT.get(explanation.category)
        temporary = row.status is Status.DEFERRED
        if summary is None:
            summary = ("Your server turned away mail from {client} for now." if temporary
                       else "Your server refused mail from {client} because of its own rules.")
        return Explanation(
            explanation.category, summary.format(client=client, listed=listed), explanation.detail,
            explanation.permanent, _HERE_ADVICE_TEMPORARY if temporary else _HERE_ADVICE_PERMANENT,
            explanation.blocklist,
        )
    sent = row.status is Status.DELIVERED
    if DEFAULT_LOCALITY.leg_kind(row.relay, refused_here=False, sent=sent) is LegKind.MAILBOX:
        where = f" ({row.relay})" if row.relay else ""
        if sent:
            source = f" from {row.client}" if row.direction == "inbound" and row.client else ""
            return Explanation("delivered", f"Your server accepted the message{source} and delivered it into the "
                               f"local mailbox{where}.", explanation.detail, None,
                               "Nothing to do: it is in the recipient's mailbox (or their own filters' folder).")
        reason = explanation.summary.replace("The recipient's server", "the mailbox server")
        reason = reason.replace("the recipient's server", "the mailbox server")
        return replace(explanation, summary=f"The local delivery{where} failed: {_lowered(reason)}")
    return explanation


def _lowered(text: str) -> str:
    return text[:1].lower() + text[1:] if text[:2] != text[:2].upper() else text


# -- the decision -----------------------------------------------------------------------------


@lru_cache(maxsize=1024)
def _explain_cached(code: int | None, dsn: str | None, reply: str, status: Status | None,
                    relay: str | None = None) -> Explanation:
    if code is None:
        code = extract_code(reply)
    if dsn is None:
        dsn = extract_dsn(reply)
    if status is Status.EXPIRED or (status is None and _mentions_expiry(reply)):
        return _expired(code, dsn, reply, relay)
    if status is Status.DELETED:
        return _deleted(code, dsn, reply, relay)
    klass = _class_of(code, dsn)
    if status is Status.DELIVERED or (status is None and klass == 2):
        detail = _detail(code, dsn)
        return Explanation(
            "delivered",
            "The recipient's server accepted the message.",
            detail,
            None,
            "Nothing to do: what happens next is up to the recipient's server (inbox, spam folder or filter).",
        )
    permanent = _permanence(klass, status)
    category, blocklist = _category(code, dsn, reply, klass)
    if category == "blocklisted" and blocklist is None and dsn is not None:
        blocklist = CODE_BLOCKLISTS.get(dsn[2:])
    summary, advice = CATEGORY_TEXT.get(category, CATEGORY_TEXT["unknown"])
    name: str | None = None
    if category == "blocklisted":
        summary, advice, name = _blocklist_words(blocklist, reply)
    reason = CATEGORY_REASON.get(category, "other")
    provider = provider_of(relay, reply) if (relay or reply) else None
    help_url: str | None = None
    if provider is not None:
        help_url = provider.help_url
        known = provider_code(provider, code, dsn, reply)
        if known is not None:
            summary, advice, reason = known.summary, known.advice, known.reason
            help_url = known.help_url or provider.help_url
    if permanent is False:
        advice = f"{advice} Meanwhile your server retries by itself until its queue lifetime ends."
    return Explanation(category, summary, _detail(code, dsn), permanent, advice, name, reason,
                       provider.name if provider is not None else None, help_url)


def _blocklist_words(key: str | None, reply: str) -> tuple[str, str, str | None]:
    """Summary, advice and display name for a blocklist refusal."""
    name: str | None
    url: str | None = None
    if key is not None and key in BLOCKLISTS:
        name, url = BLOCKLISTS[key]
    else:
        match = LIST_NAME_RE.search(reply.replace("_", " ")) if reply else None
        name = match.group(1).rstrip(".") if match else None
    what = "A domain or link in the message" if key in DOMAIN_LISTS else "Your server's IP"
    if name is None:
        summary, advice = CATEGORY_TEXT["blocklisted"]
        return f"{what} is listed on a blocklist, so the recipient's server refused it.", advice, None
    summary = f"{what} is listed on the {name} blocklist, so the recipient's server refused it."
    if url is not None:
        advice = f"Find out why you are listed, fix it, then request delisting at {url}."
    elif key == "sorbs":
        advice = "SORBS shut down in 2024: ask the recipient's postmaster to stop using it."
    else:
        advice = f"Find out why you are listed, fix it, then request delisting from {name}'s operator."
    return summary, advice, name


def _expired(code: int | None, dsn: str | None, reply: str, relay: str | None = None) -> Explanation:
    """An expired delivery, with the last reason when the reply still says it."""
    if _mentions_expiry(reply):  # "retry timeout exceeded" says nothing about the last failure
        reply = ""
    underlying = _explain_cached(code, dsn, reply, Status.DEFERRED, relay) if (code or dsn or reply) else None
    reason = ""
    why = "other"
    if underlying is not None and underlying.category not in ("expired", "temporary_other", "unknown"):
        reason = f" The last reason was: {underlying.summary[0].lower()}{underlying.summary[1:]}"
        why = underlying.reason or "other"
    summary, advice = CATEGORY_TEXT["expired"]
    return Explanation(
        "expired",
        summary + reason,
        _detail(code, dsn),
        True,
        advice,
        underlying.blocklist if underlying is not None else None,
        why,
        underlying.provider if underlying is not None else None,
        underlying.help_url if underlying is not None else None,
    )


def _deleted(code: int | None, dsn: str | None, reply: str, relay: str | None = None) -> Explanation:
    """Deleted from the queue by an administrator: nobody retries, and no bounce goes to the sender."""
    underlying = _explain_cached(code, dsn, reply, Status.DEFERRED, relay) if (code or dsn or reply) else None
    reason = ""
    why = "other"
    if underlying is not None and underlying.category not in ("temporary_other", "unknown"):
        reason = f" Until then it had been waiting because {underlying.summary[0].lower()}{underlying.summary[1:]}"
        why = underlying.reason or "other"
    return Explanation(
        "deleted",
        "An administrator deleted it from your server's queue before it was delivered: nobody retries it."
        + reason,
        _detail(code, dsn),
        True,
        "If that was not intended, ask the sender to send it again; the sender was not told (no bounce is sent).",
        underlying.blocklist if underlying is not None else None,
        why,
        underlying.provider if underlying is not None else None,
        underlying.help_url if underlying is not None else None,
    )


def _category(code: int | None, dsn: str | None, reply: str, klass: int | None) -> tuple[str, str | None]:
    """Category and blocklist key: strong texts, then specific codes, then weak texts, then classes."""
    text = reply.replace("_", " ") if reply else ""
    blocklist = _blocklist(text) if text else None
    if blocklist is not None:
        return "blocklisted", blocklist
    weak: str | None = None
    if text:
        for pattern, category, strong in TEXT_RULES:
            if pattern.search(text):
                if strong:
                    return category, None
                weak = weak or category
    from_code = None
    if dsn is not None:
        entry = ENHANCED_CODES.get(dsn[2:])
        if entry is not None:
            from_code = entry[0]
    if from_code is None and code is not None:
        entry_basic = BASIC_CODES.get(code)
        if entry_basic is not None and entry_basic[0] is not None:
            from_code = entry_basic[0]
    if from_code is not None and from_code not in ("policy", "temporary_other", "permanent_other"):
        return from_code, None
    if weak is not None:
        return weak, None
    if from_code is not None:
        return from_code, None
    if klass == 4:
        return "temporary_other", None
    if klass == 5:
        return "permanent_other", None
    return "unknown", None


def _blocklist(text: str) -> str | None:
    for pattern, key in BLOCKLIST_RULES:
        if pattern.search(text):
            return key
    return None


def _mentions_expiry(text: str) -> bool:
    return bool(EXPIRY_RE.search(text.replace("_", " "))) if text else False


def _class_of(code: int | None, dsn: str | None) -> int | None:
    if dsn is not None:
        return int(dsn[0])
    if code is not None:
        return code // 100
    return None


def _permanence(klass: int | None, status: Status | None) -> bool | None:
    if status is Status.DEFERRED:
        return False
    if status in (Status.BOUNCED, Status.EXPIRED, Status.DELETED):
        return True
    if klass == 4:
        return False
    if klass == 5:
        return True
    return None


def _detail(code: int | None, dsn: str | None) -> str:
    parts: list[str] = []
    if code is not None:
        entry = BASIC_CODES.get(code)
        meaning = entry[1] if entry else CLASS_WORDS.get(code // 100, "unknown reply")
        parts.append(f"{code} — {meaning} (RFC 5321)")
    if dsn is not None:
        entry_enh = ENHANCED_CODES.get(dsn[2:])
        klass_word = DSN_CLASS_WORDS.get(dsn[0], "")
        if entry_enh is not None:
            parts.append(f"{dsn} — {klass_word}{entry_enh[1]} (RFC 3463)")
        else:
            parts.append(f"{dsn} — {klass_word}no registered meaning for this detail code (RFC 3463)")
    return "; ".join(parts)


def _relay_host(relay: object) -> str | None:
    """The host part of ``host[ip]:port``: all the provider needs, and a better cache key than the IP."""
    if not isinstance(relay, str):
        return None
    host = relay.split("[", 1)[0].strip().lower()
    return host or None


def _clean_code(code: object) -> int | None:
    if isinstance(code, bool) or not isinstance(code, int):
        return None
    return code if 200 <= code <= 599 else None


def _clean_dsn(dsn: object) -> str | None:
    if not isinstance(dsn, str):
        return None
    match = _DSN_RE.search(dsn.strip()[:40])
    return ".".join(match.groups()) if match else None


def _clean_text(reply: object) -> str:
    if not isinstance(reply, str):
        return ""
    return reply[:_MAX_TEXT]


def _clean_status(status: object) -> Status | None:
    if isinstance(status, Status):
        return status
    if isinstance(status, str):
        try:
            return Status(status)
        except ValueError:
            return None
    return None


# -- retrying ---------------------------------------------------------------------------------


def retry_until(
    first_seen: float,
    status: Status,
    mta: str,
    queue_lifetime: float | None = None,
) -> float | None:
    """Epoch until which ``mta`` keeps retrying a deferred delivery, or ``None`` when not deferred/unknown.

    ``queue_lifetime`` (seconds) overrides the MTA's default, for hosts configured otherwise.
    """
    if _clean_status(status) is not Status.DEFERRED:
        return None
    lifetime = queue_lifetime if queue_lifetime is not None else DEFAULT_QUEUE_LIFETIME.get((mta or "").lower())
    if lifetime is None:
        return None
    return first_seen + lifetime


def describe_retry(
    first_seen: float,
    status: Status,
    mta: str,
    *,
    now: float,
    tz: tzinfo | None = None,
    queue_lifetime: float | None = None,
) -> str | None:
    """Plain words on what the MTA does next with a deferred delivery, or ``None`` when not deferred.

    ``now`` and ``tz`` (default UTC) are parameters so the words are testable.
    """
    until = retry_until(first_seen, status, mta, queue_lifetime)
    if until is None:
        if _clean_status(status) is Status.DEFERRED:
            return "Your server keeps retrying until its queue lifetime ends, then returns it to the sender."
        return None
    moment = datetime.fromtimestamp(until, tz=tz or UTC)
    stamp = f"{moment:%a} {moment.day} {moment:%b %H:%M}"
    if until > now:
        return f"Your server keeps retrying until {stamp} ({_relative(until - now)}), then returns it to the sender."
    return (
        f"Your server's retry time ran out on {stamp} ({_relative(now - until, past=True)}); "
        "it should have returned the message to the sender."
    )


def _relative(seconds: float, *, past: bool = False) -> str:
    seconds = abs(seconds)
    if seconds < 90:
        amount = "a minute"
    elif seconds < 90 * 60:
        amount = f"{round(seconds / 60)} minutes"
    elif seconds < 36 * 3600:
        hours = round(seconds / 3600)
        amount = "an hour" if hours == 1 else f"{hours} hours"
    else:
        days = round(seconds / DAY)
        amount = "a day" if days == 1 else f"{days} days"
    return f"{amount} ago" if past else f"in {amount}"
