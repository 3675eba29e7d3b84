"""Every Postfix fixture through parse + correlate, checked recipient by recipient against its truth.

truth.json was written by the capture from what it sent, what our smtpd
answered it and what the sink answered Postfix -- never from the logs.
"""

from __future__ import annotations

import json
from datetime import UTC
from email.header import decode_header, make_header
from pathlib import Path
from typing import Any

import pytest

from tracktui.correlate import Correlator
from tracktui.model import Delivery, Message, NoticeKind, Status
from tracktui.parsers.detect import detect_mta, make_parser
from tracktui.parsers.postfix import PostfixParser

FIXTURES = Path(__file__).parent / "fixtures" / "postfix"
TRUTH: dict[str, Any] = json.loads((FIXTURES / "truth.json").read_text(encoding="utf-8"))
FIXTURE_NAMES = sorted({m["fixture"] for m in TRUTH["messages"]})


def correlate(path: Path) -> tuple[list[Message], PostfixParser]:
    parser = make_parser("postfix", tz=UTC, reference_time=path.stat().st_mtime, default_host="fixture")
    assert isinstance(parser, PostfixParser)
    correlator = Correlator()
    with path.open(encoding="utf-8", errors="surrogateescape") as handle:
        for raw in handle:
            event = parser.parse(raw.rstrip("\n"))
            if event is not None:
                correlator.feed(event)
    return correlator.drain(), parser


def check_delivery(delivery: Delivery, expected: dict[str, Any], where: str) -> None:
    last = delivery.last
    assert last is not None, where
    assert delivery.status.value == expected["status"], f"{where}: {delivery.status} != {expected['status']}"
    assert last.dsn == expected.get("dsn"), f"{where}: dsn {last.dsn!r} != {expected.get('dsn')!r}"
    # Postfix logs a content refusal by cleanup (header_checks REJECT, at DATA) with its dsn but
    # without the reply code smtpd then gave the client.
    if expected.get("code") is not None and expected.get("stage") != "DATA":
        assert last.code == expected["code"], f"{where}: code {last.code} != {expected['code']}"
    wanted = expected["reply_contains"]
    assert last.reply is not None and wanted in last.reply, f"{where}: {last.reply!r} lacks {wanted!r}"
    if expected.get("attempts") is not None:
        assert delivery.attempt_count == expected["attempts"], f"{where}: {delivery.attempt_count} attempts"


@pytest.mark.parametrize("fixture", FIXTURE_NAMES)
def test_postfix_fixture(fixture: str) -> None:
    path = FIXTURES / fixture
    with path.open(encoding="utf-8") as handle:
        assert detect_mta(handle) == "postfix"
    messages, parser = correlate(path)
    assert parser.stats.malformed == 0, parser.stats.malformed_examples
    by_message_id = {m.message_id: m for m in messages if m.queue_id and m.message_id}
    # Recipients are unique in the capture (only the notices all go to the sender): a refusal at RCPT
    # time has no queue id, one after a first accepted recipient or by cleanup has the message's.
    anywhere = {r: (m, d) for m in messages if m.notice_kind is None for r, d in m.deliveries.items()}
    truth = [m for m in TRUTH["messages"] if m["fixture"] == fixture]
    assert truth
    for entry in truth:
        message = by_message_id.get(entry["message_id"].strip("<>"))
        for sent_to, expected in entry["recipients"].items():
            where = f"{fixture} {entry['message_id']} {sent_to}"
            recipient = expected.get("final_recipient", sent_to)
            if message is not None and recipient in message.deliveries:
                owner, delivery = message, message.deliveries[recipient]
            else:
                assert recipient in anywhere, f"{where}: no delivery for {recipient}"
                owner, delivery = anywhere[recipient]
                assert expected.get("refused_by") or expected["status"] == "bounced", where
            assert owner.sender == entry["sender"], where
            if owner.queue_id:
                # the capture sent (and truth.json keeps) the raw header; the parser decodes RFC 2047 words
                subject = str(make_header(decode_header(entry["subject"])))
                assert owner.subject == subject, f"{where}: subject {owner.subject!r}"
            else:
                assert expected.get("refused_by") == "our smtpd", f"{where}: only SMTP-time refusals lack a queue id"
            if recipient != sent_to:
                assert delivery.orig_recipient == sent_to, where
            check_delivery(delivery, expected, where)


@pytest.mark.parametrize("fixture", FIXTURE_NAMES)
def test_notices_are_linked_to_their_original(fixture: str) -> None:
    """Every bounce/delay notice Postfix sent is a message linked to the message it reports on."""
    messages, _ = correlate(FIXTURES / fixture)
    text = (FIXTURES / fixture).read_text(encoding="utf-8")
    by_queue_id = {m.queue_id: m for m in messages if m.queue_id}
    expected_links = [
        (line.split(": ")[1], line.rsplit(": ", 1)[1], line)
        for line in text.splitlines()
        if "postfix/bounce[" in line and " notification: " in line
    ]
    for original, notice, line in expected_links:
        assert notice in by_queue_id, line
        notice_message = by_queue_id[notice]
        assert notice_message.sender == ""
        assert notice_message.notice_of_key == by_queue_id[original].key, line
        wanted = NoticeKind.DELAY if "delay notification" in line else NoticeKind.NON_DELIVERY
        assert notice_message.notice_kind is wanted
        assert all(d.status is Status.DELIVERED for d in notice_message.deliveries.values())


def test_truth_covers_every_status() -> None:
    statuses = {r["status"] for m in TRUTH["messages"] for r in m["recipients"].values()}
    assert statuses == {"delivered", "deferred", "bounced", "expired"}
