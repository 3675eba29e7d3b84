"""Row building writes every value under its own column, in both shapes of a delivery row."""

from __future__ import annotations

from tracktui.model import Attempt, AttemptResult, Delivery, Message, NoticeKind, Status
from tracktui.rows import (
    ATTEMPT_COLUMNS,
    DELIVERY_COLUMNS,
    MESSAGE_COLUMNS,
    RAW_COLUMNS,
    RESULT_TO_CODE,
    STATUS_TO_CODE,
    build_rows,
)


def sample_message() -> Message:
    message = Message(
        101, "mx1", "4QXY", 1000.5, 2000.5, "postfix", message_id="mid@x", sender="Ann@Example.ORG",
        subject="Hello", size=2048, nrcpt=2, client="c.example[192.0.2.1]", expired=True, live=False,
        notice_of_key=77, notice_kind=NoticeKind.DELAY, line_count=3, lines=["l1", "l2", "l3"],
    )  # fmt: skip
    tried = Attempt(1500.25, AttemptResult.DEFERRED, "relay.example[192.0.2.9]:25", 1.5, 451, "4.7.1", "greylisted")
    message.deliveries["Bob@Dest.NET"] = Delivery(
        202, "Bob@Dest.NET", Status.EXPIRED, "orig@dest.net", 1500.25, 2, tried, [tried]
    )
    message.deliveries["carol@dest.net"] = Delivery(303, "carol@dest.net", Status.BOUNCED)
    return message


def test_every_column_gets_its_own_value() -> None:
    messages, deliveries, attempts, raw = build_rows("file:/var/log/mail.log", [sample_message()])
    assert dict(zip(MESSAGE_COLUMNS, messages[0], strict=True)) == {
        "id": 101, "source_id": "file:/var/log/mail.log", "host": "mx1", "mta": "postfix", "queue_id": "4QXY",
        "message_id": "mid@x", "sender": "Ann@Example.ORG", "subject": "Hello", "size": 2048, "nrcpt": 2,
        "client": "c.example[192.0.2.1]", "first_seen": 1000.5, "last_seen": 2000.5, "expired": True,
        "live": False, "notice_of_key": 77, "notice_kind": "delay", "pending": None, "line_count": 3,
    }  # fmt: skip
    common = {
        "message_key": 101, "host": "mx1", "mta": "postfix", "queue_id": "4QXY", "message_id": "mid@x",
        "sender": "Ann@Example.ORG", "sender_lc": "ann@example.org", "sender_domain": "example.org",
        "subject": "Hello", "size": 2048, "client": "c.example[192.0.2.1]", "expired": True,
        "notice_kind": "delay", "message_time": 1000.5,
    }  # fmt: skip
    tried, untried = (dict(zip(DELIVERY_COLUMNS, row, strict=True)) for row in deliveries)
    assert tried == common | {
        "id": 202, "recipient": "Bob@Dest.NET", "recipient_lc": "bob@dest.net", "recipient_domain": "dest.net",
        "orig_recipient": "orig@dest.net", "status": STATUS_TO_CODE[Status.EXPIRED], "time": 1500.25,
        "attempt_count": 2, "relay": "relay.example[192.0.2.9]:25", "delay": 1.5, "code": 451, "dsn": "4.7.1",
        "reply": "greylisted", "leg": 0, "leg_status": STATUS_TO_CODE[Status.EXPIRED], "leg_time": 1500.25,
        "direction": 0, "next_qid": None, "alt_lc": "orig@dest.net",
    }  # fmt: skip
    assert untried == common | {
        "id": 303, "recipient": "carol@dest.net", "recipient_lc": "carol@dest.net", "recipient_domain": "dest.net",
        "orig_recipient": None, "status": STATUS_TO_CODE[Status.BOUNCED], "time": 0.0, "attempt_count": 0,
        "relay": None, "delay": None, "code": None, "dsn": None, "reply": None,
        "leg": 0, "leg_status": STATUS_TO_CODE[Status.BOUNCED], "leg_time": 0.0, "direction": 0, "next_qid": None,
        "alt_lc": None,
    }  # fmt: skip
    assert [dict(zip(ATTEMPT_COLUMNS, row, strict=True)) for row in attempts] == [{
        "delivery_id": 202, "seq": 1, "time": 1500.25, "result": RESULT_TO_CODE[AttemptResult.DEFERRED],
        "relay": "relay.example[192.0.2.9]:25", "delay": 1.5, "code": 451, "dsn": "4.7.1", "reply": "greylisted",
    }]  # fmt: skip
    assert [dict(zip(RAW_COLUMNS, row, strict=True)) for row in raw] == [
        {"message_key": 101, "seq": 0, "text": "l1\nl2\nl3"}
    ]


def test_rows_come_sorted_by_primary_key() -> None:
    messages = []
    for key in (9, 3, 7):
        message = Message(key, "mx", f"Q{key}", 1.0, 1.0, lines=["x"], line_count=1)
        for rkey in (key * 10 + 2, key * 10 + 1):
            attempt = Attempt(1.0, AttemptResult.SENT)
            message.deliveries[f"r{rkey}"] = Delivery(rkey, f"r{rkey}", Status.DELIVERED, None, 1.0, 1, attempt,
                                                       [attempt])
        messages.append(message)
    rows = build_rows("s", messages)
    for table in rows:
        keys = [(row[0], row[1]) for row in table]
        assert keys == sorted(keys)
    assert [row[0] for row in rows[0]] == [3, 7, 9]
