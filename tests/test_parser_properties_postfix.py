"""Property tests: whatever the line, the Postfix parser never raises and never invents a field.

Every generated line is also checked against the counting invariant: each
line lands in exactly one of events, ignored, foreign, malformed.
"""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tracktui.model import AttemptResult, Event, EventKind
from tracktui.parsers.headers import decode_subject
from tracktui.parsers.postfix import PostfixParser

REFERENCE = datetime(2026, 12, 1, tzinfo=UTC).timestamp()
PREFIX = "Nov 27 09:00:01 mx "
FAKE_FIELDS = [
    "status=bounced dsn=5.1.1",
    "to=<evil@x>",
    ", relay=evil[6.6.6.6]:25, delay=9, delays=1/1/1/1, dsn=5.7.1, status=bounced (",
    "; from=<spoof@x> to=<evil@x> proto=ESMTP helo=<h>",
    " from evil[6.6.6.6]; from=<spoof@x>",
    "(status=sent)",
    ")",
    "[/deferred]",
    "[@click=app.quit]",
    "=?UTF-8?B?R3LDvMOfZQ==?=",
    "NOQUEUE: reject: RCPT from",
    "sender non-delivery notification: ABCDEF1234",
    "\ufffd",
    "\x00",
]

PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
"""Per-test settings (not a global profile: other modules' property tests keep theirs)."""

hostile_text = st.lists(
    st.one_of(st.sampled_from(FAKE_FIELDS), st.text(min_size=0, max_size=12)), min_size=0, max_size=8
).map("".join)
"""Text built from pieces that imitate log fields, interleaved with arbitrary characters."""


def check_counts(parser: PostfixParser, lines: int) -> None:
    stats = parser.stats
    assert stats.lines == lines
    assert stats.events + stats.ignored + stats.foreign + stats.malformed == lines
    assert len(stats.malformed_examples) <= 5


def new_parser() -> PostfixParser:
    return PostfixParser(tz=UTC, reference_time=REFERENCE)


@PROPERTY
@given(st.text(max_size=300))
@example("")
@example("{")
@example('{"MESSAGE": "x", "__REALTIME_TIMESTAMP": "nan", "SYSLOG_IDENTIFIER": "postfix/smtp"}')
@example("2026-13-45T99:99:99+99:00 mx postfix/smtp[1]: 4F2A1B3C4D: removed")
@example("Feb 30 25:61:61 mx postfix/qmgr[1]: 4F2A1B3C4D: removed")
def test_random_text_never_raises(line: str) -> None:
    parser = new_parser()
    event = parser.parse(line)
    assert event is None or isinstance(event, Event)
    check_counts(parser, 1)


@PROPERTY
@given(st.binary(max_size=300))
def test_random_bytes_decoded_with_replacement(data: bytes) -> None:
    parser = new_parser()
    for line in data.decode("utf-8", errors="replace").splitlines() or [""]:
        parser.parse(line)
    check_counts(parser, len(data.decode("utf-8", errors="replace").splitlines()) or 1)


@PROPERTY
@given(
    st.sampled_from(["smtp", "lmtp", "qmgr", "cleanup", "smtpd", "pickup", "bounce", "postscreen", "local", "error"]),
    hostile_text,
)
def test_postfix_program_with_arbitrary_message_never_raises(daemon: str, message: str) -> None:
    parser = new_parser()
    for line in (f"{PREFIX}postfix/{daemon}[1]: {message}", f"{PREFIX}postfix/{daemon}[1]: 4F2A1B3C4D: {message}"):
        parser.parse(line)
    check_counts(parser, 2)


def test_one_megabyte_lines() -> None:
    parser = new_parser()
    big = "x" * 1_000_000
    lines = [
        big,
        PREFIX + "postfix/smtp[1]: 4F2A1B3C4D: to=<" + big,
        PREFIX + f"postfix/cleanup[1]: 4F2A1B3C4D: info: header Subject: {big} from local; from=<a@b> to=<c@d>",
        PREFIX + "postfix/smtpd[1]: NOQUEUE: reject: RCPT from x[1.2.3.4]: 550 " + big,
    ]
    events = [parser.parse(line) for line in lines]
    check_counts(parser, len(lines))
    assert events[2] is not None and events[2].subject == big


@PROPERTY
@given(hostile_text)
@example("status=bounced dsn=5.1.1")
@example("x from evil[6.6.6.6]; from=<spoof@x> to=<evil@x> proto=ESMTP helo=<h>")
def test_subject_is_taken_verbatim(subject: str) -> None:
    """A header line's subject is the header text, RFC 2047 words decoded; nothing in it changes other fields."""
    if "\n" in subject or "\r" in subject:
        subject = subject.replace("\n", " ").replace("\r", " ")
    line = (
        f"{PREFIX}postfix/cleanup[7]: 4F2A1B3C4D: info: header Subject: {subject} from localhost[127.0.0.1]; "
        "from=<alice@example.org> to=<bob@example.net> proto=ESMTP helo=<client.example.org>"
    )
    parser = new_parser()
    event = parser.parse(line)
    assert event is not None
    assert event.kind is EventKind.SUBJECT
    assert event.subject == (decode_subject(subject) if "=?" in subject else subject)
    assert (event.queue_id, event.sender, event.client) == ("4F2A1B3C4D", "alice@example.org", "localhost[127.0.0.1]")
    assert event.result is None and event.dsn is None and event.code is None


@PROPERTY
@given(hostile_text, st.sampled_from(["sent", "deferred", "bounced"]))
@example("(status=sent dsn=2.0.0) ok", "bounced")
@example("250 2.0.0 ok) status=bounced (", "deferred")
def test_reply_text_never_changes_the_status(text: str, status: str) -> None:
    """The status, dsn and recipient come from their positions; the reply is the parenthesised rest."""
    line = (
        f"{PREFIX}postfix/smtp[9]: 4F2A1B3C4D: to=<bob@example.net>, relay=mx.example.net[192.0.2.1]:25, "
        f"delay=1.5, delays=0.1/0/0.4/1, dsn=4.7.1, status={status} ({text})"
    )
    parser = new_parser()
    event = parser.parse(line)
    assert event is not None
    assert event.kind is EventKind.ATTEMPT
    assert event.result is AttemptResult(status)
    assert (event.recipient, event.dsn, event.delay) == ("bob@example.net", "4.7.1", 1.5)
    assert event.relay == "mx.example.net[192.0.2.1]:25"
    assert event.reply == (text or None)


@PROPERTY
@given(hostile_text)
def test_reject_reply_never_changes_envelope_fields(text: str) -> None:
    text = text.replace("; from=<", "; from <")  # the one separator Postfix itself cannot escape
    line = (
        f"{PREFIX}postfix/smtpd[3]: NOQUEUE: reject: RCPT from x.example[192.0.2.7]: 554 5.7.1 {text}; "
        "from=<alice@example.org> to=<bob@example.net> proto=ESMTP helo=<x.example>"
    )
    parser = new_parser()
    event = parser.parse(line)
    assert event is not None and event.kind is EventKind.REJECTED
    assert (event.sender, event.recipient, event.client) == (
        "alice@example.org",
        "bob@example.net",
        "x.example[192.0.2.7]",
    )
    assert (event.code, event.dsn) == (554, "5.7.1")
    assert event.reply == f"554 5.7.1 {text}"
    assert event.queue_id == ""


@PROPERTY
@given(st.lists(hostile_text, min_size=1, max_size=20))
def test_mixed_stream_counts_every_line(messages: list[str]) -> None:
    parser = new_parser()
    programs = ["postfix/smtp", "CRON", "postfix-out/qmgr", "postfix/submission/smtpd", "sshd", "postfix/cleanup"]
    lines = [f"{PREFIX}{programs[i % len(programs)]}[{i}]: {m}" for i, m in enumerate(messages)]
    for line in lines:
        parser.parse(line)
    check_counts(parser, len(lines))
    assert parser.stats.foreign >= sum(1 for i in range(len(lines)) if programs[i % len(programs)] in ("CRON", "sshd"))
