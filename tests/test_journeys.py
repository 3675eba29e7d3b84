"""Journeys: hops through a content filter, our own relays and greylisting, shown as one row each.

The log lines follow Postfix 3.7's real shapes (see tests/fixtures/journeys for captured
ones); these tests pin the linking rules: either order of arrival, separate syncs, the
direction and the party each explanation names.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tracktui.cache import Cache
from tracktui.journeys.locality import DEFAULT_LOCALITY, LegKind, Locality, direction_of, next_queue_id
from tracktui.model import STATUS_GROUPS, DeliveryRow, Filter, Status
from tracktui.output import json_record
from tracktui.smtp import explain_delivery

ALL = Filter(statuses=frozenset(Status))
HOST = "mx"

INTO_FILTER = [
    "Dec  1 10:00:00 mx postfix/smtpd[101]: 1A2B3C4D5E: client=mail.remote.example[203.0.113.5]",
    "Dec  1 10:00:00 mx postfix/cleanup[102]: 1A2B3C4D5E: message-id=<journey-1@remote.example>",
    "Dec  1 10:00:00 mx postfix/qmgr[103]: 1A2B3C4D5E: from=<alice@remote.example>, size=900, nrcpt=1 (queue active)",
    "Dec  1 10:00:01 mx postfix/smtp[104]: 1A2B3C4D5E: to=<bob@example.com>, relay=127.0.0.1[127.0.0.1]:10024, "
    "delay=1.2, delays=0.1/0/0/1.1, dsn=2.0.0, status=sent (250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): "
    "250 2.0.0 Ok: queued as 6F7E8D9C0B)",
    "Dec  1 10:00:01 mx postfix/qmgr[103]: 1A2B3C4D5E: removed",
]
REINJECTED = [
    "Dec  1 10:00:01 mx postfix/smtpd[105]: 6F7E8D9C0B: client=localhost[127.0.0.1]",
    "Dec  1 10:00:01 mx postfix/cleanup[102]: 6F7E8D9C0B: message-id=<journey-1@remote.example>",
    "Dec  1 10:00:01 mx postfix/qmgr[103]: 6F7E8D9C0B: from=<alice@remote.example>, size=1200, nrcpt=1 (queue active)",
    "Dec  1 10:00:03 mx postfix/smtp[106]: 6F7E8D9C0B: to=<user01@example.com>, orig_to=<bob@example.com>, "
    "relay=mx.example.net[198.51.100.7]:25, delay=2, delays=0/0/1/1, dsn=5.1.1, status=bounced "
    "(host mx.example.net[198.51.100.7] said: 550 5.1.1 <user01@example.com>: user unknown (in reply to RCPT TO "
    "command))",
    "Dec  1 10:00:03 mx postfix/qmgr[103]: 6F7E8D9C0B: removed",
]
POSTSCREEN_REFUSAL = (
    "Dec  1 11:00:00 mx postfix/smtpd[107]: NOQUEUE: reject: RCPT from unknown[193.47.61.35]: 554 5.7.1 Service "
    "unavailable; Client host [193.47.61.35] blocked using zen.spamhaus.org; from=<x@spam.example> "
    "to=<bob@example.com> proto=ESMTP helo=<spam>"
)
GREYLISTED = (
    "Dec  1 12:00:00 mx postfix/smtpd[108]: NOQUEUE: reject: RCPT from mail.friend.example[198.51.100.20]: 450 4.7.1 "
    "<carol@example.com>: Recipient address rejected: Greylisted, see https://postgrey.schweikert.ch/; "
    "from=<dave@friend.example> to=<carol@example.com> proto=ESMTP helo=<mail.friend.example>"
)
GREYLIST_RETRY = [
    "Dec  1 12:06:00 mx postfix/smtpd[108]: 7A7A7A7A7A: client=mail.friend.example[198.51.100.21]",
    "Dec  1 12:06:00 mx postfix/cleanup[102]: 7A7A7A7A7A: message-id=<grey-1@friend.example>",
    "Dec  1 12:06:00 mx postfix/qmgr[103]: 7A7A7A7A7A: from=<dave@friend.example>, size=700, nrcpt=1 (queue active)",
    "Dec  1 12:06:01 mx postfix/lmtp[109]: 7A7A7A7A7A: to=<carol@example.com>, relay=mx.example.com"
    "[private/dovecot-lmtp], delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 2.0.0 <carol@example.com> "
    "x1y2z3 Saved)",
    "Dec  1 12:06:01 mx postfix/qmgr[103]: 7A7A7A7A7A: removed",
]
LATE_LINE = "Dec  2 13:00:00 mx postfix/anvil[110]: statistics: max connection rate 1/60s for (smtp:1.2.3.4) at Dec  2"


def sync(tmp_path: Path, cache_path: str, name: str, lines: list[str]) -> None:
    log = tmp_path / name
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    config = tmp_path / "config.toml"
    if not config.exists():
        config.write_text("", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "tracktui", "--config", str(config), "sync", "--source", f"file:{log}",
         "--cache", cache_path, "--mta", "postfix", "--tz", "UTC"],
        capture_output=True, text=True, check=False,
    )
    assert done.returncode == 0, done.stderr


def rows(cache_path: str, flt: Filter = ALL) -> list[DeliveryRow]:
    with Cache.open(cache_path) as cache:
        return list(cache.iter_deliveries(flt))


# -- pure rules ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("relay", "kind"), [
    ("127.0.0.1[127.0.0.1]:10024", LegKind.HANDOFF),
    ("localhost[::1]:10025", LegKind.HANDOFF),
    ("mx.example.com[private/dovecot-lmtp]", LegKind.MAILBOX),
    ("127.0.0.1[127.0.0.1]:24", LegKind.MAILBOX),
    ("local", LegKind.MAILBOX),
    ("dovecot", LegKind.MAILBOX),
    ("mx.example.net[198.51.100.7]:25", LegKind.REMOTE),
])
def test_leg_kinds(relay: str, kind: LegKind) -> None:
    assert DEFAULT_LOCALITY.leg_kind(relay, refused_here=False, sent=True) is kind


def test_configured_internal_relays_and_synced_hosts() -> None:
    locality = Locality.of(["10.1.0.0/16"], hosts=["hub"])
    assert locality.leg_kind("relay.lan[10.1.2.3]:25", refused_here=False, sent=True) is LegKind.HANDOFF
    assert locality.leg_kind("hub.example.com[192.0.2.9]:25", refused_here=False, sent=True) is LegKind.HANDOFF
    assert locality.leg_kind("127.0.0.1[127.0.0.1]:10024", refused_here=False, sent=True) is LegKind.REMOTE
    assert locality.leg_kind("mx.example.net[198.51.100.7]:25", refused_here=False, sent=True) is LegKind.REMOTE


@pytest.mark.parametrize(("reply", "queue_id"), [
    ("250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as 6F7E8D9C0B", "6F7E8D9C0B"),
    ("250 OK id=1m2Abc-000123-AB", "1m2Abc-000123-AB"),
    ("250 2.0.0 Ok, id=12345-01, from MTA([127.0.0.1]:10025): 250 2.0.0 Ok: queued as 4XyZ1abc", "4XyZ1abc"),
    ("250 2.0.0 <carol@example.com> x1y2z3 Saved", None),
    (None, None),
])
def test_next_queue_id(reply: str | None, queue_id: str | None) -> None:
    assert next_queue_id(reply) == queue_id


def test_direction_rules() -> None:
    loc = DEFAULT_LOCALITY
    assert direction_of("mail.remote.example[203.0.113.5]", LegKind.HANDOFF, LegKind.REMOTE, loc) == "outbound"
    assert direction_of("mail.remote.example[203.0.113.5]", LegKind.REMOTE, LegKind.MAILBOX, loc) == "inbound"
    assert direction_of(None, LegKind.MAILBOX, LegKind.MAILBOX, loc) == "local"
    assert direction_of("unknown[193.47.61.35]", LegKind.REFUSED_HERE, LegKind.REFUSED_HERE, loc) == "inbound"


# -- through a real cache ------------------------------------------------------------------------


@pytest.mark.parametrize("order", ["one pass", "filter leg first", "reinjected copy first"])
def test_content_filter_journey_is_one_row_with_the_final_status(tmp_path: Path, cache_url: str, order: str) -> None:
    cache = cache_url
    if order == "one pass":
        sync(tmp_path, cache, "mail.log", INTO_FILTER + REINJECTED)
    elif order == "filter leg first":
        sync(tmp_path, cache, "a.log", INTO_FILTER)
        (shown,) = rows(cache)
        assert shown.status is Status.IN_TRANSIT
        assert rows(cache, Filter(statuses=STATUS_GROUPS["in-transit"])) == [shown]
        assert rows(cache, Filter(statuses=STATUS_GROUPS["delivered"])) == []
        assert "not logged yet" in explain_delivery(shown).summary
        assert "127.0.0.1" in explain_delivery(shown).summary
        sync(tmp_path, cache, "b.log", REINJECTED)
    else:
        sync(tmp_path, cache, "b.log", REINJECTED)
        sync(tmp_path, cache, "a.log", INTO_FILTER)
    (row,) = rows(cache)
    assert row.status is Status.BOUNCED
    assert row.queue_id == "1A2B3C4D5E"
    assert row.recipient == "bob@example.com"
    assert row.final_recipient == "user01@example.com"
    assert row.direction == "outbound"
    assert row.code == 550 and row.dsn == "5.1.1"
    assert explain_delivery(row).category == "no_such_user"
    with Cache.open(cache) as opened:
        counts = opened.count_by_status(ALL)
        assert counts[Status.DELIVERED] == 0 and counts[Status.BOUNCED] == 1
        hops = opened.hops(row.delivery_id)
        record = json_record(row, opened.attempts(row.delivery_id), hops)
        # Any queue id of the journey, and its Message-ID, find it.
        for queue_id in ("1A2B3C4D5E", "6F7E8D9C0B"):
            found = list(opened.iter_deliveries(Filter(statuses=frozenset(Status), queue_id=queue_id)))
            assert [r.delivery_id for r in found] == [row.delivery_id]
        by_mid = list(opened.iter_deliveries(Filter(statuses=frozenset(Status), message_id="journey-1@remote.example")))
        assert [r.delivery_id for r in by_mid] == [row.delivery_id]
        for address in ("bob@example.com", "user01@example.com"):
            found = list(opened.iter_deliveries(Filter(statuses=frozenset(Status), recipient=address)))
            assert [r.delivery_id for r in found] == [row.delivery_id], address
    assert [(h["queue_id"], h["status"]) for h in record["hops"]] == [  # type: ignore[index]
        ("1A2B3C4D5E", "in-transit"), ("6F7E8D9C0B", "bounced")]
    assert record["final_recipient"] == "user01@example.com" and record["direction"] == "outbound"
    json.dumps(record)


def test_our_refusal_names_our_server_and_the_client(tmp_path: Path, cache_url: str) -> None:
    cache = cache_url
    sync(tmp_path, cache, "mail.log", [POSTSCREEN_REFUSAL])
    (row,) = rows(cache)
    assert row.direction == "inbound" and row.refused_here
    words = explain_delivery(row)
    assert words.summary.startswith("Your server refused mail from unknown[193.47.61.35]")
    assert "Spamhaus" in words.summary or "zen.spamhaus.org" in words.summary
    assert "recipient's server" not in words.summary
    assert "retries" not in words.advice


def test_greylisting_then_acceptance_is_one_inbound_delivered_journey(tmp_path: Path, cache_url: str) -> None:
    cache = cache_url
    sync(tmp_path, cache, "grey.log", [GREYLISTED])
    (refused,) = rows(cache)
    assert refused.status is Status.DEFERRED and refused.refused_here
    words = explain_delivery(refused)
    assert "Your server greylisted" in words.summary and "Your server retries" not in words.advice
    sync(tmp_path, cache, "retry.log", GREYLIST_RETRY)
    (row,) = rows(cache)
    assert row.status is Status.DELIVERED and row.queue_id == "7A7A7A7A7A"
    assert row.direction == "inbound" and row.hop_count == 2
    assert "local mailbox" in explain_delivery(row).summary
    with Cache.open(cache) as opened:
        hops = opened.hops(row.delivery_id)
    assert [(h.queue_id, h.status, h.refused_here) for h in hops] == [
        ("", Status.DEFERRED, True), ("7A7A7A7A7A", Status.DELIVERED, False)]


def test_greylisting_never_retried_becomes_final_after_a_day(tmp_path: Path, cache_url: str) -> None:
    cache = cache_url
    sync(tmp_path, cache, "grey.log", [GREYLISTED])
    assert rows(cache)[0].status is Status.DEFERRED
    sync(tmp_path, cache, "later.log", [LATE_LINE, POSTSCREEN_REFUSAL.replace("Dec  1 11:", "Dec  2 13:")])
    statuses = {r.recipient: r.status for r in rows(cache)}
    assert statuses["carol@example.com"] is Status.BOUNCED


def test_direction_filter(tmp_path: Path, cache_url: str) -> None:
    cache = cache_url
    sync(tmp_path, cache, "mail.log", INTO_FILTER + REINJECTED + [POSTSCREEN_REFUSAL])
    outbound = rows(cache, Filter(statuses=frozenset(Status), directions=frozenset({"outbound"})))
    inbound = rows(cache, Filter(statuses=frozenset(Status), directions=frozenset({"inbound"})))
    assert [r.queue_id for r in outbound] == ["1A2B3C4D5E"]
    assert [r.queue_id for r in inbound] == [""]


def test_the_story_names_every_hop(tmp_path: Path, cache_url: str) -> None:
    from tracktui.journeys.story import journey_story

    sync(tmp_path, cache_url, "mail.log", INTO_FILTER + REINJECTED)
    (row,) = rows(cache_url)
    with Cache.open(cache_url) as opened:
        story = journey_story(opened.hops(row.delivery_id), client=row.client, clock=lambda t: "T")
    assert story == (
        "Accepted from mail.remote.example[203.0.113.5] as 1A2B3C4D5E on mx → handed to 127.0.0.1[127.0.0.1]:10024 "
        "at T → reinjected as 6F7E8D9C0B → refused by mx.example.net[198.51.100.7]:25 at T: host mx.example.net"
        "[198.51.100.7] said: 550 5.1.1 <user01@example.com>: user unknown (in reply to RCPT TO command)."
    )


def test_the_story_of_a_greylisted_journey(tmp_path: Path, cache_url: str) -> None:
    from tracktui.journeys.story import journey_story

    sync(tmp_path, cache_url, "mail.log", [GREYLISTED, *GREYLIST_RETRY])
    (row,) = rows(cache_url)
    with Cache.open(cache_url) as opened:
        story = journey_story(opened.hops(row.delivery_id), client=row.client, clock=lambda t: "T")
    assert story.startswith("Turned away for now at T (450 4.7.1 <carol@example.com>: Recipient address rejected")
    assert story.endswith("→ accepted from mail.friend.example[198.51.100.21] as 7A7A7A7A7A on mx → delivered into "
                          "the mailbox (mx.example.com[private/dovecot-lmtp]) at T.")


REQUEUE_FILTER = [
    # A filter that takes mail over SMTP without naming a queue id and reinjects it with sendmail (pickup).
    "Dec  1 14:00:00 mx postfix/smtpd[111]: 5B5B5B5B5B: client=mail.remote.example[203.0.113.5]",
    "Dec  1 14:00:00 mx postfix/cleanup[102]: 5B5B5B5B5B: message-id=<requeued@remote.example>",
    "Dec  1 14:00:00 mx postfix/qmgr[103]: 5B5B5B5B5B: from=<alice@remote.example>, size=900, nrcpt=1 (queue active)",
    "Dec  1 14:00:01 mx postfix/smtp[104]: 5B5B5B5B5B: to=<bob@example.com>, relay=127.0.0.1[127.0.0.1]:10031, "
    "delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 2.0.0 Ok)",
    "Dec  1 14:00:01 mx postfix/qmgr[103]: 5B5B5B5B5B: removed",
    "Dec  1 14:00:05 mx postfix/pickup[112]: 6C6C6C6C6C: uid=110 from=<alice@remote.example>",
    "Dec  1 14:00:05 mx postfix/cleanup[102]: 6C6C6C6C6C: message-id=<requeued@remote.example>",
    "Dec  1 14:00:05 mx postfix/qmgr[103]: 6C6C6C6C6C: from=<alice@remote.example>, size=950, nrcpt=1 (queue active)",
    "Dec  1 14:00:06 mx postfix/local[113]: 6C6C6C6C6C: to=<bob@example.com>, relay=local, delay=1, "
    "delays=0/0/0/1, dsn=2.0.0, status=sent (delivered to mailbox)",
    "Dec  1 14:00:06 mx postfix/qmgr[103]: 6C6C6C6C6C: removed",
]


@pytest.mark.parametrize("split", [False, True])
def test_a_hand_off_without_a_queue_id_is_followed_by_message_id(tmp_path: Path, cache_url: str, split: bool) -> None:
    cache = cache_url
    if split:
        sync(tmp_path, cache, "a.log", REQUEUE_FILTER[:5])
        assert rows(cache)[0].status is Status.IN_TRANSIT
        sync(tmp_path, cache, "b.log", REQUEUE_FILTER[5:])
    else:
        sync(tmp_path, cache, "mail.log", REQUEUE_FILTER)
    (row,) = rows(cache)
    assert (row.status, row.queue_id, row.direction, row.hop_count) == (Status.DELIVERED, "5B5B5B5B5B", "inbound", 2)
