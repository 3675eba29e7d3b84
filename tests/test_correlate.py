"""Correlation rules: statuses, attempts, queue-id reuse, notices, resumable state."""

from __future__ import annotations

import copy
from dataclasses import replace

from tracktui.correlate import Correlator, stable_key
from tracktui.model import AttemptResult, Event, EventKind, Message, NoticeKind, Status

HOST = "mx1"


def ev(kind: EventKind, t: float, qid: str = "ABC", **fields: object) -> Event:
    return Event(kind=kind, time=t, host=HOST, queue_id=qid, line=f"{t} {kind.name} {qid}", mta="postfix", **fields)


def attempt(t: float, rcpt: str, result: AttemptResult, qid: str = "ABC", **fields: object) -> Event:
    return ev(EventKind.ATTEMPT, t, qid, recipient=rcpt, result=result, **fields)


def run(events: list[Event]) -> dict[int, Message]:
    correlator = Correlator()
    merged: dict[int, Message] = {}
    for event in events:
        correlator.feed(event)
    for message in correlator.drain():
        merged[message.key] = message
    return merged


def lifecycle(qid: str = "ABC", t0: float = 1000.0) -> list[Event]:
    return [
        ev(EventKind.QUEUED, t0, qid, client="client.example[192.0.2.1]"),
        ev(EventKind.MESSAGE_ID, t0 + 1, qid, message_id="<m1@example.com>"),
        ev(EventKind.SUBJECT, t0 + 1, qid, subject="[SPAM] status=bounced dsn=5.1.1"),
        ev(EventKind.ENVELOPE, t0 + 2, qid, sender="alice@example.com", size=1234, nrcpt=2),
        attempt(t0 + 3, "bob@example.net", AttemptResult.DEFERRED, qid, dsn="4.2.2", code=452, reply="mailbox full"),
        attempt(t0 + 4, "carol@example.org", AttemptResult.SENT, qid, dsn="2.0.0", code=250, relay="mx.example.org"),
        attempt(t0 + 600, "bob@example.net", AttemptResult.DEFERRED, qid, dsn="4.2.2"),
        attempt(t0 + 1800, "bob@example.net", AttemptResult.DEFERRED, qid, dsn="4.2.2"),
        attempt(t0 + 3600, "bob@example.net", AttemptResult.SENT, qid, dsn="2.0.0", code=250, reply="OK"),
        ev(EventKind.REMOVED, t0 + 3601, qid),
    ]


def test_deferred_three_times_then_sent_is_delivered_with_four_attempts() -> None:
    (message,) = run(lifecycle()).values()
    bob = message.deliveries["bob@example.net"]
    assert bob.status is Status.DELIVERED
    assert bob.attempt_count == 4
    assert [a.result for a in bob.attempts] == [AttemptResult.DEFERRED] * 3 + [AttemptResult.SENT]
    assert bob.last is not None and bob.last.reply == "OK"
    assert bob.time == 4600.0
    assert message.deliveries["carol@example.org"].status is Status.DELIVERED
    assert message.sender == "alice@example.com"
    assert message.subject == "[SPAM] status=bounced dsn=5.1.1"
    assert message.message_id == "<m1@example.com>"
    assert not message.live
    assert message.line_count == len(message.lines) == 10


def test_queue_id_reuse_never_merges_messages() -> None:
    events = lifecycle("ABC", 1000.0) + lifecycle("ABC", 9000.0)
    messages = run(events)
    assert len(messages) == 2
    assert sorted(m.first_seen for m in messages.values()) == [1000.0, 9000.0]
    for message in messages.values():
        assert message.deliveries["bob@example.net"].attempt_count == 4


def test_requeued_id_without_removed_line_starts_a_new_message() -> None:
    first = lifecycle("ABC", 1000.0)[:-1]  # the 'removed' line was never logged
    messages = run(first + lifecycle("ABC", 9000.0))
    assert len(messages) == 2
    assert all(not m.live for m in messages.values())


def test_split_across_syncs_equals_one_pass() -> None:
    events = lifecycle()
    one_pass = run(events)
    for cut in range(1, len(events)):
        correlator = Correlator()
        for event in events[:cut]:
            correlator.feed(event)
        first = {m.key: copy.deepcopy(m) for m in correlator.drain()}  # as the cache stores them
        live = [copy.deepcopy(m) for m in first.values() if m.live]  # as the cache loads them back
        resumed = Correlator()
        resumed.restore(live)
        for event in events[cut:]:
            resumed.feed(event)
        second = {m.key: m for m in resumed.drain()}
        merged = {**first, **second}
        assert merged.keys() == one_pass.keys()
        for key, expected in one_pass.items():
            got = merged[key]
            assert got.sender == expected.sender and got.subject == expected.subject
            assert got.live == expected.live
            for rcpt, delivery in expected.deliveries.items():
                assert got.deliveries[rcpt].status is delivery.status
                assert got.deliveries[rcpt].attempt_count == delivery.attempt_count
                assert got.deliveries[rcpt].last == delivery.last
            all_attempts = [
                a
                for part in (first.get(key), second.get(key))
                if part
                if "bob@example.net" in part.deliveries
                for a in part.deliveries["bob@example.net"].attempts
            ]
            assert all_attempts == expected.deliveries["bob@example.net"].attempts
            lines = [line for part in (first.get(key), second.get(key)) if part for line in part.lines]
            assert lines == expected.lines


def test_expired_turns_deferred_deliveries_expired_only() -> None:
    events = [
        *lifecycle()[:6],
        ev(EventKind.EXPIRED, 500000.0, sender="alice@example.com"),
        ev(EventKind.REMOVED, 500001.0),
    ]
    (message,) = run(events).values()
    assert message.expired
    assert message.deliveries["bob@example.net"].status is Status.EXPIRED
    assert message.deliveries["carol@example.org"].status is Status.DELIVERED


def test_smtp_time_rejection_is_a_bounced_delivery_without_queue_id() -> None:
    reject = Event(
        kind=EventKind.REJECTED,
        time=50.0,
        host=HOST,
        queue_id="",
        mta="postfix",
        line="NOQUEUE: reject",
        sender="spammer@example.com",
        recipient="nobody@example.com",
        code=550,
        dsn="5.1.1",
        reply="Recipient address rejected",
        client="bad.example[203.0.113.5]",
    )
    greylist = replace(reject, time=51.0, code=450, dsn="4.7.1", reply="Greylisted")
    messages = list(run([reject, greylist]).values())
    assert len(messages) == 2
    by_time = {m.first_seen: m for m in messages}
    rejected = by_time[50.0].deliveries["nobody@example.com"]
    assert by_time[50.0].queue_id == "" and not by_time[50.0].live
    assert rejected.status is Status.BOUNCED and rejected.last is not None
    assert rejected.last.relay == "bad.example[203.0.113.5]"
    assert by_time[51.0].deliveries["nobody@example.com"].status is Status.DEFERRED


def test_postfix_bounce_notice_links_to_original() -> None:
    events = [
        *lifecycle("ORIG")[:5],
        ev(EventKind.QUEUED, 1010.0, "NOTE"),
        ev(EventKind.ENVELOPE, 1010.0, "NOTE", sender=""),
        ev(EventKind.NOTICE, 1011.0, "ORIG", related_queue_id="NOTE", notice_kind=NoticeKind.NON_DELIVERY),
        attempt(1012.0, "alice@example.com", AttemptResult.SENT, "NOTE"),
        ev(EventKind.REMOVED, 1013.0, "NOTE"),
        ev(EventKind.REMOVED, 1014.0, "ORIG"),
    ]
    messages = {m.queue_id: m for m in run(events).values()}
    assert messages["NOTE"].notice_of_key == messages["ORIG"].key
    assert messages["NOTE"].notice_kind is NoticeKind.NON_DELIVERY
    assert messages["ORIG"].notice_of_key is None


def test_envelope_with_related_id_marks_notice_even_after_original_closed() -> None:
    events = [
        *lifecycle("1aBcDe-000AbC-12"),
        ev(
            EventKind.ENVELOPE,
            5000.0,
            "1xYz00-000Def-34",
            sender="",
            related_queue_id="1aBcDe-000AbC-12",
            notice_kind=NoticeKind.DELAY,
        ),
    ]
    messages = {m.queue_id: m for m in run(events).values()}
    assert messages["1xYz00-000Def-34"].notice_of_key == messages["1aBcDe-000AbC-12"].key
    assert messages["1xYz00-000Def-34"].notice_kind is NoticeKind.DELAY


def test_qmail_delivery_numbers_map_to_recipients_across_restore() -> None:
    correlator = Correlator()
    correlator.feed(ev(EventKind.QUEUED, 1.0, "4711"))
    correlator.feed(ev(EventKind.ENVELOPE, 1.0, "4711", sender="a@example.com", size=10))
    correlator.feed(ev(EventKind.STARTED, 2.0, "4711", recipient="r@example.net", delivery_no="7"))
    live = [copy.deepcopy(m) for m in correlator.drain() if m.live]
    assert live[0].pending == {"7": "r@example.net"}
    resumed = Correlator()
    resumed.restore(live)
    resumed.feed(
        Event(
            kind=EventKind.ATTEMPT,
            time=3.0,
            host=HOST,
            queue_id="",
            delivery_no="7",
            result=AttemptResult.BOUNCED,
            dsn="5.1.1",
            line="delivery 7: failure",
        )
    )
    resumed.feed(ev(EventKind.REMOVED, 4.0, "4711"))
    (message,) = resumed.drain()
    assert message.deliveries["r@example.net"].status is Status.BOUNCED
    assert not message.live and message.pending == {}


def test_drain_releases_closed_messages_and_keeps_memory_flat() -> None:
    correlator = Correlator()
    for i in range(200):
        for event in lifecycle(f"Q{i}", 1000.0 * i):
            correlator.feed(event)
        correlator.drain()
    assert correlator.live_count == 0


def test_stale_live_messages_are_closed() -> None:
    correlator = Correlator()
    for event in lifecycle()[:5]:
        correlator.feed(event)
    correlator.drain()
    assert correlator.close_stale(before=10_000.0) == 1
    (message,) = correlator.drain()
    assert not message.live and correlator.live_count == 0


def test_stable_key_is_deterministic_and_positive() -> None:
    assert stable_key("mx1", "ABC", 1000.0) == stable_key("mx1", "ABC", 1000.0)
    assert stable_key("mx1", "ABC", 1000.0) != stable_key("mx2", "ABC", 1000.0)
    assert 0 <= stable_key("x") < 2**63


def test_hot_path_keys_equal_stable_key() -> None:
    (message,) = run(lifecycle("ABC", 1000.0)).values()
    assert message.key == stable_key(HOST, "ABC", 1000.0)
    bob = message.deliveries["bob@example.net"]
    assert bob.key == stable_key(message.key, "bob@example.net")


def test_attempt_carries_every_field_of_its_event() -> None:
    events = [
        ev(EventKind.QUEUED, 1.0),
        attempt(2.0, "r@example.net", AttemptResult.DEFERRED, relay="mx[192.0.2.1]:25", delay=3.5, code=451,
                dsn="4.7.1", reply="try later"),
    ]
    (message,) = run(events).values()
    (only,) = message.deliveries["r@example.net"].attempts
    assert (only.time, only.result, only.relay, only.delay, only.code, only.dsn, only.reply) == (
        2.0, AttemptResult.DEFERRED, "mx[192.0.2.1]:25", 3.5, 451, "4.7.1", "try later")


def test_hot_path_keys_equal_stable_key_for_many_and_odd_texts() -> None:
    """Keys hashed one after another stay independent; non-ASCII and lone surrogates hash as in stable_key."""
    recipients = ["bob@example.net", "δοκιμή@παράδειγμα.ελ", "bad\udcff@example.net", "", "x" * 300]
    events = []
    for number, qid in enumerate(["ABC", "DEF12", "ZZ\udc80Q"]):
        t0 = 1000.0 + number * 0.25
        events.append(ev(EventKind.QUEUED, t0, qid))
        events += [attempt(t0 + 1, rcpt, AttemptResult.SENT, qid) for rcpt in recipients]
    messages = run(events)
    assert len(messages) == 3
    for message in messages.values():
        assert message.key == stable_key(HOST, message.queue_id, message.first_seen)
        assert sorted(message.deliveries) == sorted(recipients)
        for recipient, delivery in message.deliveries.items():
            assert delivery.key == stable_key(message.key, recipient)


def test_touch_after_drain_starts_fresh_lists_and_keeps_counts() -> None:
    correlator = Correlator()
    for event in [ev(EventKind.QUEUED, 1.0), attempt(2.0, "r@example.net", AttemptResult.DEFERRED)]:
        correlator.feed(event)
    (first,) = correlator.drain()
    handed_out = (first.lines, first.deliveries["r@example.net"].attempts)
    late = attempt(3.0, "r@example.net", AttemptResult.SENT)
    correlator.feed(late)
    (again,) = correlator.drain()
    delivery = again.deliveries["r@example.net"]
    assert again is first and again.lines == [late.line] and again.line_count == 3
    assert [a.result for a in delivery.attempts] == [AttemptResult.SENT] and delivery.attempt_count == 2
    assert delivery.status is Status.DELIVERED and delivery.time == 3.0 and delivery.last is delivery.attempts[0]
    assert len(handed_out[0]) == 2 and len(handed_out[1]) == 1, "drained lists must not be modified afterwards"


def test_same_second_refusals_with_other_replies_or_instances_stay_two() -> None:
    base = Event(kind=EventKind.REJECTED, time=60.0, host=HOST, queue_id="", mta="postfix",
                 line="postfix/smtpd[10]: NOQUEUE: reject: RCPT from a[192.0.2.1]: 550 5.1.1 unknown",
                 sender="s@example.com", recipient="r@example.com", code=550, dsn="5.1.1", reply="unknown")
    other_reply = replace(base, line=base.line.replace("unknown", "blocked"), code=554, dsn="5.7.1",
                          reply="blocked")
    other_instance = replace(base, line=base.line.replace("postfix/smtpd[10]", "postfix-incoming/smtpd[11]"))
    messages = run([base, other_reply, other_instance])
    assert len(messages) == 3
    assert sorted(m.deliveries["r@example.com"].last.dsn for m in messages.values()) == ["5.1.1", "5.1.1", "5.7.1"]
    # Re-reading the same line is idempotent: it lands on the same key.
    assert set(run([base]).keys()) <= set(messages.keys())
