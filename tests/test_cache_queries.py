"""Queries: every filter field against a reference implementation, status groups, keyset pages, counts, bound sender."""

from __future__ import annotations

import fnmatch
import random

import pytest

from tests.test_cache_ingest import NOW, attempt, make_message
from tracktui.cache import Cache
from tracktui.model import STATUS_GROUPS, AttemptResult, DeliveryRow, Filter, Status

ALL = frozenset(Status)
SENDERS = ["Alice@Example.ORG", "bob@example.org", "carol@other.net", "", "x_y%z@odd.example"]
RECIPIENTS = ["dave@gmail.com", "Erin@GMAIL.com", "frank@corp.example.com", "grace@example.com", "h_i@example.com",
              "hxi@example.com", "postmaster@mx.local"]
HOSTS = ["mx1", "mx2", "relay.example"]
SUBJECTS = ["Invoice 42", "100% off [SPAM]", "Re: hello", None, "weekly_report", "Ünïcode test"]
RESULTS = [AttemptResult.SENT] * 5 + [AttemptResult.DEFERRED, AttemptResult.BOUNCED, AttemptResult.EXPIRED]


def build(cache: Cache, n_messages: int = 60, seed: int = 7) -> list[DeliveryRow]:
    """A varied cache (including equal times, to test the keyset tiebreak); returns every row."""
    rnd = random.Random(seed)
    batch = []
    for i in range(n_messages):
        t = NOW - rnd.choice([0, 0, 3600, 86400 * 3, 86400 * 10]) - (i % 4)  # many identical times
        rcpts = {}
        for r in rnd.sample(RECIPIENTS, rnd.randint(1, 3)):
            result = rnd.choice(RESULTS)
            rcpts[r] = [attempt(t, AttemptResult.DEFERRED)] * rnd.randint(0, 1) + [attempt(t + (i % 3), result)]
        batch.append(make_message(host=rnd.choice(HOSTS), queue_id=f"Q{i:04X}", t=t, sender=rnd.choice(SENDERS),
                                  subject=rnd.choice(SUBJECTS), recipients=rcpts))
    cache.commit_batch("src", batch, {}, url="file:x")
    rows = list(cache.iter_deliveries(Filter(statuses=ALL), page_size=1000))
    assert len(rows) == sum(len(m.deliveries) for m in batch)
    return rows


def _addr_match(value: str | None, pattern: str) -> bool:
    value = (value or "").lower()
    pat = pattern.strip().lower()
    if pat == "<>":
        return value == ""
    if "*" in pat:
        return fnmatch.fnmatchcase(value, pat.replace("[", "[[]").replace("?", "[?]"))
    if pat.startswith("@"):
        return value.rpartition("@")[2] == pat[1:] and "@" in value
    if "@" not in pat and "." in pat:
        return "@" in value and value.rpartition("@")[2] == pat
    return value == pat


def reference(rows: list[DeliveryRow], flt: Filter, *, statuses: bool = True) -> list[DeliveryRow]:
    """What the filter should return, computed in Python, newest first."""
    out = []
    for r in rows:
        if statuses and r.status not in flt.statuses:
            continue
        if flt.since is not None and r.time < flt.since:
            continue
        if flt.until is not None and r.time >= flt.until:
            continue
        if flt.recipient and not _addr_match(r.recipient, flt.recipient):
            continue
        if flt.sender and not _addr_match(r.sender, flt.sender):
            continue
        if flt.subject and flt.subject.lower() not in (r.subject or "").lower():
            continue
        if flt.hosts and r.host not in flt.hosts:
            continue
        if flt.queue_id and r.queue_id != flt.queue_id:
            continue
        if flt.message_id and (r.message_id or "").strip("<>") != flt.message_id.strip("<>"):
            continue
        if flt.bound_sender is not None and (r.sender or "").lower() != flt.bound_sender.lower():
            continue
        out.append(r)
    return sorted(out, key=lambda r: (r.time, r.delivery_id), reverse=True)


FILTERS = [
    Filter(statuses=ALL),
    Filter(statuses=ALL, since=NOW - 86400, until=NOW),
    Filter(statuses=ALL, since=NOW - 3600),
    Filter(statuses=ALL, recipient="DAVE@gmail.com"),
    Filter(statuses=ALL, recipient="@gmail.com"),
    Filter(statuses=ALL, recipient="gmail.com"),
    Filter(statuses=ALL, recipient="*@*example.com"),
    Filter(statuses=ALL, recipient="h_i@*"),
    Filter(statuses=ALL, recipient="*example*"),
    Filter(statuses=ALL, recipient="@example.com"),
    Filter(statuses=ALL, sender="alice@example.org"),
    Filter(statuses=ALL, sender="@example.org"),
    Filter(statuses=ALL, sender="x_y%z@*"),
    Filter(statuses=ALL, sender="x*y*"),
    Filter(statuses=ALL, sender="<>"),
    Filter(statuses=ALL, subject="INVOICE"),
    Filter(statuses=ALL, subject="100%"),
    Filter(statuses=ALL, subject="_report"),
    Filter(statuses=ALL, subject="[spam]"),
    Filter(statuses=ALL, hosts=("mx2",)),
    Filter(statuses=ALL, hosts=("mx1", "relay.example")),
    Filter(statuses=ALL, queue_id="Q0005"),
    Filter(statuses=ALL, message_id="Q0007@mx1"),
    Filter(statuses=ALL, message_id="<Q0007@mx1>"),
    Filter(statuses=ALL, message_id="<Q0007@mx2>"),
    Filter(statuses=frozenset({Status.BOUNCED}), recipient="@gmail.com", since=NOW - 7 * 86400),
    Filter(statuses=ALL, sender="bob@example.org", recipient="*.com", hosts=("mx1", "mx2"), since=NOW - 5 * 86400),
    Filter(statuses=ALL, recipient="'; DROP TABLE deliveries; --"),
]


@pytest.fixture
def filled(cache: Cache) -> tuple[Cache, list[DeliveryRow]]:
    return cache, build(cache)


def _flt_id(flt: Filter) -> str:
    fields = ("since", "until", "recipient", "sender", "subject", "hosts", "queue_id", "message_id")
    return ",".join(f"{k}={getattr(flt, k)!r}" for k in fields if getattr(flt, k) not in (None, ())) or "none"


@pytest.mark.parametrize("flt", FILTERS, ids=_flt_id)
def test_every_filter_field_matches_reference(filled: tuple[Cache, list[DeliveryRow]], flt: Filter) -> None:
    cache, rows = filled
    expected = reference(rows, flt)
    assert list(cache.iter_deliveries(flt, page_size=7)) == expected
    counts = cache.count_by_status(flt)
    assert counts == {s: sum(1 for r in reference(rows, flt, statuses=False) if r.status is s) for s in Status}


def test_filters_are_not_vacuous(filled: tuple[Cache, list[DeliveryRow]]) -> None:
    """Most filters select something and none selects everything, so the comparison above means something."""
    _, rows = filled
    sizes = [len(reference(rows, f)) for f in FILTERS[1:]]
    assert sum(1 for s in sizes if 0 < s < len(rows)) >= len(FILTERS) - 6


# in-transit: test_journeys.py; deleted: test_deleted.py (journeys and deletions need real log lines)
@pytest.mark.parametrize("group", sorted(set(STATUS_GROUPS) - {"in-transit", "deleted"}))
def test_status_groups(filled: tuple[Cache, list[DeliveryRow]], group: str) -> None:
    cache, rows = filled
    flt = Filter(statuses=STATUS_GROUPS[group])
    got = list(cache.iter_deliveries(flt))
    assert got == reference(rows, flt)
    assert {r.status for r in got} <= STATUS_GROUPS[group]
    assert got


@pytest.mark.parametrize("limit", [1, 3, 10, 1000])
def test_keyset_pages_cover_everything_once(filled: tuple[Cache, list[DeliveryRow]], limit: int) -> None:
    cache, rows = filled
    flt = Filter(statuses=ALL)
    seen: list[DeliveryRow] = []
    page = cache.search(flt, limit=limit)
    pages = 1
    while True:
        assert len(page.rows) <= limit
        seen.extend(page.rows)
        if page.next_cursor is None:
            break
        assert page.next_cursor.delivery_id == page.rows[-1].delivery_id
        page = cache.search(flt, after=page.next_cursor, limit=limit)
        pages += 1
    assert seen == reference(rows, flt)
    assert len({r.delivery_id for r in seen}) == len(rows)
    assert pages >= len(rows) // limit
    assert len({r.time for r in rows}) < len(rows)  # ties on time exist, so the id tiebreak was exercised


def test_empty_status_set_and_limits(filled: tuple[Cache, list[DeliveryRow]]) -> None:
    cache, _ = filled
    assert cache.search(Filter(statuses=frozenset())).rows == ()
    page = cache.search(Filter(statuses=ALL), limit=5)
    assert len(page.rows) == 5 and page.next_cursor is not None


def test_report_rows_carry_their_attempts(filled: tuple[Cache, list[DeliveryRow]]) -> None:
    cache, rows = filled
    flt = Filter(statuses=ALL, hosts=("mx1",))
    got = list(cache.iter_report_rows(flt))
    assert [r for r, _ in got] == reference(rows, flt)
    for row, attempts in got:
        assert attempts == cache.attempts(row.delivery_id)
        assert len(attempts) == row.attempt_count
        assert attempts[-1].time == row.time


def test_message_deliveries_lists_all_recipients(filled: tuple[Cache, list[DeliveryRow]]) -> None:
    cache, rows = filled
    target = rows[0].message_key
    expected = sorted((r for r in rows if r.message_key == target), key=lambda r: (r.recipient.lower(), r.delivery_id))
    assert cache.message_deliveries(target) == expected


def test_bound_sender_cannot_be_escaped(filled: tuple[Cache, list[DeliveryRow]]) -> None:
    cache, rows = filled
    mine = "alice@example.org"
    bound = Filter(statuses=ALL, bound_sender="ALICE@example.org")
    own = [r for r in rows if (r.sender or "").lower() == mine]
    foreign = [r for r in rows if (r.sender or "").lower() != mine]
    assert own and foreign
    widening = [bound, Filter(statuses=ALL, bound_sender=mine, sender="*"),
                Filter(statuses=ALL, bound_sender=mine, sender="bob@example.org"),
                Filter(statuses=ALL, bound_sender=mine, recipient="*"),
                Filter(statuses=ALL, bound_sender=mine, queue_id=foreign[0].queue_id),
                Filter(statuses=ALL, bound_sender=mine, message_id=foreign[0].message_id)]
    for flt in widening:
        got = list(cache.iter_deliveries(flt))
        assert all((r.sender or "").lower() == mine for r in got), flt
        assert sum(cache.count_by_status(flt).values()) == len(got)
        assert all((r.sender or "").lower() == mine for r, _ in cache.iter_report_rows(flt))
    assert list(cache.iter_deliveries(bound)) == own
    for r in foreign:
        assert cache.message_deliveries(r.message_key, bound) == []
        assert cache.attempts(r.delivery_id, bound) == []
        assert cache.raw_lines(r.message_key, bound) == []
        assert cache.attempts(r.delivery_id) != []  # unbound, the same calls do return data
        assert cache.raw_lines(r.message_key) != []
    for r in own:
        assert cache.attempts(r.delivery_id, bound) == cache.attempts(r.delivery_id)
        assert cache.raw_lines(r.message_key, bound) == cache.raw_lines(r.message_key)
        assert all((d.sender or "").lower() == mine for d in cache.message_deliveries(r.message_key, bound))
    # a wildcard-looking bound sender is an exact address, never a pattern
    assert list(cache.iter_deliveries(Filter(statuses=ALL, bound_sender="*"))) == []
    assert list(cache.iter_deliveries(Filter(statuses=ALL, bound_sender="%"))) == []
