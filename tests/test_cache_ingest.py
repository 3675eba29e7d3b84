"""Ingest: idempotent batch commits, two batches equal one, restore round trip, retention, threads."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from tracktui.cache import Cache
from tracktui.correlate import stable_key
from tracktui.model import Attempt, AttemptResult, Delivery, Filter, Message, NoticeKind, Status

ALL = Filter(statuses=frozenset(Status))
DAY = 86400.0
NOW = 1_790_000_000.0

RESULT_STATUS = {
    AttemptResult.SENT: Status.DELIVERED,
    AttemptResult.DEFERRED: Status.DEFERRED,
    AttemptResult.BOUNCED: Status.BOUNCED,
    AttemptResult.EXPIRED: Status.EXPIRED,
}


def attempt(t: float, result: AttemptResult = AttemptResult.SENT, **kw: object) -> Attempt:
    """An attempt with plausible relay/code/dsn/reply for its result."""
    code = {"sent": 250, "deferred": 451, "bounced": 550, "expired": None}[result.value]
    dsn = {"sent": "2.0.0", "deferred": "4.2.2", "bounced": "5.1.1", "expired": "4.4.7"}[result.value]
    base: dict[str, object] = {"relay": "mx.example.net[192.0.2.1]:25", "delay": 1.5, "code": code, "dsn": dsn,
                               "reply": f"{code} {dsn} said {result.value}"}
    base.update(kw)
    return Attempt(time=t, result=result, **base)  # type: ignore[arg-type]


def make_message(
    *,
    host: str = "mx1",
    queue_id: str = "ABC123",
    t: float = NOW,
    sender: str | None = "Alice@Example.ORG",
    subject: str | None = "Hello",
    recipients: dict[str, list[Attempt]] | None = None,
    lines: list[str] | None = None,
    live: bool = False,
    message_id: str | None = None,
    notice_kind: NoticeKind | None = None,
) -> Message:
    """A complete message (every attempt and line unpersisted), as the correlator would drain it."""
    key = stable_key(host, queue_id, t)
    recipients = recipients if recipients is not None else {"bob@example.com": [attempt(t + 1)]}
    deliveries: dict[str, Delivery] = {}
    for rcpt, atts in recipients.items():
        last = atts[-1] if atts else None
        deliveries[rcpt] = Delivery(
            key=stable_key(key, rcpt), recipient=rcpt,
            status=RESULT_STATUS[last.result] if last else Status.DEFERRED,
            time=last.time if last else t, attempt_count=len(atts), last=last, attempts=list(atts),
        )
    lines = lines if lines is not None else [f"{host} postfix/smtp[1]: {queue_id}: line {i}" for i in range(3)]
    last_seen = max([t, *(d.time for d in deliveries.values())])
    return Message(
        key=key, host=host, queue_id=queue_id, first_seen=t, last_seen=last_seen, mta="postfix",
        message_id=message_id or f"<{queue_id}@{host}>", sender=sender, subject=subject, size=1234,
        nrcpt=len(deliveries),
        client="client.example[198.51.100.7]", live=live, notice_kind=notice_kind, deliveries=deliveries,
        lines=list(lines), line_count=len(lines),
    )


def split(message: Message, attempts_first: int, lines_first: int) -> tuple[Message, Message]:
    """The same message drained twice: the first batch sees the first attempts/lines, the second the rest."""
    first_deliveries: dict[str, Delivery] = {}
    second_deliveries: dict[str, Delivery] = {}
    for rcpt, d in message.deliveries.items():
        head, tail = d.attempts[:attempts_first], d.attempts[attempts_first:]
        last = head[-1] if head else None
        first_deliveries[rcpt] = replace(
            d, attempts=list(head), attempt_count=len(head), last=last,
            status=RESULT_STATUS[last.result] if last else Status.DEFERRED, time=last.time if last else d.time)
        second_deliveries[rcpt] = replace(d, attempts=list(tail))
    first = replace(message, deliveries=first_deliveries, lines=message.lines[:lines_first], line_count=lines_first,
                    live=True, last_seen=max([message.first_seen, *(x.time for x in first_deliveries.values())]))
    second = replace(message, deliveries=second_deliveries, lines=message.lines[lines_first:])
    return first, second


def dump(cache: Cache) -> dict[str, object]:
    """Everything the API can tell about the cache's content."""
    rows = list(cache.iter_deliveries(ALL))
    return {
        "rows": rows,
        "attempts": {r.delivery_id: cache.attempts(r.delivery_id) for r in rows},
        "lines": {r.message_key: cache.raw_lines(r.message_key) for r in rows},
        "recipients": {r.message_key: cache.message_deliveries(r.message_key) for r in rows},
        "counts": cache.count_by_status(ALL),
        "hosts": cache.hosts(),
    }


def table_counts(cache: Cache) -> dict[str, int]:
    m = cache.models
    return {t.__name__: t.select().count() for t in (m.message, m.delivery, m.attempt, m.raw_line, m.source)}


def three_attempts() -> Message:
    return make_message(recipients={
        "bob@example.com": [attempt(NOW + 10, AttemptResult.DEFERRED), attempt(NOW + 900, AttemptResult.DEFERRED),
                            attempt(NOW + 2000)],
        "carol@example.net": [attempt(NOW + 11, AttemptResult.BOUNCED)],
    }, lines=[f"line {i}" for i in range(7)])


def test_commit_then_search_returns_every_field(cache: Cache) -> None:
    msg = three_attempts()
    cache.commit_batch("src", [msg], {"offset": 10}, url="file:/var/log/mail.log", hosts=["mx1"])
    rows = {r.recipient: r for r in cache.search(ALL).rows}
    bob = rows["bob@example.com"]
    assert bob.status is Status.DELIVERED and bob.attempt_count == 3
    assert bob.time == NOW + 2000 and bob.message_time == NOW
    assert (bob.host, bob.mta, bob.queue_id, bob.sender, bob.subject) == ("mx1", "postfix", "ABC123",
                                                                          "Alice@Example.ORG", "Hello")
    assert (bob.code, bob.dsn, bob.relay, bob.delay) == (250, "2.0.0", "mx.example.net[192.0.2.1]:25", 1.5)
    assert bob.message_id == "<ABC123@mx1>" and bob.size == 1234 and bob.client == "client.example[198.51.100.7]"
    assert rows["carol@example.net"].status is Status.BOUNCED and rows["carol@example.net"].code == 550
    assert [a.time for a in cache.attempts(bob.delivery_id)] == [NOW + 10, NOW + 900, NOW + 2000]
    assert [a.result for a in cache.attempts(bob.delivery_id)] == [AttemptResult.DEFERRED, AttemptResult.DEFERRED,
                                                                    AttemptResult.SENT]
    assert cache.raw_lines(bob.message_key) == [f"line {i}" for i in range(7)]
    assert cache.source_state("src") == {"offset": 10}
    assert cache.source_state("other") is None
    assert cache.hosts() == ["mx1"]


def test_same_batch_twice_changes_nothing(cache: Cache) -> None:
    batch = [three_attempts(), make_message(queue_id="DEF456", t=NOW + 5)]
    cache.commit_batch("src", batch, {"offset": 1}, url="file:x", hosts=["mx1"])
    before, counts = dump(cache), table_counts(cache)
    cache.commit_batch("src", batch, {"offset": 1}, url="file:x", hosts=["mx1"])
    assert dump(cache) == before
    assert table_counts(cache) == counts
    assert counts["Delivery"] == 3 and counts["Attempt"] == 5


def test_two_batches_end_identical_to_one(cache_url_factory: Callable[[], str]) -> None:
    whole = three_attempts()
    first, second = split(whole, attempts_first=1, lines_first=3)
    with Cache.open(cache_url_factory()) as one, Cache.open(cache_url_factory()) as two:
        one.commit_batch("src", [whole], {"o": 2}, url="file:x")
        two.commit_batch("src", [first], {"o": 1}, url="file:x")
        assert [m.key for m in two.load_live("src")] == [whole.key]
        two.commit_batch("src", [second], {"o": 2}, url="file:x")
        assert dump(two) == dump(one)
        assert two.load_live("src") == one.load_live("src") == []


def test_load_live_round_trip(cache: Cache) -> None:
    msg = make_message(live=True, recipients={
        "bob@example.com": [attempt(NOW + 10, AttemptResult.DEFERRED), attempt(NOW + 20, AttemptResult.DEFERRED)],
        "Dan@Example.com": [],
    })
    msg.pending = {"17": "Dan@Example.com"}
    msg.notice_of_key = 42
    msg.notice_kind = NoticeKind.DELAY
    done = make_message(queue_id="GONE1")
    other_source = make_message(queue_id="OTHER", live=True)
    cache.commit_batch("src", [msg, done], {}, url="file:x")
    cache.commit_batch("src2", [other_source], {}, url="file:y")
    (restored,) = cache.load_live("src")
    expected = replace(msg, lines=[], deliveries={
        r: replace(d, attempts=[]) for r, d in msg.deliveries.items()
    })
    assert restored == expected
    assert restored.deliveries["bob@example.com"].last == attempt(NOW + 20, AttemptResult.DEFERRED)
    assert [m.queue_id for m in cache.load_live("src2")] == ["OTHER"]


def test_prune_removes_old_messages_with_everything_they_own(cache: Cache) -> None:
    old = make_message(queue_id="OLD", t=NOW - 70 * DAY)
    old_live = make_message(queue_id="OLDLIVE", t=NOW - 61 * DAY, live=True, host="mx2")
    recent = make_message(queue_id="NEW", t=NOW - 59 * DAY, recipients={
        "a@x.org": [attempt(NOW - 59 * DAY)], "b@x.org": [attempt(NOW - 59 * DAY)]})
    cache.commit_batch("src", [old, old_live, recent], {}, url="file:x")
    old_ids = [r.delivery_id for r in cache.iter_deliveries(ALL) if r.queue_id != "NEW"]
    assert cache.prune(now=NOW) == 2
    assert sorted(r.queue_id for r in cache.iter_deliveries(ALL)) == ["NEW", "NEW"]
    assert all(cache.attempts(i) == [] for i in old_ids)
    assert cache.raw_lines(old.key) == [] and cache.raw_lines(recent.key) != []
    assert cache.load_live("src") == []
    assert cache.hosts() == ["mx1"]
    assert cache.prune(now=NOW) == 0
    assert cache.prune(retention_days=30, now=NOW) == 2
    assert list(cache.iter_deliveries(ALL)) == []


def test_mark_synced_and_last_sync(cache: Cache) -> None:
    assert cache.last_sync() is None
    cache.mark_synced(NOW)
    cache.mark_synced(NOW + 0.25)
    assert cache.last_sync() == NOW + 0.25


def test_parallel_sources_commit_from_threads(cache: Cache) -> None:
    errors: list[BaseException] = []

    def worker(host: str) -> None:
        try:
            for b in range(5):
                batch = [make_message(host=host, queue_id=f"Q{b}{i}", t=NOW + b * 100 + i) for i in range(20)]
                cache.commit_batch(f"src-{host}", batch, {"batch": b}, url=f"file:{host}", hosts=[host])
                cache.search(ALL, limit=10)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(h,)) for h in ("mx1", "mx2", "mx3")]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    assert sum(cache.count_by_status(ALL).values()) == 300
    assert cache.hosts() == ["mx1", "mx2", "mx3"]
    assert cache.source_state("src-mx2") == {"batch": 4}


HOSTILE = ["[SPAM] '; DROP TABLE deliveries; --", "[/deferred]", "\x1b[31mred\x1b[0m", "עברית", "x" * 10_000]


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_text_round_trips(cache: Cache, hostile: str) -> None:
    msg = make_message(subject=hostile, lines=[hostile, "second"])
    cache.commit_batch("src", [msg], {}, url="file:x")
    (row,) = cache.search(ALL).rows
    assert row.subject == hostile
    assert cache.raw_lines(msg.key) == [hostile, "second"]


KILL_CHILD = """
import sys
from tests.test_cache_ingest import make_message
from tracktui.cache import Cache
cache = Cache.open(sys.argv[1])
for b in range(10_000):
    batch = [make_message(queue_id=f"B{b}M{i}", t=1_790_000_000.0 + b, lines=["x"] * 20) for i in range(50)]
    cache.commit_batch("src", batch, {"batch": b}, url="file:x", hosts=["mx1"])
    if b == 2:
        print("ready", flush=True)
"""


def test_sigkill_mid_ingest_leaves_whole_batches_only(tmp_path: Path) -> None:
    """A writer killed at a random moment leaves exactly the batches its saved state says it wrote."""
    url = f"sqlite:///{tmp_path / 'killed.sqlite3'}"
    root = Path(__file__).resolve().parent.parent
    proc = subprocess.Popen([sys.executable, "-c", KILL_CHILD, url], cwd=root, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    time.sleep(0.3)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    with Cache.open(url) as cache:
        state = cache.source_state("src")
        assert state is not None and state["batch"] >= 2
        rows = list(cache.iter_deliveries(ALL))
        batches = {int(r.queue_id[1:].split("M")[0]) for r in rows}
        assert batches == set(range(state["batch"] + 1))
        assert len(rows) == 50 * (state["batch"] + 1)
        assert all(cache.raw_lines(r.message_key) == ["x"] * 20 for r in rows[:50])


def test_two_caches_on_one_file_wait_for_each_other(cache_url_factory: Callable[[], str]) -> None:
    """Two independent Cache objects (as two tracktui processes would) write and read one cache."""
    url = cache_url_factory()
    errors: list[BaseException] = []
    with Cache.open(url) as first, Cache.open(url) as second:

        def worker(cache: Cache, host: str) -> None:
            try:
                for b in range(8):
                    batch = [make_message(host=host, queue_id=f"Q{b}{i}", t=NOW + b * 100 + i) for i in range(25)]
                    cache.commit_batch(f"src-{host}", batch, {"batch": b}, url=f"file:{host}", hosts=[host])
                    cache.count_by_status(ALL)
            except BaseException as exc:  # surfaced below
                errors.append(exc)

        threads = [threading.Thread(target=worker, args=(c, h)) for c, h in ((first, "mx1"), (second, "mx2"))]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        assert errors == []
        assert sum(first.count_by_status(ALL).values()) == sum(second.count_by_status(ALL).values()) == 400
