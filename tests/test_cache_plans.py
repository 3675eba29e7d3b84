"""SQLite query plans: every listing and count is an index range read, never a scan of deliveries.

Plans are checked on a fresh cache (no planner statistics), which is what a
first sync followed by a first search sees.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tracktui.cache import Cache
from tracktui.model import STATUS_GROUPS, Filter, PageCursor, Status

NOW = 1_790_000_000.0
DAY = 86400.0
ALL = frozenset(Status)

CASES = [
    ("today delivered", Filter(since=NOW - DAY, until=NOW), "deliveries_status_time_id"),
    ("permanent to a domain", Filter(statuses=STATUS_GROUPS["permanent"], since=NOW - 7 * DAY,
                                     recipient="@gmail.com"), "deliveries_recipient_domain_status_time_id"),
    ("bare domain", Filter(statuses=ALL, recipient="gmail.com"), "deliveries_recipient_domain_status_time_id"),
    # An exact address is also looked up as a journey's other address (orig_to, final), on its own index.
    ("one recipient", Filter(statuses=ALL, since=NOW - 60 * DAY, recipient="a@b.example"),
     "deliveries_recipient_lc_status_time_id|deliveries_alt_lc_status_time_id"),
    ("one sender", Filter(statuses=ALL, sender="a@b.example"), "deliveries_sender_lc_status_time_id"),
    ("bound sender", Filter(statuses=ALL, bound_sender="a@b.example", since=NOW - DAY),
     "deliveries_sender_lc_status_time_id"),
    # A queue id or Message-ID of any leg: its rows, and the first leg of a journey by its key.
    ("queue id", Filter(statuses=ALL, queue_id="4XyZ1", since=NOW - 60 * DAY), "deliveries_message_key|deliveries_id"),
    ("message id", Filter(statuses=ALL, message_id="<a@b>"), "deliveries_message_key|deliveries_id"),
    ("all statuses", Filter(statuses=ALL, since=NOW - 60 * DAY), "deliveries_status_time_id"),
    ("subject", Filter(statuses=ALL, subject="invoice"), "deliveries_status_time_id"),
    ("wildcard", Filter(statuses=ALL, recipient="*@*.example"), "deliveries_status_time_id"),
]


@pytest.fixture(scope="module")
def sqlite_cache(tmp_path_factory: pytest.TempPathFactory) -> Cache:
    path: Path = tmp_path_factory.mktemp("plans") / "plans.sqlite3"
    cache = Cache.open(str(path))
    yield cache
    cache.close()


def plan(cache: Cache, sql: str, params: list[object]) -> list[str]:
    db = cache.models.delivery._meta.database
    with db.connection_context():
        return [row[3] for row in db.execute_sql("EXPLAIN QUERY PLAN " + sql, params).fetchall()]


def _assert_indexed(lines: list[str], index: str) -> None:
    on_deliveries = [line for line in lines if " deliveries" in line]
    assert on_deliveries, lines
    assert all(line.startswith("SEARCH deliveries USING") for line in on_deliveries), lines
    assert all(any(name in line for name in index.split("|")) for line in on_deliveries), lines
    for name in index.split("|"):
        assert any(name in line for line in on_deliveries), (name, lines)


@pytest.mark.parametrize(("name", "flt", "index"), CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("page", ["first", "later"])
def test_listing_uses_the_index(sqlite_cache: Cache, name: str, flt: Filter, index: str, page: str) -> None:
    after = PageCursor(NOW - 10, 12345) if page == "later" else None
    statement = sqlite_cache._reader.search_sql(flt, after, 100)
    assert statement is not None
    lines = plan(sqlite_cache, *statement)
    _assert_indexed(lines, index)
    if not index.startswith("deliveries_message_key"):
        # Each branch reads its index in order: the only sort is the merge of <= 100 rows per branch.
        searches = [i for i, line in enumerate(lines) if line.startswith("SEARCH deliveries")]
        assert all(i + 1 >= len(lines) or "TEMP B-TREE" not in lines[i + 1] for i in searches), lines
    if after is not None and not index.startswith("deliveries_message_key"):
        assert all("time<?" in line for line in lines if line.startswith("SEARCH deliveries")), lines


@pytest.mark.parametrize(("name", "flt", "index"), CASES, ids=[c[0] for c in CASES])
def test_counts_use_the_index(sqlite_cache: Cache, name: str, flt: Filter, index: str) -> None:
    _assert_indexed(plan(sqlite_cache, *sqlite_cache._reader.count_sql(flt)), index)


def test_cursor_not_until_bounds_later_pages(sqlite_cache: Cache) -> None:
    """Below ``until``, the cursor alone is the range's upper end (else page N would skip N-1 pages)."""
    flt = Filter(since=NOW - DAY, until=NOW)
    first = sqlite_cache._reader.search_sql(flt, None, 100)
    later = sqlite_cache._reader.search_sql(flt, PageCursor(NOW - 50, 7), 100)
    assert first is not None and later is not None
    assert NOW in first[1]
    assert NOW not in later[1]
    odd = sqlite_cache._reader.search_sql(flt, PageCursor(NOW + 50, 7), 100)  # a cursor past until keeps it
    assert odd is not None and NOW in odd[1]


COVERED = [case for case in CASES if case[0] in ("all statuses", "one recipient", "one sender")]


@pytest.mark.parametrize(("name", "flt", "index"), COVERED, ids=[c[0] for c in COVERED])
def test_counts_are_answered_from_the_index_alone(sqlite_cache: Cache, name: str, flt: Filter, index: str) -> None:
    """Counting a million deliveries must not look up a million rows (notices are excluded via the index)."""
    lines = [line for line in plan(sqlite_cache, *sqlite_cache._reader.count_sql(flt)) if " deliveries" in line]
    assert lines and all("USING COVERING INDEX" in line for line in lines), lines
