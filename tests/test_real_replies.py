"""Real replies published by administrators and providers: the reason and the provider tracktui gives.

Each reply of ``fixtures/replies/real_replies.toml`` is logged as Postfix would log it (a
``status=bounced``/``deferred`` line naming the relay that answered), parsed by
:class:`~tracktui.parsers.postfix.PostfixParser`, correlated into a delivery and explained
the way the views do. The coverage figures are printed (``pytest -s``) and held to floors
we reach, so a change that loses replies fails here.
"""

from __future__ import annotations

import tomllib
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tracktui.correlate import Correlator
from tracktui.model import Status
from tracktui.parsers.postfix import PostfixParser
from tracktui.providers import PROVIDERS, provider_of
from tracktui.smtp import REASONS, explain, extract_dsn
from tracktui.smtp_codes import CATEGORY_REASON, CATEGORY_TEXT

FIXTURE = Path(__file__).parent / "fixtures" / "replies" / "real_replies.toml"
REPLIES: list[dict[str, Any]] = tomllib.loads(FIXTURE.read_text(encoding="utf-8"))["reply"]
PROVIDER_NAMES = {provider.key: provider.name for provider in PROVIDERS}

REASON_FLOOR = 0.95
"""Share of replies whose reason must be right (the issue's goal)."""
PROVIDER_FLOOR = 0.95
"""Share of replies whose provider must be right (a reply quoted without its relay may name none)."""


def postfix_line(index: int, entry: dict[str, Any]) -> str:
    """The ``postfix/smtp`` line that would carry ``entry``'s reply."""
    host = entry["relay"] or f"mx{index}.example.net"
    ip = f"192.0.2.{index % 250 + 1}"
    if entry["text"].startswith("connect to "):
        detail = entry["text"]
        relay = "none"
    else:
        detail = f"host {host}[{ip}] said: {entry['text']} (in reply to RCPT TO command)"
        relay = f"{host}[{ip}]:25"
    # Postfix logs the reply's own enhanced code as dsn=, or its default when the reply has none.
    dsn = extract_dsn(entry["text"]) or ("5.0.0" if entry["status"] == "bounced" else "4.0.0")
    return (f"Nov 27 09:00:01 mx1 postfix/smtp[4242]: 4F9D1{index:05X}: to=<rcpt{index}@example.net>, "
            f"relay={relay}, delay=1.2, delays=0.1/0/0.5/0.6, dsn={dsn}, status={entry['status']} ({detail})")


def engine_verdict(index: int, entry: dict[str, Any]) -> tuple[str | None, str | None]:
    """Reason and provider name tracktui gives ``entry`` after parsing and correlating its log line."""
    parser = PostfixParser(reference_time=1_795_000_000.0)
    correlator = Correlator()
    event = parser.parse(postfix_line(index, entry))
    assert event is not None, entry["text"]
    correlator.feed(event)
    (message,) = correlator.drain()
    (delivery,) = message.deliveries.values()
    attempt = delivery.last
    assert attempt is not None and attempt.reply
    assert delivery.status is Status(entry["status"])
    explanation = explain(attempt.code, attempt.dsn, attempt.reply, delivery.status, relay=attempt.relay)
    return explanation.reason, explanation.provider


def test_the_fixture_is_well_formed() -> None:
    assert len(REPLIES) >= 60
    for entry in REPLIES:
        assert set(entry) - {"relay_from"} == {"text", "relay", "source", "provider", "reason", "status", "kind"}
        assert entry.get("relay_from", "source") in ("source", "provider-mx"), entry
        assert entry["reason"] in REASONS, entry
        assert entry["provider"] == "none" or entry["provider"] in PROVIDER_NAMES, entry
        assert entry["source"].startswith("https://"), entry
        assert entry["kind"] in ("pasted", "documented"), entry
    texts = [entry["text"] for entry in REPLIES]
    assert len(texts) == len(set(texts)), "each reply once"


def test_every_category_has_a_reason() -> None:
    assert set(CATEGORY_TEXT) - {"unknown"} <= set(CATEGORY_REASON)
    assert {reason for reason in CATEGORY_REASON.values() if reason is not None} <= set(REASONS)


def test_real_replies_get_the_right_reason_and_provider() -> None:
    wrong_reason: list[str] = []
    wrong_provider: list[str] = []
    pasted_right = 0
    for index, entry in enumerate(REPLIES):
        reason, provider = engine_verdict(index, entry)
        expected_provider = None if entry["provider"] == "none" else PROVIDER_NAMES[entry["provider"]]
        pasted_right += entry["kind"] == "pasted" and reason == entry["reason"]
        if reason != entry["reason"]:
            wrong_reason.append(f"  {entry['reason']} != {reason}: {entry['text'][:90]}")
        if provider != expected_provider:
            wrong_provider.append(f"  {expected_provider} != {provider}: {entry['text'][:90]}")
    total = len(REPLIES)
    providers = Counter(entry["provider"] for entry in REPLIES if entry["provider"] != "none")
    reason_share = 1 - len(wrong_reason) / total
    provider_share = 1 - len(wrong_provider) / total
    print(f"\n{total} real replies, {len(providers)} providers (+ {total - providers.total()} of none): "
          f"reason right {reason_share:.1%}, provider right {provider_share:.1%}; "
          f"pasted by administrators: {pasted_right}/{sum(e['kind'] == 'pasted' for e in REPLIES)} right reason")
    print("\n".join(["reason misses:", *wrong_reason, "provider misses:", *wrong_provider]))
    assert reason_share >= REASON_FLOOR, "\n".join(wrong_reason)
    assert provider_share >= PROVIDER_FLOOR, "\n".join(wrong_provider)


def test_no_provider_for_replies_naming_none() -> None:
    for entry in REPLIES:
        if entry["provider"] == "none":
            assert provider_of(entry["relay"] or None, entry["text"]) is None, entry["text"]


@pytest.mark.parametrize("entry", [e for e in REPLIES if e["provider"] != "none" and e["relay"]],
                         ids=lambda e: e["relay"])
def test_a_known_relay_names_its_provider_without_the_reply(entry: dict[str, Any]) -> None:
    provider = provider_of(f"{entry['relay']}[192.0.2.1]:25", None)
    assert provider is not None and provider.key == entry["provider"]
