"""Postfix parser: every line type, on lines from the real capture (tests/fixtures/postfix) first.

Lines are picked from the captured logs by content, so the tests hold for any
re-capture; lines Postfix could not be made to write here (long queue ids,
dovecot lmtp, spamhaus postscreen, milters...) follow the formats of the
Postfix documentation and real servers.
"""

from __future__ import annotations

import json
from dataclasses import fields
from datetime import UTC, datetime
from email.header import decode_header, make_header
from pathlib import Path

import pytest

from tracktui.correlate import Correlator
from tracktui.model import AttemptResult, Event, EventKind, NoticeKind
from tracktui.parsers.postfix import EVENT_FIELDS, PostfixParser, is_queue_id, reply_code
from tracktui.parsers.syslog import EnvelopeParser

FIXTURES = Path(__file__).parent / "fixtures" / "postfix"
LOGS = sorted(FIXTURES.glob("*.log"))
TRUTH = json.loads((FIXTURES / "truth.json").read_text())
REFERENCE = datetime(2026, 12, 1, tzinfo=UTC).timestamp()


def new_parser() -> PostfixParser:
    return PostfixParser(tz=UTC, reference_time=REFERENCE, default_host="fallback")


def fixture_line(*needles: str, log: str = "delivery.log") -> str:
    """The first captured line containing every needle."""
    for line in (FIXTURES / log).read_text(encoding="utf-8").splitlines():
        if all(needle in line for needle in needles):
            return line
    raise AssertionError(f"no line in {log} contains {needles!r}")


def parse_one(line: str) -> Event:
    parser = new_parser()
    event = parser.parse(line)
    assert event is not None, parser.stats
    assert event.line == line
    assert event.mta == "postfix"
    return event


def qid_of(line: str) -> str:
    """The queue id as the line's text shows it (``... prog[pid]: QID: ...``)."""
    return line.split(": ", 2)[1]


# -- whole fixtures ------------------------------------------------------------


@pytest.mark.parametrize("log", LOGS, ids=lambda p: p.name)
def test_every_captured_line_is_understood(log: Path) -> None:
    parser = new_parser()
    events = [e for line in log.read_text(encoding="utf-8").splitlines() if (e := parser.parse(line))]
    stats = parser.stats
    assert stats.malformed == 0, stats.malformed_examples
    assert stats.foreign == 0
    assert stats.lines == stats.events + stats.ignored == len(log.read_text().splitlines())
    assert len(events) == stats.events > 0
    assert all(e.host == "mx" for e in events)


def test_fixture_truth_was_written_by_the_capture() -> None:
    assert TRUTH["postfix_version"].startswith("3.")
    assert {m["fixture"] for m in TRUTH["messages"]} == {p.name for p in LOGS}


# -- delivery agents -----------------------------------------------------------


def test_smtp_sent() -> None:
    line = fixture_line("to=<ok1@sink.test>", "status=sent")
    event = parse_one(line)
    assert event.kind is EventKind.ATTEMPT
    assert event.queue_id == qid_of(line)
    assert event.recipient == "ok1@sink.test"
    assert event.orig_recipient is None
    assert event.result is AttemptResult.SENT
    assert event.relay == "127.0.0.1[127.0.0.1]:2525"
    assert event.dsn == "2.0.0"
    assert event.code == 250
    assert event.reply is not None and event.reply.startswith("250 2.0.0 Ok: queued as SINK")
    assert event.time == datetime(2026, 11, 27, *map(int, line[7:15].split(":")), tzinfo=UTC).timestamp()


@pytest.mark.parametrize(
    ("recipient", "result", "dsn", "code", "words"),
    [
        ("full1@sink.test", AttemptResult.DEFERRED, "4.2.2", 452, "mailbox full (in reply to RCPT TO command)"),
        ("grey1@sink.test", AttemptResult.DEFERRED, "4.7.1", 450, "Greylisted, please try again later"),
        ("nouser1@sink.test", AttemptResult.BOUNCED, "5.1.1", 550, "no such user here"),
        ("block1@sink.test", AttemptResult.BOUNCED, "5.7.1", 554, "blocked using zen.spamhaus.org"),
        ("quota1@sink.test", AttemptResult.BOUNCED, "5.2.2", 552, "Mailbox quota exceeded (user over quota)"),
        ("datarej1@sink.test", AttemptResult.BOUNCED, "5.6.0", 554, "(in reply to end of DATA command)"),
    ],
)
def test_smtp_remote_refusals(recipient: str, result: AttemptResult, dsn: str, code: int, words: str) -> None:
    event = parse_one(fixture_line(f"to=<{recipient}>", "status="))
    assert (event.recipient, event.result, event.dsn, event.code) == (recipient, result, dsn, code)
    assert event.reply is not None
    assert event.reply.startswith(f"host 127.0.0.1[127.0.0.1] said: {code} {dsn} ")
    assert words in event.reply


def test_reply_with_nested_parentheses_and_fake_fields_keeps_the_real_status() -> None:
    line = fixture_line("to=<paren1@sink.test>, relay=")
    assert "status=sent" in line and "status=deferred" in line  # the remote text imitates the fields
    event = parse_one(line)
    assert event.result is AttemptResult.BOUNCED
    assert event.dsn == "5.7.1"
    assert event.code == 550
    assert event.reply is not None
    assert event.reply.endswith("status=deferred (fake) (in reply to RCPT TO command)")
    assert "(policy (see status=sent dsn=2.0.0))" in event.reply


def test_conn_use_field() -> None:
    event = parse_one(fixture_line("conn_use=", "status=sent"))
    assert event.result is AttemptResult.SENT
    assert event.relay == "127.0.0.1[127.0.0.1]:2525"


def test_connection_refused_has_no_relay_and_no_code() -> None:
    event = parse_one(fixture_line("to=<user@refused.test>", "status=deferred"))
    assert event.relay is None
    assert event.dsn == "4.4.1"
    assert event.code is None
    assert event.reply == "connect to 127.0.0.1[127.0.0.1]:2599: Connection refused"


def test_greeting_timeout() -> None:
    event = parse_one(fixture_line("to=<user@silent.test>", "status=deferred"))
    assert event.dsn == "4.4.2"
    assert event.code is None
    assert event.reply is not None and "timed out while receiving the initial server greeting" in event.reply
    assert event.delay is not None and event.delay >= 3


@pytest.mark.parametrize(
    ("needle", "program", "relay", "result", "dsn", "reply"),
    [
        ("to=<tuser@capture.test>, relay=local", "postfix/local", "local", "sent", "2.0.0", "delivered to mailbox"),
        ("to=<nosuchlocal@", "postfix/local", "local", "bounced", "5.1.1", 'unknown user: "nosuchlocal"'),
        ("to=<box@virt.test>", "postfix/virtual", "virtual", "sent", "2.0.0", "delivered to maildir"),
        ("to=<ok3@lmtp.test>", "postfix/lmtp", "127.0.0.1[127.0.0.1]:2524", "sent", "2.0.0", None),
        ("to=<x@pipe.test>", "postfix/pipe", "pipesink", "sent", "2.0.0", "delivered via pipesink service"),
        ("to=<x@pipefail.test>", "postfix/pipe", "pipefail", "bounced", "5.1.1", "user unknown"),
        ("to=<y@err.test>", "postfix/error", None, "bounced", "5.1.2", "Domain has been retired"),
        ("to=<y@later.test>", "postfix/error", None, "deferred", "4.3.2", "Domain temporarily frozen"),
        ("to=<x@drop.test>", "postfix/discard", None, "sent", "2.0.0", "Dropped by policy"),
        ("to=<ok8@out.test>", "postfix-out/smtp", "127.0.0.1[127.0.0.1]:2525", "sent", "2.0.0", None),
    ],
)
def test_other_delivery_agents(
    needle: str, program: str, relay: str | None, result: str, dsn: str, reply: str | None
) -> None:
    line = fixture_line(needle, f" {program}[")
    event = parse_one(line)
    assert event.kind is EventKind.ATTEMPT
    assert (event.relay, event.result, event.dsn) == (relay, AttemptResult(result), dsn)
    if reply is not None:
        assert event.reply == reply
        assert event.code is None


@pytest.mark.parametrize(
    ("final", "original", "program"),
    [("ok-fwd1@sink.test", "fwd1@sink.test", "smtp"), ("tuser@capture.test", "alias1@capture.test", "local")],
)
def test_orig_to(final: str, original: str, program: str) -> None:
    event = parse_one(fixture_line(f"to=<{final}>, orig_to=<{original}>", f"postfix/{program}["))
    assert (event.recipient, event.orig_recipient) == (final, original)
    assert event.result is AttemptResult.SENT


def test_address_verification_probe_is_ignored() -> None:
    parser = new_parser()
    line = (
        "Nov 27 09:00:01 mx postfix/smtp[1]: 4F2A1B3C4D: to=<bob@example.org>, relay=mx.example.org[192.0.2.1]:25, "
        "delay=0.2, delays=0/0/0.1/0.1, dsn=2.1.5, status=deliverable (250 2.1.5 Ok)"
    )
    assert parser.parse(line) is None
    assert parser.stats.ignored == 1


# -- qmgr, cleanup, smtpd, pickup, bounce -----------------------------------------


def test_qmgr_envelope() -> None:
    line = fixture_line("postfix/qmgr[", "nrcpt=4")
    event = parse_one(line)
    assert event.kind is EventKind.ENVELOPE
    assert event.sender == "ok-sender@sink.test"
    assert event.nrcpt == 4
    assert event.size == int(line.split("size=")[1].split(",")[0])


def test_qmgr_envelope_of_a_notice_has_empty_sender() -> None:
    event = parse_one(fixture_line("postfix/qmgr[", "from=<>, size="))
    assert event.kind is EventKind.ENVELOPE
    assert event.sender == ""


def test_qmgr_removed() -> None:
    line = fixture_line("postfix/qmgr[", ": removed")
    event = parse_one(line)
    assert (event.kind, event.queue_id) == (EventKind.REMOVED, qid_of(line))


@pytest.mark.parametrize("log", ["expiry.log", "tryonce.log"])
def test_qmgr_expired(log: str) -> None:
    line = fixture_line("status=expired, returned to sender", log=log)
    event = parse_one(line)
    assert event.kind is EventKind.EXPIRED
    assert event.queue_id == qid_of(line)
    assert event.sender == "ok-sender@sink.test"


def test_cleanup_message_id() -> None:
    event = parse_one(fixture_line("message-id=<m01.capture@tracktui.test>"))
    assert (event.kind, event.message_id) == (EventKind.MESSAGE_ID, "m01.capture@tracktui.test")


@pytest.mark.parametrize(
    ("value", "expected"),
    [("<a.b@example.org>", "a.b@example.org"), ("20261127.bare@example.org", "20261127.bare@example.org"), ("", None)],
)
def test_cleanup_message_id_forms(value: str, expected: str | None) -> None:
    event = parse_one(f"Nov 27 09:00:01 mx postfix/cleanup[22]: 4F2A1B3C4D: message-id={value}")
    assert event.kind is EventKind.MESSAGE_ID
    assert event.message_id == expected


@pytest.mark.parametrize(
    "message", [m for m in TRUTH["messages"] if m["via"] != "postscreen"], ids=lambda m: m["message_id"]
)
def test_header_subject_verbatim(message: dict) -> None:
    """Every captured Subject line yields exactly the subject the capture sent, hostile ones included.

    RFC 2047 words come out decoded; the standard library's own decoder is the oracle.
    """
    parser = new_parser()
    subjects = [
        e
        for line in (FIXTURES / message["fixture"]).read_text(encoding="utf-8").splitlines()
        if (e := parser.parse(line)) is not None
        and e.kind in (EventKind.SUBJECT, EventKind.REJECTED)
        and e.subject == str(make_header(decode_header(message["subject"])))
    ]
    refused_by_smtpd = all(r.get("refused_by") == "our smtpd" for r in message["recipients"].values())
    if refused_by_smtpd and "header_checks" not in message["subject"]:
        assert subjects == []  # never reached cleanup
    else:
        assert len(subjects) == 1
        assert subjects[0].sender == message["sender"]


def test_hostile_subject_does_not_leak_into_fields() -> None:
    event = parse_one(fixture_line("header Subject: (status=sent) ok) from=<spoof@x>"))
    assert event.kind is EventKind.SUBJECT
    assert event.subject == "(status=sent) ok) from=<spoof@x>; to=<b> proto=ESMTP helo=<h>"
    assert event.sender == "ok-sender@sink.test"
    assert event.client == "localhost[127.0.0.1]"
    assert event.result is None and event.dsn is None and event.recipient is None


def test_subject_from_pickup_names_client_local() -> None:
    event = parse_one(fixture_line("header Subject: Mailbox full test from local;"))
    assert (event.subject, event.client, event.sender) == ("Mailbox full test", "local", "ok-sender@sink.test")


def test_warning_header_and_lowercase_name() -> None:
    line = (
        "Nov 27 09:00:01 mx postfix/cleanup[22]: 4ZbQ1x2yTRzB5Wj: warning: header subject: Re: [x] a from b "
        "from mail.example.net[198.51.100.7]; from=<a@example.net> to=<b@example.org> proto=ESMTP "
        "helo=<mail.example.net>: watch this one"
    )
    event = parse_one(line)
    assert event.kind is EventKind.SUBJECT
    assert event.queue_id == "4ZbQ1x2yTRzB5Wj"
    assert event.subject == "Re: [x] a from b"
    assert event.client == "mail.example.net[198.51.100.7]"


def test_other_header_lines_are_ignored() -> None:
    parser = new_parser()
    line = (
        "Nov 27 09:00:01 mx postfix/cleanup[22]: 4F2A1B3C4D: info: header From: a@example.net from "
        "x[192.0.2.1]; from=<a@example.net> to=<b@example.org> proto=ESMTP helo=<x>"
    )
    assert parser.parse(line) is None
    assert parser.stats.ignored == 1


def test_cleanup_header_reject() -> None:
    line = fixture_line("cleanup[", "reject: header Subject: REJECTME")
    event = parse_one(line)
    assert event.kind is EventKind.REJECTED
    assert event.queue_id == qid_of(line)
    assert (event.sender, event.recipient) == ("ok-sender@sink.test", "ok-hdr1@sink.test")
    assert event.subject == "REJECTME via header_checks"
    assert (event.code, event.dsn) == (None, "5.7.1")
    assert event.reply == "5.7.1 Subject not welcome here"


def test_cleanup_header_discard() -> None:
    event = parse_one(fixture_line("discard: header Subject: DISCARDME"))
    assert event.kind is EventKind.REJECTED
    assert event.recipient == "ok-hdr2@sink.test"
    assert event.reply == "discarded: silently dropped by header_checks"
    assert event.code is None and event.dsn is None


def test_cleanup_milter_reject() -> None:
    line = (
        "Nov 27 09:00:01 mx postfix/cleanup[22]: 4F2A1B3C4D: milter-reject: END-OF-MESSAGE from "
        "unknown[192.0.2.1]: 5.7.1 Spam message rejected; from=<a@example.net> to=<b@example.org> "
        "proto=ESMTP helo=<x>"
    )
    event = parse_one(line)
    assert (event.kind, event.queue_id, event.dsn, event.code) == (EventKind.REJECTED, "4F2A1B3C4D", "5.7.1", None)
    assert (event.sender, event.recipient, event.client) == ("a@example.net", "b@example.org", "unknown[192.0.2.1]")


def test_smtpd_client_and_submission_service_name() -> None:
    line = fixture_line("postfix/submission/smtpd[", "client=")
    event = parse_one(line)
    assert (event.kind, event.queue_id, event.client) == (EventKind.QUEUED, qid_of(line), "localhost[127.0.0.1]")


def test_smtpd_client_with_sasl_fields() -> None:
    line = (
        "Nov 27 09:00:01 mx postfix/smtpd[5]: 4F2A1B3C4D: client=c.example.net[192.0.2.9], "
        "sasl_method=PLAIN, sasl_username=alice"
    )
    assert parse_one(line).client == "c.example.net[192.0.2.9]"


def test_pickup() -> None:
    line = fixture_line("postfix/pickup[", "uid=0 from=<")
    event = parse_one(line)
    assert (event.kind, event.queue_id, event.sender) == (EventKind.QUEUED, qid_of(line), "ok-sender@sink.test")


@pytest.mark.parametrize(
    ("recipient", "code", "dsn", "words"),
    [
        ("reject-me2@sink.test", 550, "5.7.1", "Mailbox disabled for policy reasons"),
        ("greylist-me1@sink.test", 450, "4.7.1", "Greylisted, please try again in 300 seconds"),
        ("ghost@virt.test", 550, "5.1.1", "User unknown in virtual mailbox table"),
        ("x@later.test", 450, "4.3.2", "Domain temporarily frozen"),
    ],
)
def test_noqueue_reject(recipient: str, code: int, dsn: str, words: str) -> None:
    event = parse_one(fixture_line("NOQUEUE: reject: RCPT", f"to=<{recipient}>"))
    assert event.kind is EventKind.REJECTED
    assert event.queue_id == ""
    assert (event.recipient, event.sender, event.client) == (recipient, "ok-sender@sink.test", "localhost[127.0.0.1]")
    assert (event.code, event.dsn) == (code, dsn)
    assert event.reply is not None
    assert event.reply.startswith(f"{code} {dsn} <{recipient}>: Recipient address rejected: ")
    assert event.reply.endswith(words)


def test_queue_id_reject_with_fake_status_in_reply() -> None:
    line = fixture_line("reject: RCPT", "reject-me1@sink.test")
    event = parse_one(line)
    assert event.queue_id == qid_of(line) != "NOQUEUE"
    assert (event.code, event.dsn, event.recipient) == (554, "5.7.1", "reject-me1@sink.test")
    assert event.reply is not None and event.reply.endswith("Policy says no (status=sent dsn=2.0.0)")
    assert event.result is None


def test_postscreen_reject_captured() -> None:
    event = parse_one(fixture_line("postfix/postscreen[", "NOQUEUE: reject:"))
    assert (event.kind, event.queue_id) == (EventKind.REJECTED, "")
    assert event.client is not None and event.client.startswith("[127.0.0.2]:")
    assert (event.code, event.dsn, event.reply) == (550, "5.3.2", "550 5.3.2 Service currently unavailable")
    assert (event.sender, event.recipient) == ("ok-sender@sink.test", "ok9@sink.test")


def test_postscreen_dnsbl_reject_documented_format() -> None:
    line = (
        "Nov 27 09:00:01 mx postfix/postscreen[77]: NOQUEUE: reject: RCPT from [203.0.113.5]:51234: 550 5.7.1 "
        "Service unavailable; client [203.0.113.5] blocked using zen.spamhaus.org; from=<spam@example.biz>, "
        "to=<bob@example.org>, proto=ESMTP, helo=<spammer.example.biz>"
    )
    event = parse_one(line)
    assert event.kind is EventKind.REJECTED
    assert (event.sender, event.recipient, event.client) == (
        "spam@example.biz",
        "bob@example.org",
        "[203.0.113.5]:51234",
    )
    assert (event.code, event.dsn) == (550, "5.7.1")
    assert event.reply == "550 5.7.1 Service unavailable; client [203.0.113.5] blocked using zen.spamhaus.org"


def test_mail_stage_reject_without_recipient() -> None:
    line = (
        "Nov 27 09:00:01 mx postfix/smtpd[5]: NOQUEUE: reject: MAIL from x[192.0.2.1]: 553 5.7.1 <a@b>: "
        "Sender address rejected: not logged in; from=<a@b> proto=ESMTP helo=<x>"
    )
    event = parse_one(line)
    assert (event.sender, event.recipient, event.code) == ("a@b", None, 553)


@pytest.mark.parametrize(
    ("log", "needle", "kind"),
    [
        ("delivery.log", "sender non-delivery notification: ", NoticeKind.NON_DELIVERY),
        ("expiry.log", "sender delay notification: ", NoticeKind.DELAY),
    ],
)
def test_bounce_notices_link_original_to_notice(log: str, needle: str, kind: NoticeKind) -> None:
    line = fixture_line(needle, log=log)
    event = parse_one(line)
    assert event.kind is EventKind.NOTICE
    assert event.queue_id == qid_of(line)
    assert event.related_queue_id == line.rsplit(": ", 1)[1]
    assert event.notice_kind is kind
    # The notice's own queue id then appears as a message from <>.
    assert f"{event.related_queue_id}: from=<>, size=" in (FIXTURES / log).read_text()


def test_success_notice_documented_format() -> None:
    event = parse_one(
        "Nov 27 09:00:01 mx postfix/bounce[9]: 4F2A1B3C4D: sender delivery status notification: 5B3C2D1E0F"
    )
    assert (event.queue_id, event.related_queue_id, event.notice_kind) == (
        "4F2A1B3C4D",
        "5B3C2D1E0F",
        NoticeKind.SUCCESS,
    )


def test_postsuper_removed_is_a_deletion_by_an_administrator() -> None:
    event = parse_one("Nov 27 09:00:01 mx postfix/postsuper[9]: 4F2A1B3C4D: removed")
    assert (event.kind, event.queue_id) == (EventKind.DELETED, "4F2A1B3C4D")


# -- documented formats: long ids, dovecot lmtp, other envelopes ---------------------


def test_long_queue_id_lmtp_to_dovecot() -> None:
    line = (
        "Nov 27 09:00:01 mx postfix/lmtp[4]: 4ZbQ1x2yTRzB5Wj: to=<bob@example.org>, orig_to=<b@example.org>, "
        "relay=mail.example.org[private/dovecot-lmtp], delay=0.05, delays=0.01/0.01/0.01/0.02, dsn=2.0.0, "
        "status=sent (250 2.0.0 <bob@example.org> Ok: 12345 Saved)"
    )
    event = parse_one(line)
    assert (event.queue_id, event.recipient, event.orig_recipient) == (
        "4ZbQ1x2yTRzB5Wj",
        "bob@example.org",
        "b@example.org",
    )
    assert (event.relay, event.code, event.delay) == ("mail.example.org[private/dovecot-lmtp]", 250, 0.05)


def test_queue_id_shapes() -> None:
    assert is_queue_id("4F2A1B3C4D") and is_queue_id("4ZbQ1x2yTRzB5Wj")
    assert not is_queue_id("NOQ") and not is_queue_id("4F2A-1B3C") and not is_queue_id("ÄÖÜÄÖÜ")


def test_rfc3339_envelope() -> None:
    line = fixture_line("to=<ok1@sink.test>", "status=sent")
    iso = "2026-11-27T10:48:02.250000+01:00 " + line[16:]
    event = parse_one(iso)
    assert event.time == datetime(2026, 11, 27, 9, 48, 2, 250000, tzinfo=UTC).timestamp()
    assert (event.recipient, event.result, event.host) == ("ok1@sink.test", AttemptResult.SENT, "mx")


@pytest.mark.parametrize(
    "stamp",
    [
        "2026-11-27T10:48:02.250000+01:00",
        "2026-11-27T09:48:02Z",
        "2026-11-27T09:48:02.5Z",
        "2026-11-27T09:48:02",
        "2026-11-27T04:48:02,25-05:00",
        "2026-11-27T10:48:02.123+0100",
        "2026-11-27T10:48:02+01:00",
    ],
)
def test_rfc3339_stamp_forms_agree_with_the_envelope_reader(stamp: str) -> None:
    line = f"{stamp} mx postfix/qmgr[1]: 4F2A1B3C4D: removed"
    expected = EnvelopeParser(tz=UTC).iso_epoch(stamp)
    assert expected is not None
    first, again = new_parser(), new_parser()
    events = [first.parse(line), first.parse(line), again.parse(line)]  # memoised and fresh
    assert all(e is not None and e.time == pytest.approx(expected, abs=1e-6) for e in events)
    assert abs(expected - datetime(2026, 11, 27, 9, 48, 2, tzinfo=UTC).timestamp()) < 1


def test_journald_json_records_of_captured_lines() -> None:
    parser = new_parser()
    plain = new_parser()
    for index, line in enumerate((FIXTURES / "delivery.log").read_text(encoding="utf-8").splitlines()):
        head, _, message = line[16:].partition(": ")
        host, _, tag = head.partition(" ")
        identifier, _, pid = tag.partition("[")
        record = {
            "__REALTIME_TIMESTAMP": str(1_795_000_000_000_000 + index),
            "_HOSTNAME": host,
            "SYSLOG_IDENTIFIER": identifier,
            "SYSLOG_PID": pid.rstrip("]"),
            "MESSAGE": message,
        }
        journal_event = parser.parse(json.dumps(record, ensure_ascii=False))
        expected = plain.parse(line)
        assert (journal_event is None) == (expected is None), line
        if expected is not None and journal_event is not None:
            assert journal_event.time == 1_795_000_000 + index / 1e6
            for name in ("kind", "queue_id", "sender", "recipient", "subject", "result", "dsn", "code", "reply"):
                assert getattr(journal_event, name) == getattr(expected, name), (name, line)
    assert parser.stats.malformed == 0
    assert parser.stats.events == plain.stats.events


def test_year_rollover_and_zone() -> None:
    parser = PostfixParser(tz=UTC, reference_time=datetime(2027, 1, 2, tzinfo=UTC).timestamp())
    event = parser.parse("Dec 31 23:59:59 mx postfix/qmgr[1]: 4F2A1B3C4D: removed")
    assert event is not None and event.time == datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC).timestamp()


# -- what is not ours ------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "Nov 27 09:00:01 mx CRON[123]: (root) CMD (run-parts /etc/cron.hourly)",
        "Nov 27 09:00:01 mx dovecot: lmtp(bob)<1><x>: msgid=<a@b>: saved mail to INBOX",
        "Nov 27 09:00:01 mx postfixadmin/web[1]: 4F2A1B3C4D: to=<a@b>, relay=x, delay=1, delays=1, dsn=2.0.0, "
        "status=sent (ok)",
        "Nov 27 09:00:01 mx sshd[9]: Accepted publickey for root",
    ],
)
def test_foreign_lines(line: str) -> None:
    parser = new_parser()
    assert parser.parse(line) is None
    assert (parser.stats.foreign, parser.stats.ignored, parser.stats.malformed) == (1, 0, 0)


@pytest.mark.parametrize(
    "needle",
    [": connect from ", ": disconnect from ", "statistics: ", "warning: ", "postfix-script[", "master["],
)
def test_ignored_captured_lines(needle: str) -> None:
    logs = "".join(p.read_text() for p in LOGS)
    line = next(line for line in logs.splitlines() if needle in line)
    parser = new_parser()
    assert parser.parse(line) is None
    assert (parser.stats.ignored, parser.stats.malformed, parser.stats.foreign) == (1, 0, 0)


@pytest.mark.parametrize(
    "line",
    [
        "Nov 27 09:00:01 mx postfix/smtp[1]: 4F2A1B3C4D: to=<a@b>, relay=x, delay=soon, status=sent (ok)",
        "Nov 27 09:00:01 mx postfix/qmgr[1]: 4F2A1B3C4D: from=<a@b>, size=big, nrcpt=1 (queue active)",
        "Nov 27 09:00:01 mx postfix/smtpd[1]: NOQUEUE: reject: RCPT without a tail",
        "Nov 27 09:00:01 mx postfix/bounce[1]: 4F2A1B3C4D: sender non-delivery notification: ???",
        "this is not a log line at all",
    ],
)
def test_malformed_lines_are_counted_with_examples(line: str) -> None:
    parser = new_parser()
    assert parser.parse(line) is None
    assert parser.stats.malformed == 1
    assert parser.stats.malformed_examples == [line]


def test_reply_code_helper() -> None:
    assert reply_code("host a[1.2.3.4] said: 550 5.1.1 <bob@x>: no (in reply to RCPT TO command)") == (550, "5.1.1")
    assert reply_code("450 4.7.1 greylisted") == (450, "4.7.1")
    assert reply_code("421-4.7.0 try later") == (421, "4.7.0")
    assert reply_code("Connection refused") == (None, None)


def test_event_field_order_is_what_the_fast_paths_assume() -> None:
    assert tuple(f.name for f in fields(Event))[: len(EVENT_FIELDS)] == EVENT_FIELDS


def test_multiline_remote_reply_as_postfix_joins_it() -> None:
    line = (
        "Nov 27 09:00:01 mx postfix/smtp[3]: 4F2A1B3C4D: to=<x@gmail.com>, relay=gmail-smtp-in.l.google.com"
        "[142.250.1.27]:25, delay=1.1, delays=0.1/0/0.5/0.5, dsn=5.7.26, status=bounced (host "
        "gmail-smtp-in.l.google.com[142.250.1.27] said: 550-5.7.26 Unauthenticated email from example.org is not "
        "accepted 550-5.7.26 due to domain's DMARC policy. 550 5.7.26 DMARC failure - gsmtp (in reply to end of "
        "DATA command))"
    )
    event = parse_one(line)
    assert (event.result, event.dsn, event.code) == (AttemptResult.BOUNCED, "5.7.26", 550)
    assert event.relay == "gmail-smtp-in.l.google.com[142.250.1.27]:25"
    assert event.reply is not None and event.reply.endswith("DMARC failure - gsmtp (in reply to end of DATA command)")


def test_line_start_cache_gives_what_a_fresh_parser_gives() -> None:
    """The per-line-start memo must not outlive the stamp cache, nor apply to hosts containing '['."""
    lines = [
        "Nov 20 10:00:01 mx1 postfix/qmgr[7]: AB12CD34EF: from=<a@example.com>, size=10, nrcpt=1 (queue active)",
        "Nov 20 10:00:01 mx[1] postfix/qmgr[7]: AB12CD34EF: removed",
        "Nov 20 10:00:01 mx1 postfix/qmgr[8]: AB12CD34EF: removed",
    ]
    warm = PostfixParser(tz=UTC, reference_time=1_800_000_000.0)
    for line in lines:
        warm.parse(line)
    for n in range(4101):  # more distinct stamps than the parser keeps: its stamp cache is emptied
        warm.parse(f"Nov 21 {n // 3600 % 24:02d}:{n // 60 % 60:02d}:{n % 60:02d} mx1 postfix/qmgr[7]: X{n}: removed")
    for line in lines:
        fresh = PostfixParser(tz=UTC, reference_time=1_800_000_000.0)
        assert repr(warm.parse(line)) == repr(fresh.parse(line))


@pytest.mark.parametrize(
    "rest",
    [
        "NOQUEUE: reject: VRFY from x[192.0.2.1]: 550 5.1.1 <nobody@example.org>: Recipient address rejected: "
        "User unknown in local recipient table; to=<nobody@example.org> proto=SMTP helo=<x>",
        "NOQUEUE: reject: EHLO from unknown[192.0.2.1]: 504 5.5.2 <bad>: Helo command rejected: need fully-qualified "
        "hostname; proto=SMTP helo=<bad>",
        "NOQUEUE: reject: HELO from unknown[192.0.2.1]: 504 5.5.2 <bad>: Helo command rejected; proto=SMTP helo=<bad>",
        "NOQUEUE: reject: CONNECT from unknown[192.0.2.1]: 554 5.7.1 <unknown[192.0.2.1]>: Client host rejected: "
        "Access denied; proto=SMTP",
        "NOQUEUE: reject: ETRN from x[192.0.2.1]: 554 5.7.1 <x[192.0.2.1]>: Client host rejected: Access denied; "
        "proto=ESMTP helo=<x>",
        "NOQUEUE: reject: CONNECT from [192.0.2.1]:51234: too many connections",
        "NOQUEUE: milter-reject: CONNECT from x[192.0.2.1]: 554 5.7.1 go away; proto=SMTP",
    ],
)
@pytest.mark.parametrize("program", ["postfix/smtpd", "postfix/postscreen", "postfix/submission/smtpd"])
def test_refusals_of_commands_that_carry_no_mail_are_ignored_not_malformed(rest: str, program: str) -> None:
    parser = new_parser()
    assert parser.parse(f"Nov 27 09:00:01 mx {program}[5]: {rest}") is None
    assert (parser.stats.ignored, parser.stats.malformed, parser.stats.events) == (1, 0, 0)


@pytest.mark.parametrize(
    ("rest", "recipient", "code", "client"),
    [
        (
            "NOQUEUE: reject: MAIL from x[192.0.2.1]: 552 5.3.4 Message size exceeds fixed limit; proto=ESMTP helo=<x>",
            None,
            552,
            "x[192.0.2.1]",
        ),
        (
            "NOQUEUE: reject: MAIL from x[192.0.2.1]: 452 4.3.1 Insufficient system storage; helo=<x>",
            None,
            452,
            "x[192.0.2.1]",
        ),
        (
            "NOQUEUE: reject: RCPT from x[192.0.2.1]: 554 5.7.1 <b@example.org>: Relay access denied; "
            "to=<b@example.org> proto=ESMTP helo=<x>",
            "b@example.org",
            554,
            "x[192.0.2.1]",
        ),
    ],
)
def test_mail_stage_refusals_without_a_sender_are_rejections(
    rest: str, recipient: str | None, code: int, client: str
) -> None:
    event = parse_one(f"Nov 27 09:00:01 mx postfix/smtpd[5]: {rest}")
    assert event.kind is EventKind.REJECTED
    assert (event.queue_id, event.sender, event.recipient, event.code, event.client) == (
        "", None, recipient, code, client
    )  # fmt: skip
    assert event.reply is not None and event.reply.startswith(str(code)) and "proto=" not in event.reply


def test_refusal_without_sender_correlates_like_one_with() -> None:
    """The correlator's standalone rejections take a missing recipient (Exim's after-DATA refusals already do)."""
    event = parse_one(
        "Nov 27 09:00:01 mx postfix/smtpd[5]: NOQUEUE: reject: MAIL from x[192.0.2.1]: 552 5.3.4 Message size "
        "exceeds fixed limit; proto=ESMTP helo=<x>"
    )
    correlator = Correlator()
    correlator.feed(event)
    (message,) = correlator.drain()
    (delivery,) = message.deliveries.values()
    assert delivery.last is not None and delivery.last.code == 552
