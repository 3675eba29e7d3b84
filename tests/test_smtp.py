"""Plain words for SMTP replies: categories from real-looking replies, from codes alone, texts beating codes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracktui.model import DeliveryRow, Status
from tracktui.smtp import (
    DEFAULT_QUEUE_LIFETIME,
    ENHANCED_CODES,
    Explanation,
    describe_retry,
    explain,
    explain_delivery,
    extract_code,
    extract_dsn,
    retry_until,
)

DAY = 86400.0

REAL_REPLIES = [
    # (code, dsn, reply, category, blocklist)
    (452, "4.2.2", "host mx.example.net[198.51.100.26] said: 452-4.2.2 The email account that you tried to reach "
     "is over quota. Please direct the recipient to 452 4.2.2 https://support.example.net/mail/?p=OverQuotaTemp "
     "(in reply to RCPT TO command)", "mailbox_full", None),
    (552, "5.2.2", "552 5.2.2 <bob@example.net>: Recipient address rejected: Mailbox full", "mailbox_full", None),
    (None, None, "SMTP error from remote mail server after RCPT TO:<x@example.org>: 452 4.2.2 Quota exceeded",
     "mailbox_full", None),
    (550, "5.1.1", "host mail.isp.example[203.0.113.25] said: 550 5.1.1 <ann@isp.example>: Recipient address "
     "rejected: User unknown in virtual mailbox table (in reply to RCPT TO command)", "no_such_user", None),
    (550, "5.1.1", "550-5.1.1 The email account that you tried to reach does not exist. Please try 550-5.1.1 "
     "double-checking the recipient's email address for typos", "no_such_user", None),
    (554, None, "554 delivery error: dd This user doesn't have a webmail.example account (x@webmail.example) [0]",
     "no_such_user", None),
    (554, "5.7.1", "host mx.example.net[198.51.100.7] said: 554 5.7.1 Service unavailable; Client host "
     "[203.0.113.9] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/203.0.113.9",
     "blocklisted", "Spamhaus"),
    (550, "5.7.1", "550 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using bl.spamcop.net",
     "blocklisted", "SpamCop"),
    (554, "5.7.1", "554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using b.barracudacentral.org",
     "blocklisted", "Barracuda"),
    (550, "5.7.1", "550 5.7.1 Unfortunately, messages from [192.0.2.1] weren't sent. Please contact your Internet "
     "service provider since part of their network is on our block list (S3150).", "blocklisted",
     "Microsoft (Outlook.com / Office 365)"),
    (550, None, "550 5.7.1 Rejected: 192.0.2.1 listed at dnsbl-1.uceprotect.net", "blocklisted", "UCEPROTECT"),
    (554, None, "554 Blocked - see https://ipcheck.proofpoint.com/?ip=192.0.2.1", "blocklisted", "Proofpoint"),
    (550, None, "550 5.7.1 192.0.2.1 is listed at combined.mail.abusix.zone", "blocklisted", "Abusix"),
    (550, None, "550 rejected because 192.0.2.1 is in a black list at dnsbl.sorbs.net", "blocklisted", "SORBS"),
    (550, None, "550 5.7.1 Client host rejected: listed at rbl.example.net", "blocklisted", "rbl.example.net"),
    (450, "4.7.1", "450 4.7.1 <b@example.org>: Recipient address rejected: Greylisted, see "
     "http://postgrey.schweikert.ch/help/example.org.html", "greylisted", None),
    (451, None, "451 4.7.1 Please try again later", "greylisted", None),
    (550, "5.7.26", "550-5.7.26 This mail has been blocked because the sender is unauthenticated. Gmail requires "
     "all senders to authenticate with either SPF or DKIM.", "spf_dkim_dmarc", None),
    (550, "5.7.1", "550 5.7.1 Email rejected per DMARC policy for example.com", "spf_dkim_dmarc", None),
    (None, "4.4.1", "connect to mx.example.net[198.51.100.7]:25: Connection refused", "connection_refused", None),
    (None, "4.4.1", "connect to mx.example.net[198.51.100.7]:25: Connection timed out", "connection_timeout", None),
    (None, None, "R=dnslookup T=remote_smtp defer (111): Connection refused", "connection_refused", None),
    (None, "4.4.2", "lost connection with mx.example.net[198.51.100.7] while receiving the initial server greeting",
     "connection_lost", None),
    (None, "5.4.4", "Host or domain name not found. Name service error for name=nonexistent.example type=A: Host "
     "not found", "no_mx_host_not_found", None),
    (None, None, "Unrouteable address", "no_mx_host_not_found", None),
    (552, "5.3.4", "552 5.3.4 Message size exceeds fixed limit", "message_too_large", None),
    (421, "4.7.0", "421 4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred due to unexpected volume or "
     "user complaints", "rate_limited", None),
    (421, None, "421 Too many connections from your IP, try again later", "rate_limited", None),
    (554, "5.7.1", "554 5.7.1 <victim@example.net>: Relay access denied", "relay_denied", None),
    (None, None, "Sorry,_I_wasn't_able_to_establish_an_SMTP_connection._(#4.4.1)/", "connection_failed", None),
    (None, "4.7.4", "TLS is required, but was not offered by host mx.example.net[198.51.100.7]", "tls_failed", None),
    (535, "5.7.8", "535 5.7.8 Error: authentication failed: authentication failure", "auth_failed", None),
    (550, "5.7.1", "550-5.7.1 [192.0.2.1] Our system has detected that this message is likely unsolicited mail.",
     "spam_content", None),
    (550, "5.2.1", "550 5.2.1 The email account that you tried to reach is disabled.", "mailbox_disabled", None),
]


@pytest.mark.parametrize(("code", "dsn", "reply", "category", "blocklist"), REAL_REPLIES)
def test_real_replies_get_their_category(
    code: int | None, dsn: str | None, reply: str, category: str, blocklist: str | None
) -> None:
    explanation = explain(code, dsn, reply)
    assert explanation.category == category, explanation
    assert explanation.blocklist == blocklist
    assert explanation.summary and explanation.advice


CODES_ONLY = [
    (None, "4.2.2", "mailbox_full", False),
    (None, "5.2.2", "mailbox_full", True),
    (None, "5.1.1", "no_such_user", True),
    (None, "5.1.2", "no_such_domain", True),
    (None, "5.1.3", "bad_address", True),
    (None, "5.1.10", "no_mail_service", True),
    (None, "5.7.23", "spf_dkim_dmarc", True),
    (None, "5.7.25", "reverse_dns", True),
    (None, "5.7.26", "spf_dkim_dmarc", True),
    (None, "4.4.1", "connection_failed", False),
    (None, "4.4.3", "no_mx_host_not_found", False),
    (None, "5.3.4", "message_too_large", True),
    (None, "4.5.3", "too_many_recipients", False),
    (None, "5.4.6", "mail_loop", True),
    (None, "4.7.28", "rate_limited", False),
    (None, "5.6.1", "content_rejected", True),
    (421, None, "remote_busy", False),
    (530, None, "auth_failed", True),
    (535, None, "auth_failed", True),
    (551, None, "mailbox_moved", True),
    (500, None, "protocol_error", True),
    (503, None, "protocol_error", True),
    (521, None, "no_mail_service", True),
    (550, None, "permanent_other", True),
    (451, None, "temporary_other", False),
    (550, "5.7.1", "policy", True),
    (None, "4.0.0", "temporary_other", False),
    (None, "5.9.99", "permanent_other", True),
]


@pytest.mark.parametrize(("code", "dsn", "category", "permanent"), CODES_ONLY)
def test_codes_alone(code: int | None, dsn: str | None, category: str, permanent: bool) -> None:
    explanation = explain(code, dsn, None)
    assert explanation.category == category
    assert explanation.permanent is permanent
    if dsn is not None:
        assert explanation.detail.count(dsn) == 1
        assert "RFC 3463" in explanation.detail
    if code is not None:
        assert explanation.detail.startswith(f"{code} — ")
        assert "RFC 5321" in explanation.detail


def test_microsoft_codes_name_the_blocklist() -> None:
    explanation = explain(550, "5.7.606", None)
    assert explanation.category == "blocklisted"
    assert explanation.blocklist is not None and "Microsoft" in explanation.blocklist
    assert "https://sender.office.com/" in explanation.advice


def test_enhanced_registry_covers_every_subject() -> None:
    subjects = {key.split(".")[0] for key in ENHANCED_CODES}
    assert subjects == {"0", "1", "2", "3", "4", "5", "6", "7"}
    for key in ("1.1", "2.2", "4.4", "4.7", "5.3", "7.1", "7.23", "7.24", "7.25", "7.26"):
        assert key in ENHANCED_CODES


def test_text_beats_vague_codes() -> None:
    blocked = explain(550, "5.7.1", "550 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using "
                                    "zen.spamhaus.org")
    assert (blocked.category, blocked.blocklist) == ("blocklisted", "Spamhaus")
    assert blocked.summary == "Your server's IP is listed on the Spamhaus blocklist, so the recipient's server " \
                              "refused it."
    assert "https://check.spamhaus.org/" in blocked.advice
    unknown = explain(550, None, "550 Requested action not taken: mailbox unavailable (user unknown)")
    assert unknown.category == "no_such_user"
    assert unknown.summary == "The recipient's server says this address does not exist."


def test_weak_text_does_not_beat_a_specific_code() -> None:
    assert explain(452, "4.2.2", "452 4.2.2 Mailbox busy, try again later").category == "mailbox_full"
    assert explain(451, None, "451 Temporary failure, please try again later").category == "greylisted"


def test_codes_are_read_from_the_reply_when_not_given() -> None:
    explanation = explain(None, None, "host x[198.51.100.7] said: 550 5.1.1 <a@example.net>: no thanks")
    assert explanation.category == "no_such_user"
    assert explanation.permanent is True
    assert "550" in explanation.detail and "5.1.1" in explanation.detail


def test_ip_addresses_and_ports_are_not_codes() -> None:
    assert extract_dsn("connect to mx.example.net[10.4.5.6]:25: Connection refused") is None
    assert extract_dsn("said: 450 4.7.1 greylisted") == "4.7.1"
    assert extract_dsn("qmail (#5.1.1)") == "5.1.1"
    assert extract_code("connect to mx.example.net[198.51.100.7]:465: Connection refused") is None
    assert extract_code("host x[198.51.100.7] said: 554 5.7.1 blocked") == 554
    assert extract_code("after RCPT TO:<a@b>: 452-4.2.2 full") == 452


def test_status_decides_permanence() -> None:
    assert explain(550, "5.1.1", "user unknown", Status.DEFERRED).permanent is False
    assert explain(450, "4.2.2", "over quota", Status.BOUNCED).permanent is True
    deferred = explain(None, "4.4.1", "connect to x[198.51.100.7]:25: Connection timed out", Status.DEFERRED)
    assert "retries" in deferred.advice


def test_delivered() -> None:
    explanation = explain(250, "2.0.0", "250 2.0.0 OK 1764237601 a640c23a62f3a - gsmtp", Status.DELIVERED)
    assert explanation.category == "delivered"
    assert explanation.permanent is None
    assert explain(250, None, "250 ok dirdel").category == "delivered"


def test_expired_keeps_the_last_reason() -> None:
    explanation = explain(None, "4.2.2", "452 4.2.2 over quota", Status.EXPIRED)
    assert explanation.category == "expired"
    assert explanation.permanent is True
    assert "mailbox is full" in explanation.summary
    assert explain(None, None, "retry timeout exceeded").category == "expired"
    text = "I'm_not_going_to_try_again;_this_message_has_been_in_the_queue_too_long./"
    assert explain(None, None, text).category == "expired"


def test_nothing_known() -> None:
    explanation = explain(None, None, None)
    assert explanation.category == "unknown"
    assert explanation.permanent is None


def test_explain_delivery_uses_the_row() -> None:
    row = DeliveryRow(
        delivery_id=1, message_key=2, time=0.0, message_time=0.0, host="mx1", mta="postfix", queue_id="ABC",
        message_id=None, sender="a@example.com", recipient="b@example.net", orig_recipient=None, subject=None,
        size=None, status=Status.BOUNCED, attempt_count=1, relay=None, delay=None, code=550, dsn="5.1.1",
        reply="550 5.1.1 <b@example.net>: Recipient address rejected: User unknown",
    )
    assert explain_delivery(row) == explain(550, "5.1.1", row.reply, Status.BOUNCED)
    assert explain_delivery(row).category == "no_such_user"


STATUSES = st.one_of(st.none(), st.sampled_from(list(Status)), st.text(max_size=10), st.integers())


@settings(max_examples=300, deadline=None)
@given(
    code=st.one_of(st.none(), st.integers(), st.booleans()),
    dsn=st.one_of(st.none(), st.text(max_size=30), st.from_regex(r"[245]\.\d{1,3}\.\d{1,3}", fullmatch=True)),
    reply=st.one_of(st.none(), st.text(max_size=300), st.binary(max_size=50)),
    status=STATUSES,
)
def test_never_raises(code: object, dsn: object, reply: object, status: object) -> None:
    explanation = explain(code, dsn, reply, status)  # type: ignore[arg-type]
    assert isinstance(explanation, Explanation)
    assert explanation.category and explanation.summary
    assert explanation.permanent in (True, False, None)


def test_huge_reply_is_fine() -> None:
    reply = "550 5.1.1 " + "x" * 1_000_000 + " user unknown"
    assert explain(None, None, reply).category in ("permanent_other", "no_such_user")


def test_retry_until_defaults_and_override() -> None:
    assert DEFAULT_QUEUE_LIFETIME == {"postfix": 5 * DAY, "exim": 4 * DAY, "qmail": 604800.0}
    assert retry_until(1000.0, Status.DEFERRED, "postfix") == 1000.0 + 5 * DAY
    assert retry_until(1000.0, Status.DEFERRED, "exim") == 1000.0 + 4 * DAY
    assert retry_until(1000.0, Status.DEFERRED, "qmail") == 1000.0 + 604800
    assert retry_until(1000.0, Status.DEFERRED, "postfix", queue_lifetime=2 * DAY) == 1000.0 + 2 * DAY
    assert retry_until(1000.0, Status.DELIVERED, "postfix") is None
    assert retry_until(1000.0, Status.BOUNCED, "postfix") is None
    assert retry_until(1000.0, Status.DEFERRED, "sendmail") is None
    assert retry_until(1000.0, Status.DEFERRED, "sendmail", queue_lifetime=DAY) == 1000.0 + DAY


def test_describe_retry_in_plain_words() -> None:
    first = datetime(2026, 11, 26, 14, 5, tzinfo=UTC).timestamp()
    now = datetime(2026, 11, 27, 14, 5, tzinfo=UTC).timestamp()
    words = describe_retry(first, Status.DEFERRED, "postfix", now=now, tz=UTC)
    assert words == ("Your server keeps retrying until Tue 1 Dec 14:05 (in 4 days), then returns it to the sender.")
    shifted = describe_retry(first, Status.DEFERRED, "postfix", now=now, tz=timezone(timedelta(hours=1)))
    assert shifted is not None and "15:05" in shifted
    hours = describe_retry(first, Status.DEFERRED, "exim", now=first + 4 * DAY - 3 * 3600, tz=UTC)
    assert hours is not None and "Mon 30 Nov 14:05 (in 3 hours)" in hours
    late = describe_retry(first, Status.DEFERRED, "postfix", now=first + 7 * DAY, tz=UTC)
    assert late is not None and "ran out" in late and "2 days ago" in late
    assert describe_retry(first, Status.DELIVERED, "postfix", now=now) is None
    unknown = describe_retry(first, Status.DEFERRED, "other", now=now)
    assert unknown is not None and "queue lifetime" in unknown


def test_expiry_text_is_not_taken_for_the_last_reason() -> None:
    explanation = explain(None, None, "retry timeout exceeded", Status.EXPIRED)
    assert explanation.summary.endswith("returned the message to the sender.")
    with_reason = explain(None, "4.4.1", "connect to x[198.51.100.7]:25: Connection timed out", Status.EXPIRED)
    assert "did not answer in time" in with_reason.summary


@pytest.mark.parametrize(("reply", "status", "dsn"), [
    # Exim's own words when no server answered (tests/fixtures/exim, real output).
    ("Connection refused", Status.DEFERRED, "4.4.1"),
    ("SMTP timeout after initial connection: Connection timed out", Status.DEFERRED, "4.4.2"),
    ("Connection timed out", Status.DEFERRED, "4.4.1"),
    ("retry time not reached for any host", Status.DEFERRED, "4.4.1"),
    ("all relevant MX records point to non-existent hosts", Status.BOUNCED, "5.1.2"),
    ("host lookup did not complete", Status.DEFERRED, "4.4.3"),
    ("Unrouteable address", Status.BOUNCED, "5.1.2"),
    ("something nobody documented", Status.BOUNCED, "5.0.0"),
    ("something nobody documented", Status.DEFERRED, "4.0.0"),
    ("delivered", Status.DELIVERED, None),
])
def test_a_failure_without_a_dsn_gets_the_one_rfc_3463_gives_it(reply: str, status: Status, dsn: str | None) -> None:
    from tracktui.smtp import derived_dsn

    assert derived_dsn(reply, status) == dsn
