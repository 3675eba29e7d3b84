"""Exim main log parser: one test per line type, envelope and id form."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from tracktui.model import AttemptResult, EventKind, NoticeKind
from tracktui.parsers.exim import EximParser, duration, reply_codes, unescape

OLD_ID = "1tGxyz-0001AB-Cd"
NEW_ID = "1tGxyz-00000001AbC-1234"
STAMP = "2026-11-27 09:00:01"
EPOCH = datetime(2026, 11, 27, 9, 0, 1, tzinfo=UTC).timestamp()


@pytest.fixture
def parser() -> EximParser:
    return EximParser(tz=UTC, reference_time=EPOCH, default_host="mx1")


def parse_one(parser: EximParser, line: str):
    event = parser.parse(line)
    assert event is not None, parser.stats
    assert event.line == line
    assert event.mta == "exim"
    return event


@pytest.mark.parametrize("queue_id", [OLD_ID, NEW_ID])
def test_arrival(parser: EximParser, queue_id: str) -> None:
    line = (
        f"{STAMP} {queue_id} <= alice@example.com H=client.example (helo.example) [192.0.2.7]:40123 "
        'P=esmtp S=1234 id=abc.123@example.com T="Quarterly \\"report\\"" for bob@example.org carol@example.org'
    )
    event = parse_one(parser, line)
    assert event.kind is EventKind.ENVELOPE
    assert event.queue_id == queue_id
    assert event.time == EPOCH
    assert event.host == "mx1"
    assert event.sender == "alice@example.com"
    assert event.size == 1234
    assert event.message_id == "abc.123@example.com"
    assert event.subject == 'Quarterly "report"'
    assert event.client == "client.example[192.0.2.7]"
    assert event.related_queue_id is None and event.notice_kind is None


def test_arrival_local_without_subject(parser: EximParser) -> None:
    event = parse_one(parser, f"{STAMP} {OLD_ID} <= root@mx1.example U=root P=local S=321")
    assert event.sender == "root@mx1.example"
    assert event.size == 321
    assert event.subject is None
    assert event.client is None


def test_subject_imitating_fields_stays_in_subject(parser: EximParser) -> None:
    subject = 'x\\" S=9 id=fake@x => bob@evil C=\\"550 5.1.1 no\\" T=\\"y'
    event = parse_one(parser, f'{STAMP} {OLD_ID} <= a@b.example H=[192.0.2.1] P=smtp S=77 id=real@x T="{subject}"')
    assert event.size == 77
    assert event.message_id == "real@x"
    assert event.subject == 'x" S=9 id=fake@x => bob@evil C="550 5.1.1 no" T="y'


def test_subject_cut_inside_a_character(parser: EximParser) -> None:
    subject = "x" * 99 + "\\303"  # Exim logged 100 bytes: the second byte of "ü" was cut off
    event = parse_one(parser, f'{STAMP} {OLD_ID} <= a@b.example P=local S=1 T="{subject}"')
    assert event.subject == "x" * 99


def test_subject_octal_utf8_escapes(parser: EximParser) -> None:
    event = parse_one(
        parser, f'{STAMP} {OLD_ID} <= a@b.example P=local S=1 T="Gr\\303\\274\\303\\237e \\342\\230\\203"'
    )
    assert event.subject == "Grüße ☃"


@pytest.mark.parametrize(
    ("subject", "kind"),
    [
        ("Mail delivery failed: returning message to sender", NoticeKind.NON_DELIVERY),
        (f"Warning: message {OLD_ID} delayed 24 hours", NoticeKind.DELAY),
    ],
)
def test_bounce_and_delay_notices(parser: EximParser, subject: str, kind: NoticeKind) -> None:
    line = f'{STAMP} 1tGxz0-0001AC-Ef <= <> R={OLD_ID} U=Debian-exim P=local S=2345 T="{subject}" for a@b.example'
    event = parse_one(parser, line)
    assert event.kind is EventKind.ENVELOPE
    assert event.queue_id == "1tGxz0-0001AC-Ef"
    assert event.sender == ""
    assert event.related_queue_id == OLD_ID
    assert event.notice_kind is kind


@pytest.mark.parametrize("flag", ["=>", "->", ">>"])
def test_delivered(parser: EximParser, flag: str) -> None:
    line = (
        f"{STAMP} {OLD_ID} {flag} bob@example.org F=<alice@example.com> R=dnslookup T=remote_smtp S=1300 "
        'H=mx.example.org [198.51.100.5]:25 X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=yes DN="/CN=mx.example.org" '
        'C="250 2.0.0 OK 1764234001 x11si1 - gsmtp" QT=1m2s DT=1s'
    )
    event = parse_one(parser, line)
    assert event.kind is EventKind.ATTEMPT
    assert event.result is AttemptResult.SENT
    assert event.recipient == "bob@example.org"
    assert event.orig_recipient is None
    assert event.relay == "mx.example.org[198.51.100.5]:25"
    assert event.reply == "250 2.0.0 OK 1764234001 x11si1 - gsmtp"
    assert (event.code, event.dsn) == (250, "2.0.0")
    assert event.delay == 62.0


def test_delivered_with_original_and_parent(parser: EximParser) -> None:
    event = parse_one(
        parser, f"{STAMP} {NEW_ID} => real@example.org (list@example.org) <alias@example.org> R=r T=remote_smtp"
    )
    assert event.recipient == "real@example.org"
    assert event.orig_recipient == "alias@example.org"
    assert event.relay is None and event.code is None


def test_local_delivery_uses_full_address(parser: EximParser) -> None:
    event = parse_one(parser, f"{STAMP} {OLD_ID} => bob <bob@example.org> R=local_user T=mail_spool DT=0s")
    assert event.recipient == "bob@example.org"
    assert event.orig_recipient is None
    assert event.delay == 0.0


def test_suppressed_delivery_is_sent(parser: EximParser) -> None:
    event = parse_one(parser, f"{STAMP} {OLD_ID} *> bob@example.org R=dnslookup T=remote_smtp")
    assert event.result is AttemptResult.SENT
    assert event.reply == "delivery suppressed (-N)"


def test_deferred_4xx(parser: EximParser) -> None:
    line = (
        f"{STAMP} {OLD_ID} == bob@x.org R=dnslookup T=remote_smtp defer (-44) H=mx.x.org [1.2.3.4]: "
        "SMTP error from remote mail server after RCPT TO:<bob@x.org>: 452 4.2.2 Mailbox full"
    )
    event = parse_one(parser, line)
    assert event.kind is EventKind.ATTEMPT
    assert event.result is AttemptResult.DEFERRED
    assert event.recipient == "bob@x.org"
    assert event.relay == "mx.x.org[1.2.3.4]"
    assert (event.code, event.dsn) == (452, "4.2.2")
    assert event.reply == "SMTP error from remote mail server after RCPT TO:<bob@x.org>: 452 4.2.2 Mailbox full"


def test_deferred_connection_refused(parser: EximParser) -> None:
    event = parse_one(
        parser, f"{STAMP} {OLD_ID} == bob@x.org R=smarthost T=remote_smtp defer (111): Connection refused"
    )
    assert event.result is AttemptResult.DEFERRED
    assert event.reply == "Connection refused"
    assert event.code is None and event.dsn is None and event.relay is None


def test_retry_time_not_reached(parser: EximParser) -> None:
    routing = f"{STAMP} {OLD_ID} == bob@x.org routing defer (-52) DT=0s: retry time not reached"
    assert parser.parse(routing) is None
    any_host = (
        f"{STAMP} {OLD_ID} == bob@x.org R=r T=t defer (-54) DT=0s: retry time not reached for any host for 'x.org'"
    )
    first = parser.parse(any_host)
    assert first is not None and first.result is AttemptResult.DEFERRED  # may be the only line of the message
    assert first.reply == "retry time not reached for any host for 'x.org'"
    assert parser.parse(f"{STAMP} {OLD_ID} == bob@x.org R=r T=t defer (111): Connection refused DT=0s") is not None
    assert parser.parse(any_host) is None  # a real attempt was seen: keep its reason
    assert parser.stats.ignored == 2


def test_real_4_96_layouts(parser: EximParser) -> None:
    silent = parse_one(
        parser,
        f"{STAMP} {OLD_ID} == user@silent.test R=silent_route T=smtp_silent defer (110): Connection timed out "
        "H=127.0.0.1 [127.0.0.1]:2526 DT=4s: SMTP timeout after initial connection",
    )
    assert silent.reply == "Connection timed out: SMTP timeout after initial connection"
    assert (silent.relay, silent.delay) == ("127.0.0.1[127.0.0.1]:2526", 4.0)
    refused = parse_one(parser, f"{STAMP} {OLD_ID} == u@closed.test R=c T=t defer (111): Connection refused DT=0s")
    assert (refused.reply, refused.delay) == ("Connection refused", 0.0)
    failed = parse_one(
        parser,
        f"{STAMP} {OLD_ID} ** n@sink.test F=<s@c.test> P=<s@c.test> R=sink_route T=smtp_sink H=127.0.0.1 "
        "[127.0.0.1]:2525: SMTP error from remote mail server after RCPT TO:<n@sink.test>: "
        "550 5.1.1 no such user DT=1s",
    )
    assert failed.reply == "SMTP error from remote mail server after RCPT TO:<n@sink.test>: 550 5.1.1 no such user"
    assert (failed.relay, failed.delay, failed.code, failed.dsn) == ("127.0.0.1[127.0.0.1]:2525", 1.0, 550, "5.1.1")


def test_expiry_carries_the_last_deferral(parser: EximParser) -> None:
    parser.parse(
        f"{STAMP} {OLD_ID} == f@x.test R=r T=t defer (-44) H=mx [192.0.2.1]:25 DT=0s: SMTP error from remote mail "
        "server after RCPT TO:<f@x.test>: 452 4.2.2 mailbox full"
    )
    expired = parse_one(parser, f"{STAMP} {OLD_ID} ** f@x.test: retry timeout exceeded")
    assert expired.result is AttemptResult.EXPIRED
    assert (expired.code, expired.dsn, expired.relay) == (452, "4.2.2", "mx[192.0.2.1]:25")
    assert expired.reply is not None and expired.reply.startswith("retry timeout exceeded (last error: SMTP error")
    other = parse_one(parser, f"{STAMP} {NEW_ID} ** g@x.test: retry timeout exceeded")
    assert (other.code, other.dsn, other.reply) == (None, None, "retry timeout exceeded")


def test_failed_5xx_multiline(parser: EximParser) -> None:
    line = (
        f"{STAMP} {OLD_ID} ** bob@x.org <alias@x.org> R=dnslookup T=remote_smtp H=mx.x.org [1.2.3.4]: "
        "SMTP error from remote mail server after RCPT TO:<bob@x.org>: 550-5.1.1 The email account does not exist\\n"
        "550 5.1.1 Please try again"
    )
    event = parse_one(parser, line)
    assert event.result is AttemptResult.BOUNCED
    assert event.orig_recipient == "alias@x.org"
    assert (event.code, event.dsn) == (550, "5.1.1")


def test_failed_old_host_format(parser: EximParser) -> None:
    line = (
        f"{STAMP} {OLD_ID} ** bob@x.org R=dnslookup T=remote_smtp: SMTP error from remote mailer after "
        "RCPT TO:<bob@x.org>: host mx.x.org [1.2.3.4]: 554 5.7.1 blocked"
    )
    event = parse_one(parser, line)
    assert event.relay == "mx.x.org[1.2.3.4]"
    assert (event.code, event.dsn) == (554, "5.7.1")


def test_failed_unrouteable(parser: EximParser) -> None:
    event = parse_one(parser, f"{STAMP} {OLD_ID} ** nobody@nowhere.invalid: Unrouteable address")
    assert event.recipient == "nobody@nowhere.invalid"
    assert event.result is AttemptResult.BOUNCED
    assert event.reply == "Unrouteable address"


@pytest.mark.parametrize(
    "reason",
    [
        "retry timeout exceeded",
        "SMTP error from remote mail server after RCPT TO:<b@x.org>: 452 4.2.2 full: retry timeout exceeded",
        "all hosts for 'x.org' have been failing for a long time (and retry time not reached)",
    ],
)
def test_expired(parser: EximParser, reason: str) -> None:
    event = parse_one(parser, f"{STAMP} {OLD_ID} ** b@x.org R=dnslookup T=remote_smtp: {reason}")
    assert event.result is AttemptResult.EXPIRED


def test_5xx_mentioning_retry_timeout_is_still_bounced(parser: EximParser) -> None:
    line = (
        f"{STAMP} {OLD_ID} ** b@x.org R=r T=t: SMTP error from remote mail server after RCPT TO:<b@x.org>: "
        "550 5.1.1 retry timeout exceeded"
    )
    assert parse_one(parser, line).result is AttemptResult.BOUNCED


def test_completed(parser: EximParser) -> None:
    event = parse_one(parser, f"{STAMP} {NEW_ID} Completed QT=3s")
    assert event.kind is EventKind.REMOVED
    assert event.queue_id == NEW_ID


def test_rejected_rcpt(parser: EximParser) -> None:
    line = (
        f"{STAMP} H=(evil.example) [203.0.113.9]:5123 F=<spam@evil.example> "
        "rejected RCPT <bob@ours.example>: relay not permitted"
    )
    event = parse_one(parser, line)
    assert event.kind is EventKind.REJECTED
    assert event.queue_id == ""
    assert event.sender == "spam@evil.example"
    assert event.recipient == "bob@ours.example"
    assert event.client == "unknown[203.0.113.9]"
    assert event.reply == "relay not permitted"
    assert event.result is AttemptResult.BOUNCED
    assert event.code is None and event.dsn is None


def test_temporarily_rejected_with_codes(parser: EximParser) -> None:
    line = f"{STAMP} H=c.example [203.0.113.9] F=<> temporarily rejected RCPT <b@o.example>: 451 4.7.1 greylisted"
    event = parse_one(parser, line)
    assert event.sender == ""
    assert event.client == "c.example[203.0.113.9]"
    assert event.result is AttemptResult.DEFERRED
    assert (event.code, event.dsn) == (451, "4.7.1")


def test_remote_text_imitating_a_rejection_is_not_one(parser: EximParser) -> None:
    line = (
        f"{STAMP} {OLD_ID} H=mx.example [192.0.2.1]: SMTP error from remote mail server after RCPT TO:<a@b>: "
        "550 5.7.1 H=(x) [1.1.1.1] F=<x@y> rejected RCPT <evil@example.org>: fake"
    )
    assert parser.parse(line) is None
    assert parser.stats.ignored == 1


def test_rejected_after_data(parser: EximParser) -> None:
    line = f"{STAMP} {OLD_ID} H=c.example [203.0.113.9] F=<a@c.example> rejected after DATA: spam score too high"
    event = parse_one(parser, line)
    assert event.kind is EventKind.REJECTED
    assert event.queue_id == ""
    assert event.recipient is None
    assert event.sender == "a@c.example"
    assert event.reply == "spam score too high"


@pytest.mark.parametrize(
    ("text", "sender", "client", "result", "reply"),
    [
        # receive.c: "F=" sender (no <>), host info, "[temporarily ]rejected by local_scan(): " text
        (
            "F=a@c.example H=c.example [203.0.113.9]:4242 rejected by local_scan(): Spamhaus ZEN",
            "a@c.example", "c.example[203.0.113.9]", AttemptResult.BOUNCED, "Spamhaus ZEN",
        ),
        (
            "F=<a@c.example> H=(helo) [203.0.113.9] temporarily rejected by local_scan(): Temporary local problem",
            "a@c.example", "unknown[203.0.113.9]", AttemptResult.DEFERRED, "Temporary local problem",
        ),
        ("F=<> H=c.example [203.0.113.9] rejected by local_scan(): no", "", "c.example[203.0.113.9]",
         AttemptResult.BOUNCED, "no"),
        ("F=a@c.example U=someone P=local rejected by local_scan(): not from here", "a@c.example", None,
         AttemptResult.BOUNCED, "not from here"),
    ],
)
@pytest.mark.parametrize("with_id", [True, False])
def test_rejected_by_local_scan_reads_like_after_data(
    parser: EximParser, text: str, sender: str, client: str | None, result: AttemptResult, reply: str, with_id: bool
) -> None:
    line = f"{STAMP} {OLD_ID} {text}" if with_id else f"{STAMP} {text}"
    event = parse_one(parser, line)
    assert event.kind is EventKind.REJECTED
    assert (event.queue_id, event.recipient, event.sender, event.result, event.reply) == (
        "", None, sender, result, reply
    )  # fmt: skip
    assert event.client == client


def test_local_scan_text_in_a_remote_reply_is_no_rejection(parser: EximParser) -> None:
    line = (
        f"{STAMP} {OLD_ID} H=mx.example [192.0.2.1]: SMTP error from remote mail server after end of data: "
        "550 F=<x@y> rejected by local_scan(): fake"
    )
    assert parser.parse(line) is None
    assert parser.stats.ignored == 1


@pytest.mark.parametrize(
    "body",
    [
        f"{OLD_ID} Frozen (delivery error message)",
        f"{OLD_ID} Message is frozen",
        "Start queue run: pid=1234",
        "SMTP connection from [127.0.0.1]:4000 (TCP/IP connection count = 1)",
        "exim 4.96 daemon started: pid=99, no queue runs, listening for SMTP on [127.0.0.1]:25",
    ],
)
def test_ignored_lines(parser: EximParser, body: str) -> None:
    assert parser.parse(f"{STAMP} {body}") is None
    assert parser.stats.ignored == 1
    assert parser.stats.malformed == 0


def test_stamp_variants(parser: EximParser) -> None:
    event = parse_one(parser, f"{STAMP}.123 +0100 [4567] {OLD_ID} Completed")
    assert event.time == pytest.approx(EPOCH - 3600 + 0.123)
    event = parse_one(parser, f"{STAMP} -0530 {OLD_ID} Completed")
    assert event.time == EPOCH + 5.5 * 3600
    event = parse_one(parser, f"{STAMP} [12] {OLD_ID} Completed")
    assert event.time == EPOCH


def test_configured_zone_applies_to_plain_stamps() -> None:
    zone = timezone(timedelta(hours=2))
    event = EximParser(tz=zone).parse(f"{STAMP} {OLD_ID} Completed")
    assert event is not None
    assert event.time == EPOCH - 7200


def test_syslog_envelopes(parser: EximParser) -> None:
    trad = parser.parse(f'Nov 27 09:00:01 mail2 exim[123]: {STAMP} {OLD_ID} => b@x.org R=r T=t C="250 ok"')
    assert trad is not None and trad.host == "mail2" and trad.time == EPOCH and trad.code == 250
    iso = parser.parse(f"2026-11-27T10:00:01.5+01:00 mail3 exim4[9]: {OLD_ID} Completed")
    assert iso is not None and iso.host == "mail3" and iso.time == EPOCH + 0.5
    record = {
        "MESSAGE": f"{OLD_ID} == b@x.org R=r T=t defer (111): Connection refused",
        "SYSLOG_IDENTIFIER": "exim",
        "__REALTIME_TIMESTAMP": str(int(EPOCH * 1_000_000)),
        "_HOSTNAME": "mail4",
    }
    journal = parser.parse(json.dumps(record))
    assert journal is not None and journal.host == "mail4" and journal.result is AttemptResult.DEFERRED


def test_syslog_continuations(parser: EximParser) -> None:
    first = parser.parse(f'Nov 27 09:00:01 m exim[1]: [1\\2] {OLD_ID} <= a@b.example P=local S=5 T="long subj')
    assert first is not None and first.subject == "long subj" and first.size == 5
    assert parser.parse('Nov 27 09:00:01 m exim[1]: [2\\2] ect continues" for x@y') is None


def test_foreign_and_malformed_are_counted(parser: EximParser) -> None:
    assert parser.parse("Nov 27 09:00:01 m postfix/qmgr[1]: ABC: removed") is None
    assert parser.parse("Nov 27 09:00:01 m sshd[1]: Accepted publickey") is None
    assert parser.parse("complete garbage") is None
    assert parser.parse("2026-13-45 99:99:99 1tGxyz-0001AB-Cd Completed") is None
    assert parser.parse("") is None
    stats = parser.stats
    assert (stats.lines, stats.foreign, stats.malformed, stats.events) == (5, 2, 2, 0)
    assert stats.malformed_examples[0] == "complete garbage"


def test_helpers() -> None:
    assert reply_codes("250-2.0.0 ok") == (250, "2.0.0")
    assert reply_codes("550 5.1.10 x") == (550, "5.1.10")
    assert reply_codes("550 4.1.1 mismatched class") == (550, None)
    assert reply_codes("250ok") == (None, None)
    assert reply_codes("Connection refused") == (None, None)
    assert duration("1d2h3m4s") == 93784.0
    assert duration("0.25s") == 0.25
    assert duration("3x") is None
    assert unescape('"a\\\\b\\"c\\tq"') == 'a\\b"c\tq'
    assert unescape('"unterminated') == "unterminated"
