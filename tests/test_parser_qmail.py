"""qmail-send log parser: one test per line type, both envelopes."""

from __future__ import annotations

import json
from datetime import UTC
from zoneinfo import ZoneInfo

import pytest

from tracktui.model import AttemptResult, EventKind, NoticeKind
from tracktui.parsers.qmail import TAI64_EPOCH, QmailParser, decode_report, report_fields, tai64n_epoch

EPOCH = 1795770001.0
LABEL = f"@{int(EPOCH) + TAI64_EPOCH:016x}{250_000_000:08x}"


@pytest.fixture
def parser() -> QmailParser:
    return QmailParser(tz=UTC, reference_time=EPOCH, default_host="q1")


def parse_one(parser: QmailParser, body: str):
    line = f"{LABEL} {body}"
    event = parser.parse(line)
    assert event is not None, parser.stats
    assert event.line == line
    assert event.mta == "qmail"
    assert event.host == "q1"
    assert event.time == pytest.approx(EPOCH + 0.25)
    return event


def test_tai64n() -> None:
    assert tai64n_epoch("@4000000000000000" + "00000000") == -10.0
    assert tai64n_epoch(f"{int(EPOCH) + TAI64_EPOCH:016x}00000000") == EPOCH
    assert tai64n_epoch("@40000000zzzzzzzz00000000") is None
    assert tai64n_epoch("@4000000000000000ffffffff") is None  # more than 1e9 ns
    assert tai64n_epoch("@4000") is None


def test_new_info_end(parser: QmailParser) -> None:
    event = parse_one(parser, "new msg 3801")
    assert (event.kind, event.queue_id) == (EventKind.QUEUED, "3801")
    event = parse_one(parser, "info msg 3801: bytes 1532 from <alice@example.net> qp 4101 uid 1000")
    assert event.kind is EventKind.ENVELOPE
    assert (event.queue_id, event.sender, event.size) == ("3801", "alice@example.net", 1532)
    assert event.related_queue_id is None
    event = parse_one(parser, "end msg 3801")
    assert (event.kind, event.queue_id) == (EventKind.REMOVED, "3801")


def test_started(parser: QmailParser) -> None:
    event = parse_one(parser, "starting delivery 17: msg 3801 to remote bob@gmail.com")
    assert event.kind is EventKind.STARTED
    assert (event.queue_id, event.recipient, event.delivery_no) == ("3801", "bob@gmail.com", "17")
    event = parse_one(parser, "starting delivery 18: msg 3801 to local carol@example.net")
    assert event.recipient == "carol@example.net"


def test_remote_success_is_decoded(parser: QmailParser) -> None:
    report = "74.125.193.26_accepted_message./Remote_host_said:_250_2.0.0_OK_1414437875_x11si18095722icx.68_-_gsmtp/"
    event = parse_one(parser, f"delivery 17: success: {report}")
    assert event.kind is EventKind.ATTEMPT
    assert event.queue_id == ""
    assert event.delivery_no == "17"
    assert event.result is AttemptResult.SENT
    assert event.relay == "74.125.193.26"
    assert event.reply == (
        "74.125.193.26 accepted message. Remote host said: 250 2.0.0 OK 1414437875 x11si18095722icx.68 - gsmtp"
    )
    assert (event.code, event.dsn) == (250, "2.0.0")


def test_deferral_without_connection(parser: QmailParser) -> None:
    event = parse_one(parser, "delivery 3: deferral: Sorry,_I_wasn't_able_to_establish_an_SMTP_connection._(#4.4.1)/")
    assert event.result is AttemptResult.DEFERRED
    assert event.reply == "Sorry, I wasn't able to establish an SMTP connection. (#4.4.1)"
    assert (event.code, event.dsn, event.relay) == (None, "4.4.1", None)


def test_failure_from_remote(parser: QmailParser) -> None:
    report = "1.2.3.4_does_not_like_recipient./Remote_host_said:_550_5.1.1_<x@y>..._User_unknown/Giving_up_on_1.2.3.4./"
    event = parse_one(parser, f"delivery 4: failure: {report}")
    assert event.result is AttemptResult.BOUNCED
    assert (event.relay, event.code, event.dsn) == ("1.2.3.4", 550, "5.1.1")


def test_failure_after_queue_lifetime_is_expired(parser: QmailParser) -> None:
    report = (
        "Sorry,_I_wasn't_able_to_establish_an_SMTP_connection._(#4.4.1)/"
        "I'm_not_going_to_try_again;_this_message_has_been_in_the_queue_too_long./"
    )
    event = parse_one(parser, f"delivery 5: failure: {report}")
    assert event.result is AttemptResult.EXPIRED
    assert event.dsn == "4.4.1"


def test_local_reports(parser: QmailParser) -> None:
    event = parse_one(parser, "delivery 6: success: did_1+0+0/")
    assert (event.result, event.reply, event.code, event.dsn) == (AttemptResult.SENT, "did 1+0+0", None, None)
    event = parse_one(parser, "delivery 7: failure: Sorry,_no_mailbox_here_by_that_name._(#5.1.1)/")
    assert (event.result, event.dsn) == (AttemptResult.BOUNCED, "5.1.1")


def test_connected_to_relay(parser: QmailParser) -> None:
    event = parse_one(parser, "delivery 8: deferral: Connected_to_192.0.2.9_but_connection_died._(#4.4.2)/")
    assert (event.relay, event.dsn) == ("192.0.2.9", "4.4.2")


def test_bounce_links_the_next_envelope_with_that_qp(parser: QmailParser) -> None:
    notice = parse_one(parser, "bounce msg 3802 qp 4150")
    assert (notice.kind, notice.queue_id, notice.related_queue_id) == (EventKind.NOTICE, "3802", None)
    other = parse_one(parser, "info msg 3900: bytes 10 from <x@y> qp 4150 uid 1")
    assert other.related_queue_id is None  # not a bounce: the sender is not <>
    unrelated = parse_one(parser, "info msg 3901: bytes 10 from <> qp 9999 uid 64011")
    assert unrelated.related_queue_id is None
    bounce = parse_one(parser, "info msg 3803: bytes 3001 from <> qp 4150 uid 64011")
    assert bounce.sender == ""
    assert bounce.related_queue_id == "3802"
    assert bounce.notice_kind is NoticeKind.NON_DELIVERY
    again = parse_one(parser, "info msg 3804: bytes 3001 from <> qp 4150 uid 64011")
    assert again.related_queue_id is None  # the link is used once


def test_qp_map_stays_small(parser: QmailParser) -> None:
    for number in range(5000):
        parser.parse(f"{LABEL} bounce msg {number} qp {100000 + number}")
    assert len(parser._bounces) <= 1024


@pytest.mark.parametrize(
    "body",
    ["status: local 0/10 remote 3/20", "status: exiting", "alert: oh no! lost spawn", "triple bounce: discarding x"],
)
def test_ignored(parser: QmailParser, body: str) -> None:
    assert parser.parse(f"{LABEL} {body}") is None
    assert parser.stats.ignored == 1 and parser.stats.malformed == 0


@pytest.mark.parametrize(
    "body",
    [
        "new msg abc",
        "info msg 1: bytes x from <a> qp 1 uid 1",
        "starting delivery x: msg 1 to remote a@b",
        "starting delivery 1: msg 1 to mars a@b",
        "delivery 1: maybe: x",
    ],
)
def test_malformed(parser: QmailParser, body: str) -> None:
    assert parser.parse(f"{LABEL} {body}") is None
    assert parser.stats.malformed == 1


def test_syslog_envelopes(parser: QmailParser) -> None:
    with_stamp = parser.parse("Nov 27 09:00:01 mx qmail: 1795770001.500000 new msg 12")
    assert with_stamp is not None and with_stamp.host == "mx" and with_stamp.time == EPOCH + 0.5
    without = parser.parse("2026-11-27T09:00:01+00:00 mx2 qmail-send[5]: end msg 12")
    assert without is not None and without.kind is EventKind.REMOVED and without.time == EPOCH
    record = {"MESSAGE": "new msg 13", "SYSLOG_IDENTIFIER": "qmail", "__REALTIME_TIMESTAMP": "1795770001000000"}
    journal = parser.parse(json.dumps(record))
    assert journal is not None and journal.queue_id == "13" and journal.host == "q1"
    assert parser.parse("Nov 27 09:00:01 mx postfix/smtp[1]: x") is None
    assert parser.stats.foreign == 1


def test_helpers() -> None:
    assert decode_report("a_b/c_d/") == "a b c d"
    assert decode_report("") == ""
    assert report_fields("Remote host said: 451 4.3.0 try later") == (None, 451, "4.3.0")
    assert report_fields("2001:db8::1 accepted message. Remote host said: 250 ok") == ("2001:db8::1", 250, None)


# -- other stamps, indimail -------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "epoch"),
    [
        ("2003-05-30 12:34:56.123456500 new msg 123", 1054298096.1234565),
        ("2003-05-30 12:34:56 new msg 123", 1054298096.0),
        ("1054189746.123136 new msg 123", 1054189746.123136),
        ("1054189746 new msg 123", 1054189746.0),
    ],
)
def test_tai64nlocal_and_bare_unix_stamps(line: str, epoch: float) -> None:
    parser = QmailParser(tz=UTC, default_host="h")
    event = parser.parse(line)
    assert event is not None and event.kind is EventKind.QUEUED
    assert (event.queue_id, event.host) == ("123", "h")
    assert abs(event.time - epoch) < 1e-6


def test_tai64nlocal_is_read_in_the_parsers_zone() -> None:
    event = QmailParser(tz=ZoneInfo("Europe/Berlin")).parse("2003-05-30 12:34:56.5 end msg 123")
    assert event is not None and event.time == 1054298096.5 - 2 * 3600


@pytest.mark.parametrize(
    "line",
    [
        "2003-05-30 12:34:5x.1 new msg 1",
        "2003-13-30 12:34:56.1 new msg 1",
        "10541897 new msg 1",
        "1054189746.1.2 new msg 1",
    ],
)
def test_bad_stamps_are_malformed(line: str) -> None:
    parser = QmailParser(tz=UTC)
    assert parser.parse(line) is None
    assert parser.stats.malformed == 1


@pytest.mark.parametrize(
    ("plain", "kind"),
    [
        ("end msg 3801", EventKind.REMOVED),
        ("info msg 3801: bytes 1532 from <a@example.net> qp 4101 uid 1000", EventKind.ENVELOPE),
        ("starting delivery 1: msg 3801 to remote bob@example.org", EventKind.STARTED),
        ("delivery 1: success: did_0+0+1/", EventKind.ATTEMPT),
        ("bounce msg 3801 qp 4102", EventKind.NOTICE),
    ],
)
@pytest.mark.parametrize("queue", ["queue1", "queue12", "slowq"])
def test_indimail_queue_name_is_dropped(plain: str, kind: EventKind, queue: str) -> None:
    stamp = "@400000006b09469b00000000 "
    expected = QmailParser(tz=UTC).parse(stamp + plain)
    got = QmailParser(tz=UTC).parse(f"{stamp}{plain} {queue}")
    assert expected is not None and got is not None and got.kind is kind
    assert (got.queue_id, got.sender, got.recipient, got.reply, got.size) == (
        expected.queue_id, expected.sender, expected.recipient, expected.reply, expected.size
    )  # fmt: skip


def test_indimail_bounce_qp_links_the_notice() -> None:
    parser = QmailParser(tz=UTC)
    parser.parse("@400000006b09469b00000000 bounce msg 3801 qp 4102 queue1")
    event = parser.parse("@400000006b09469b00000000 info msg 3802: bytes 2000 from <> qp 4102 uid 1001 queue1")
    assert event is not None and event.related_queue_id == "3801"
