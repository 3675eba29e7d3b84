"""Property tests: Exim and qmail parsers never raise and never put data into the wrong field."""

from __future__ import annotations

import time
from datetime import UTC

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracktui.model import AttemptResult, EventKind
from tracktui.parsers.exim import EximParser
from tracktui.parsers.qmail import TAI64_EPOCH, QmailParser

STAMP = "2026-11-27 09:00:01"
QID = "1tGxyz-0001AB-Cd"
LABEL = f"@{1795770001 + TAI64_EPOCH:016x}00000000"
FIELD_LIKE = st.sampled_from(
    [
        " => bob@evil.test",
        ' C="550 5.1.1 fake"',
        " S=999999",
        " id=fake@evil",
        ' T="fake"',
        " R=1tGzzz-0001AB-Cd",
        " status=bounced dsn=5.1.1",
        " H=evil [6.6.6.6]",
        "\\",
        '"',
        "\n",
        "[/deferred]",
        " QT=9d",
        "Completed",
        " ** x@y: retry timeout exceeded",
    ]
)
HOSTILE_TEXT = st.lists(st.one_of(st.text(max_size=20), FIELD_LIKE), max_size=12).map("".join)
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def exim_quote(text: str) -> str:
    """Quote ``text`` the way Exim logs ``T=`` and ``C=`` (print_topbitchars false)."""
    out = ['"']
    for byte in text.encode("utf-8"):
        char = chr(byte)
        if char in '"\\':
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        elif char == "\t":
            out.append("\\t")
        elif 32 <= byte < 127:
            out.append(char)
        else:
            out.append(f"\\{byte:03o}")
    out.append('"')
    return "".join(out)


def surrogate_safe(text: str) -> bool:
    return not any(0xD800 <= ord(c) <= 0xDFFF for c in text)


def exim() -> EximParser:
    return EximParser(tz=UTC, reference_time=1795770001.0, default_host="mx")


def qmail() -> QmailParser:
    return QmailParser(tz=UTC, reference_time=1795770001.0, default_host="q")


@SETTINGS
@given(st.text(max_size=300))
def test_random_text_never_raises(text: str) -> None:
    # _parse (not parse) so an internal exception is not hidden by the catch-all.
    for line in (text, f"{STAMP} {text}", f"{STAMP} {QID} {text}", f"Nov 27 09:00:01 h exim[1]: {text}"):
        exim()._parse(line)
    for line in (text, f"{LABEL} {text}", f"Nov 27 09:00:01 h qmail: {text}", f"{LABEL} delivery 1: {text}"):
        qmail()._parse(line)


@SETTINGS
@given(st.binary(max_size=300))
def test_broken_utf8_never_raises(data: bytes) -> None:
    for prefix in (b"", f"{STAMP} {QID} <= ".encode(), f"{LABEL} info msg 1: bytes 2 from <".encode()):
        line = (prefix + data).decode("utf-8", "surrogateescape")
        exim()._parse(line)
        qmail()._parse(line)


@SETTINGS
@given(HOSTILE_TEXT.filter(surrogate_safe))
def test_exim_subject_never_leaks_into_fields(subject: str) -> None:
    line = (
        f"{STAMP} {QID} <= alice@example.com H=c.example [192.0.2.1] P=esmtp S=1234 id=real@x T={exim_quote(subject)}"
    )
    event = exim()._parse(line)
    assert event is not None
    assert event.kind is EventKind.ENVELOPE
    assert (event.sender, event.size, event.message_id) == ("alice@example.com", 1234, "real@x")
    assert event.client == "c.example[192.0.2.1]"
    assert event.subject == subject
    assert event.related_queue_id is None


@SETTINGS
@given(HOSTILE_TEXT.filter(surrogate_safe))
def test_exim_confirmation_never_leaks_into_fields(reply: str) -> None:
    line = (
        f"{STAMP} {QID} => bob@example.org R=dnslookup T=remote_smtp H=mx.example.org [198.51.100.5] "
        f"C={exim_quote('250 2.0.0 ' + reply)} QT=5s DT=1s"
    )
    event = exim()._parse(line)
    assert event is not None
    assert event.result is AttemptResult.SENT
    assert (event.recipient, event.relay, event.delay) == ("bob@example.org", "mx.example.org[198.51.100.5]", 5.0)
    assert (event.code, event.dsn) == (250, "2.0.0")
    assert event.reply == "250 2.0.0 " + reply


@SETTINGS
@given(HOSTILE_TEXT.filter(lambda t: "\n" not in t and "\r" not in t))
def test_exim_remote_reply_never_changes_recipient_or_result(reply: str) -> None:
    line = (
        f"{STAMP} {QID} == bob@example.org R=dnslookup T=remote_smtp defer (-44) H=mx.example.org [198.51.100.5]: "
        f"SMTP error from remote mail server after RCPT TO:<bob@example.org>: 452 4.2.2 {reply}"
    )
    event = exim()._parse(line)
    assert event is not None
    assert event.result is AttemptResult.DEFERRED
    assert (event.recipient, event.relay) == ("bob@example.org", "mx.example.org[198.51.100.5]")
    assert (event.code, event.dsn) == (452, "4.2.2")


@SETTINGS
@given(HOSTILE_TEXT.filter(lambda t: "\n" not in t and "\r" not in t and surrogate_safe(t)))
def test_qmail_sender_and_report_never_leak(text: str) -> None:
    parser = qmail()
    event = parser._parse(f"{LABEL} info msg 3801: bytes 12 from <{text}> qp 77 uid 1000")
    assert event is not None
    assert (event.queue_id, event.sender, event.size) == ("3801", text, 12)
    report = ("Remote host said: 451 4.3.0 " + text).replace("_", " ").replace(" ", "_").replace("/", " ")
    event = parser._parse(f"{LABEL} delivery 9: deferral: {report}/")
    assert event is not None
    assert (event.delivery_no, event.queue_id, event.result) == ("9", "", AttemptResult.DEFERRED)
    assert (event.code, event.dsn) == (451, "4.3.0")


def test_one_megabyte_lines_are_fast_and_correct() -> None:
    big = "x" * 1_000_000
    parser = exim()
    start = time.perf_counter()
    event = parser.parse(f'{STAMP} {QID} <= a@b.example P=local S=5 T="{big} => c@d C=\\"550\\""')
    assert event is not None and event.size == 5 and event.subject is not None and event.subject.startswith(big)
    unterminated = parser.parse(f'{STAMP} {QID} <= a@b.example P=local S=6 T="{big} S=7')
    assert unterminated is not None and unterminated.size == 6
    assert parser.parse(f"{STAMP} {QID} == b@x R=r T=t: {big}") is not None
    assert parser.parse(big) is None
    q = qmail()
    assert q.parse(f"{LABEL} delivery 1: failure: {big}/") is not None
    assert q.parse(f"{LABEL} {big}") is None
    assert time.perf_counter() - start < 5.0
    assert parser.stats.malformed == 1 and q.stats.ignored == 1


@SETTINGS
@given(HOSTILE_TEXT.filter(lambda t: "\n" not in t and "\r" not in t))
def test_exim_rejection_reason_never_leaks(reason: str) -> None:
    line = f"{STAMP} H=(helo.example) [192.0.2.9]:4000 F=<a@b.example> rejected RCPT <c@d.example>: {reason}"
    event = exim()._parse(line)
    assert event is not None
    assert event.kind is EventKind.REJECTED
    assert (event.sender, event.recipient, event.client) == ("a@b.example", "c@d.example", "unknown[192.0.2.9]")
    assert event.reply == (reason or None)
