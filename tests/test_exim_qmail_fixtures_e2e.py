"""Every Exim and qmail fixture through parse + correlate, checked recipient by recipient against its truth.

The truth files were written from what the capture sent and what the sink
answered (Exim), or from the scenario itself (qmail) -- never from the logs.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tracktui.correlate import Correlator
from tracktui.model import Delivery, Message, NoticeKind
from tracktui.parsers.detect import detect_mta, make_parser

FIXTURES = Path(__file__).parent / "fixtures"
EXIM = FIXTURES / "exim"
QMAIL = FIXTURES / "qmail"
EXIM_SUBJECT_LOGGED = 100
"""Exim writes the first 100 bytes of a subject into ``T="..."`` (receive.c); the long subject is ASCII."""


def load_truth(directory: Path) -> dict[str, Any]:
    return json.loads((directory / "truth.json").read_text(encoding="utf-8"))


def wrap(line: str, envelope: str) -> str:
    """An Exim main log line as syslog or journald would carry it (Exim keeps its own stamp in the message)."""
    if envelope == "own":
        return line
    moment = datetime.strptime(line[:19], "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    if envelope == "syslog":
        return f"{moment:%b} {moment.day:2d} {moment:%H:%M:%S} fixture exim[77]: {line}"
    record = {
        "MESSAGE": line,
        "SYSLOG_IDENTIFIER": "exim",
        "__REALTIME_TIMESTAMP": str(int(moment.timestamp()) * 1_000_000),
        "_HOSTNAME": "fixture",
    }
    return json.dumps(record, ensure_ascii=False)


def correlate(path: Path, mta: str, reference_time: float, envelope: str = "own") -> tuple[list[Message], Any]:
    """Parse and correlate one fixture; return its messages (one drain at the end) and the parser."""
    parser = make_parser(mta, tz=UTC, reference_time=reference_time, default_host="fixture")
    correlator = Correlator()
    with path.open(encoding="utf-8", errors="surrogateescape", newline="\n") as handle:
        for raw in handle:
            event = parser.parse(wrap(raw.rstrip("\n"), envelope))
            if event is not None:
                correlator.feed(event)
    messages = {message.key: message for message in correlator.drain()}
    return list(messages.values()), parser


def check_delivery(delivery: Delivery, expected: dict[str, Any], where: str) -> None:
    last = delivery.last
    assert last is not None, where
    assert delivery.status.value == expected["status"], f"{where}: {delivery.status} != {expected['status']}"
    assert last.dsn == expected.get("dsn"), f"{where}: dsn {last.dsn!r} != {expected.get('dsn')!r}"
    if expected.get("code") is not None:
        assert last.code == expected["code"], f"{where}: code {last.code} != {expected['code']}"
    wanted = expected.get("reply_contains")
    if wanted:
        assert last.reply is not None and wanted.lower() in last.reply.lower(), (
            f"{where}: {last.reply!r} lacks {wanted!r}"
        )
    if expected.get("attempts") is not None:
        assert delivery.attempt_count == expected["attempts"], f"{where}: {delivery.attempt_count} attempts"


# -- Exim (real output) ------------------------------------------------------------


def exim_fixture_names() -> list[str]:
    if not (EXIM / "truth.json").exists():
        return ["missing"]
    return sorted({m["fixture"] for m in load_truth(EXIM)["messages"]})


@pytest.mark.parametrize("envelope", ["own", "syslog", "journal"])
@pytest.mark.parametrize("fixture", exim_fixture_names())
def test_exim_fixture(fixture: str, envelope: str) -> None:
    assert fixture != "missing", "tests/fixtures/exim/truth.json is missing: run capture_exim.py"
    path = EXIM / fixture
    with path.open(encoding="utf-8", errors="surrogateescape") as handle:
        assert detect_mta(handle) == "exim"
    truth = [m for m in load_truth(EXIM)["messages"] if m["fixture"] == fixture]
    messages, parser = correlate(path, "exim", reference_time=path.stat().st_mtime, envelope=envelope)
    assert parser.stats.malformed == 0, parser.stats.malformed_examples
    assert all(m.host == "fixture" for m in messages)
    queued = {m.message_id: m for m in messages if m.queue_id and m.message_id}
    rejections = {d.recipient.lower(): d for m in messages if not m.queue_id for d in m.deliveries.values()}
    expected_recipients: set[tuple[int, str]] = set()
    for entry in truth:
        msgid = entry["message_id"].strip("<>")
        message = queued.get(msgid)
        for rcpt, expected in entry["recipients"].items():
            where = f"{fixture} {entry['subject'][:40]!r} {rcpt}"
            refused_by_us = expected.get("answered_by") == "our exim smtp server"
            if message is not None and rcpt in message.deliveries:
                delivery = message.deliveries[rcpt]
                expected_recipients.add((message.key, rcpt))
            elif expected.get("log_names_no_recipient"):
                # "rejected after DATA" names the sender but no recipient: one delivery without address
                delivery = rejections.get("")
                assert delivery is not None, f"{where}: after-DATA rejection not found"
            else:
                assert refused_by_us, f"{where}: no delivery found"
                delivery = rejections.get(rcpt.lower())
                assert delivery is not None, f"{where}: SMTP-time rejection not found"
            check_delivery(delivery, expected, where)
        if message is None:
            assert all(e.get("answered_by") == "our exim smtp server" for e in entry["recipients"].values())
            continue
        assert message.sender == entry["sender"], entry["subject"]
        subject = entry["subject"]
        if len(subject) > EXIM_SUBJECT_LOGGED:
            # Exim logs only the start of a long subject
            assert message.subject is not None and len(message.subject) == EXIM_SUBJECT_LOGGED
            assert subject.startswith(message.subject)
        else:
            assert message.subject == subject
        assert message.notice_of_key is None
    # nothing extra: every delivery of a message we sent is in the truth
    for message in queued.values():
        if message.notice_of_key is None and message.sender:
            for rcpt in message.deliveries:
                assert (message.key, rcpt) in expected_recipients, f"unexpected delivery {rcpt}"


def test_exim_notices_are_linked() -> None:
    assert (EXIM / "truth.json").exists(), "run capture_exim.py"
    truth = load_truth(EXIM)["messages"]
    found_delay = False
    for fixture in exim_fixture_names():
        messages, _ = correlate(EXIM / fixture, "exim", reference_time=(EXIM / fixture).stat().st_mtime)
        by_key = {m.key: m for m in messages}
        notices = [m for m in messages if m.notice_of_key is not None]
        for notice in notices:
            assert notice.sender == ""
            assert notice.notice_of_key in by_key, "notice linked to a message outside its fixture"
        for entry in (m for m in truth if m["fixture"] == fixture):
            original = next((m for m in messages if m.message_id == entry["message_id"].strip("<>")), None)
            if original is None:
                continue
            failed = [
                r
                for r, e in entry["recipients"].items()
                if e["status"] in ("bounced", "expired") and e.get("answered_by") != "our exim smtp server"
            ]
            kinds = {n.notice_kind for n in notices if n.notice_of_key == original.key}
            if failed:
                assert NoticeKind.NON_DELIVERY in kinds, f"no bounce linked to {entry['subject']!r}"
            found_delay = found_delay or NoticeKind.DELAY in kinds
    assert found_delay, "no delay warning linked to its message"


# -- qmail (documented formats) -------------------------------------------------------


@pytest.mark.parametrize("fixture", ["multilog.log", "syslog.log"])
def test_qmail_fixture(fixture: str) -> None:
    document = load_truth(QMAIL)
    path = QMAIL / fixture
    messages, parser = correlate(path, "qmail", reference_time=document["start"] + 30 * 86400)
    assert parser.stats.malformed == 0, parser.stats.malformed_examples
    assert parser.stats.ignored == 4  # the status: lines
    by_ident = {(m.queue_id, round(m.first_seen, 3)): m for m in messages}
    assert len(by_ident) == len(document["messages"])
    keys = {}
    for entry in document["messages"]:
        message = by_ident[(entry["queue_id"], round(entry["first_seen"], 3))]
        keys[entry["queue_id"], entry["first_seen"]] = message.key
        assert message.sender == entry["sender"]
        assert message.subject is None
        if fixture == "syslog.log":
            assert message.host == document["host_syslog"]
        assert set(message.deliveries) == set(entry["recipients"])
        for rcpt, expected in entry["recipients"].items():
            check_delivery(message.deliveries[rcpt], expected, f"{fixture} {entry['queue_id']} {rcpt}")
    for entry in document["messages"]:
        message = by_ident[(entry["queue_id"], round(entry["first_seen"], 3))]
        if "notice_of" in entry:
            original = next(
                m
                for m in document["messages"]
                if m["queue_id"] == entry["notice_of"] and m["first_seen"] < entry["first_seen"]
            )
            assert message.notice_of_key == keys[original["queue_id"], original["first_seen"]]
            assert message.notice_kind == NoticeKind(entry["notice_kind"])
        else:
            assert message.notice_of_key is None
