"""The provider catalogue: its checks at load time, recognition, and how it words explanations."""

from __future__ import annotations

from pathlib import Path

import pytest

from tracktui.model import DeliveryRow, Status
from tracktui.providers import PROVIDERS, CatalogueError, load_providers, provider_code, provider_of
from tracktui.smtp import REASONS, Explanation, explain, explain_delivery, for_party

GOOD = """
[[provider]]
key = "demo"
name = "Demo Mail"
help_url = "https://postmaster.example.com/"
source = "https://docs.example.com/codes"
relays = ["*.mx.example.com"]
markers = ['\\bDEMO\\d+\\b']

[[provider.code]]
dsn = ["5.7.606-608"]
reason = "blocklisted"
summary = "Demo bans your IP."
advice = "Ask Demo."
source = "https://docs.example.com/codes"
"""

GMAIL_RELAY = "gmail-smtp-in.l.google.com[172.217.197.26]:25"
GMAIL_526 = ("550-5.7.26 This mail is unauthenticated, which poses a security risk to the 550-5.7.26 sender and "
             "Gmail users, and has been blocked. - gsmtp")


def test_the_shipped_catalogue_loads_and_cites_its_sources() -> None:
    assert len(PROVIDERS) >= 10
    assert len({provider.key for provider in PROVIDERS}) == len(PROVIDERS)
    for provider in PROVIDERS:
        assert provider.source.startswith(("https://", "http://"))
        for code in provider.codes:
            assert code.reason in REASONS
            assert code.source.startswith(("https://", "http://"))
            assert code.summary.endswith((".", ")")) and code.advice


def test_a_good_catalogue_loads_and_expands_dsn_ranges() -> None:
    (demo,) = load_providers(GOOD)
    assert demo.codes[0].dsn == ("5.7.606", "5.7.607", "5.7.608")
    assert demo.serves("a.mx.example.com") and not demo.serves("mx.example.com.evil.net")


@pytest.mark.parametrize(("change", "complaint"), [
    (('reason = "blocklisted"', 'reason = "banned"'), "is not one of"),
    (('dsn = ["5.7.606-608"]', 'dsn = ["5.7"]'), "must look like"),
    (('dsn = ["5.7.606-608"]', 'dsn = ["5.7.608-606"]'), "runs backwards"),
    (('dsn = ["5.7.606-608"]', 'code = [550]'), "needs a dsn or a pattern"),
    (("markers = ['\\bDEMO\\d+\\b']", "markers = ['(']"), "bad pattern"),
    (('relays = ["*.mx.example.com"]', 'relays = ["*.MX.example.com"]'), "lower-case"),
    (('help_url = "https://postmaster.example.com/"', 'help_url = "ftp://x"'), "URL"),
    (('name = "Demo Mail"', 'name = "Demo Mail"\ncolour = "red"'), "unknown fields"),
    (('summary = "Demo bans your IP."', ''), "summary must be"),
])
def test_a_malformed_catalogue_fails_loudly(change: tuple[str, str], complaint: str) -> None:
    old, new = change
    assert old in GOOD
    with pytest.raises(CatalogueError, match=complaint):
        load_providers(GOOD.replace(old, new))


def test_a_catalogue_without_providers_is_refused() -> None:
    with pytest.raises(CatalogueError):
        load_providers("")
    with pytest.raises(CatalogueError):
        load_providers("[[provider]\n")


def test_the_data_file_ships_inside_the_package() -> None:
    import tracktui

    assert (Path(tracktui.__file__).parent / "data" / "providers.toml").is_file()


@pytest.mark.parametrize(("relay", "reply", "key"), [
    (GMAIL_RELAY, None, "gmail"),
    ("ASPMX.L.GOOGLE.COM[64.233.167.27]:25", None, "gmail"),
    ("contoso-com.mail.protection.outlook.com[104.47.8.36]:25", None, "microsoft"),
    ("mta7.am0.yahoodns.net[67.195.204.72]:25", None, "yahoo"),
    ("mx01.mail.icloud.com[17.57.154.6]:25", None, "apple"),
    ("mx00.emig.gmx.net[212.227.15.9]:25", None, "united-internet"),
    ("mxb-00505701.gslb.pphosted.com[148.163.135.35]:25", None, "proofpoint"),
    (None, "host mx4.hotmail.com[104.44.194.236] said: 550 SC-001", "microsoft"),
    (None, "421 4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred", "yahoo"),
    ("192.0.2.7[192.0.2.7]:25", "450 4.2.1 Slow down. - gsmtp", "gmail"),
])
def test_provider_of_recognises_relays_then_markers(relay: str | None, reply: str | None, key: str) -> None:
    provider = provider_of(relay, reply)
    assert provider is not None and provider.key == key


@pytest.mark.parametrize(("relay", "reply"), [
    ("mx.example.net[192.0.2.7]:25", "550 5.1.1 user unknown"),
    ("google.com.evil.example[192.0.2.7]:25", "550 no"),
    (None, None),
    ("", ""),
])
def test_provider_of_names_none_when_nothing_says_so(relay: str | None, reply: str | None) -> None:
    assert provider_of(relay, reply) is None


def test_a_documented_code_words_the_explanation_in_the_providers_terms() -> None:
    explanation = explain(550, "5.7.26", GMAIL_526, Status.BOUNCED, relay=GMAIL_RELAY)
    assert explanation.reason == "auth"
    assert explanation.provider == "Gmail (Google)"
    assert explanation.help_url == "https://support.google.com/mail/answer/81126"
    assert "Gmail" in explanation.summary and "SPF" in explanation.advice
    assert explanation.permanent is True
    assert "5.7.26" in explanation.detail


def test_a_deferral_keeps_the_retry_sentence_after_the_providers_advice() -> None:
    reply = "421 4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred due to unexpected volume"
    explanation = explain(421, "4.7.0", reply, Status.DEFERRED, relay="mta5.am0.yahoodns.net[98.136.96.74]:25")
    assert explanation.reason == "rate-limit" and explanation.provider == "Yahoo / AOL"
    assert explanation.advice.endswith("until its queue lifetime ends.")
    assert explanation.help_url == "https://senders.yahooinc.com/smtp-error-codes/"


def test_a_known_provider_without_a_matching_code_keeps_the_generic_words() -> None:
    reply = "550 5.7.1 Some rule we never documented. - gsmtp"
    generic = explain(550, "5.7.1", reply.replace(" - gsmtp", ""), Status.BOUNCED)
    known = explain(550, "5.7.1", reply, Status.BOUNCED, relay=GMAIL_RELAY)
    assert known.summary == generic.summary and known.reason == generic.reason == "policy"
    assert known.provider == "Gmail (Google)"
    assert known.help_url == "https://support.google.com/a/answer/3726730"


def test_without_a_provider_nothing_changes() -> None:
    explanation = explain(452, "4.2.2", "452 4.2.2 Mailbox full", Status.DEFERRED, relay="mx.example.net[192.0.2.7]:25")
    assert explanation.category == "mailbox_full" and explanation.reason == "mailbox-full"
    assert explanation.provider is None and explanation.help_url is None


def test_reason_follows_the_category_and_delivered_has_none() -> None:
    assert explain(250, "2.0.0", "250 2.0.0 Ok", Status.DELIVERED).reason is None
    assert Explanation("no_such_user", "s", "", True, "a").reason == "no-such-user"
    assert Explanation("made_up", "s", "", True, "a").reason == "other"


def test_expired_keeps_the_reason_and_provider_of_the_last_reply() -> None:
    explanation = explain(452, "4.2.2", "452-4.2.2 The email account that you tried to reach is over quota. - gsmtp",
                          Status.EXPIRED, relay=GMAIL_RELAY)
    assert explanation.category == "expired"
    assert explanation.reason == "mailbox-full" and explanation.provider == "Gmail (Google)"


def row(**changes: object) -> DeliveryRow:
    base: dict[str, object] = dict(
        delivery_id=1, message_key=2, time=1000.0, message_time=990.0, host="mx1", mta="postfix",
        queue_id="ABC", message_id=None, sender="alice@example.com", recipient="bob@example.net",
        orig_recipient=None, subject=None, size=None, status=Status.BOUNCED, relay=GMAIL_RELAY, delay=0.5,
        code=550, dsn="5.7.26",
        reply=f"host gmail-smtp-in.l.google.com[172.217.197.26] said: {GMAIL_526}", attempt_count=1,
    )
    base.update(changes)
    return DeliveryRow(**base)  # type: ignore[arg-type]


def test_explain_delivery_uses_the_rows_relay() -> None:
    explanation = explain_delivery(row())
    assert explanation.provider == "Gmail (Google)" and explanation.reason == "auth"


def test_a_refusal_by_our_own_server_is_not_a_provider_reply() -> None:
    ours = row(refused_here=True, relay=None, client="mail-lb0-f181.google.com[209.85.217.181]",
               reply="554 5.7.1 Service unavailable; Client host [209.85.217.181] blocked using zen.spamhaus.org "
                     "- gsmtp",
               dsn="5.7.1", code=554)
    explanation = explain_delivery(ours)
    assert explanation.provider is None and explanation.help_url is None
    assert explanation.reason == "blocklisted"
    assert explanation.summary.startswith("Your server refused")


def test_for_party_keeps_provider_fields_for_a_failed_local_delivery() -> None:
    base = explain(550, "5.7.26", GMAIL_526, Status.BOUNCED, relay=GMAIL_RELAY)
    local = for_party(base, row(relay="local", reply=GMAIL_526))
    assert local.reason == base.reason and local.help_url == base.help_url


def test_provider_code_takes_the_first_match_in_file_order() -> None:
    gmail = next(provider for provider in PROVIDERS if provider.key == "gmail")
    custom = "550 5.7.1 This message violates example.com email policy. - gcdp x - gsmtp"
    first = provider_code(gmail, 550, "5.7.1", custom)
    assert first is not None and first.reason == "policy"
    assert provider_code(gmail, 550, "5.7.1", "550 5.7.1 nothing documented") is None


def test_the_details_pane_links_the_providers_help_page() -> None:
    from datetime import UTC

    from tracktui.model import AttemptResult, AttemptRow
    from tracktui.tui.widgets.details import details_text

    shown = details_text(row(), tz=UTC, now=2000.0).plain
    assert "Gmail (Google) help: https://support.google.com/mail/answer/81126" in shown
    attempt = AttemptRow(1000.0, AttemptResult.BOUNCED, GMAIL_RELAY, 0.5, 550, "5.7.26", GMAIL_526)
    assert "support.google.com/mail/answer/81126" in details_text(row(), tz=UTC, now=2000.0, attempt=attempt).plain
    ours = row(refused_here=True, relay=None, client="mail-lb0-f181.google.com[209.85.217.181]")
    assert "help:" not in details_text(ours, tz=UTC, now=2000.0).plain
