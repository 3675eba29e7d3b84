"""build_filter: status groups, default and bounded date range, retention window, address patterns."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tracktui.errors import UsageError
from tracktui.filters import build_filter, earliest_allowed, normalize_address_pattern, normalize_hosts
from tracktui.model import STATUS_GROUPS, Filter, Status

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 27, 9, 47, tzinfo=BERLIN)


def make(**kwargs) -> Filter:
    values = {"status": None, "since": None, "until": None, "now": NOW, "tz": BERLIN}
    values.update(kwargs)
    return build_filter(**values)


def epoch(*parts: int) -> float:
    return datetime(*parts, tzinfo=BERLIN).timestamp()


@pytest.mark.parametrize("name", sorted(STATUS_GROUPS))
def test_every_status_group(name: str) -> None:
    assert make(status=name).statuses == STATUS_GROUPS[name]


def test_status_groups_cover_what_the_design_says() -> None:
    assert make(status="temporary").statuses == {Status.DEFERRED}
    assert make(status="permanent").statuses == {Status.BOUNCED, Status.EXPIRED, Status.DELETED}
    assert make(status="all").statuses == set(Status)
    assert make(status=None).statuses == {Status.DELIVERED}
    assert make(status=" Permanent ").statuses == {Status.BOUNCED, Status.EXPIRED, Status.DELETED}


def test_unknown_status_names_the_choices() -> None:
    with pytest.raises(UsageError, match=r"unknown status 'sent': choose one of .*temporary.*permanent"):
        make(status="sent")


def test_since_defaults_to_local_midnight_today_and_until_is_open() -> None:
    flt = make()
    assert flt.since == epoch(2026, 11, 27)
    assert flt.until is None


def test_default_since_can_be_changed_or_dropped() -> None:
    assert make(default_since="-7d").since == epoch(2026, 11, 20, 9, 47)
    assert make(default_since=None).since is None
    assert make(since="  ", default_since=None).since is None


def test_range_of_one_day() -> None:
    flt = make(since="2026-11-01", until="2026-11-01")
    assert flt.since == epoch(2026, 11, 1)
    assert flt.until == epoch(2026, 11, 2)


def test_until_today_means_tomorrow_midnight() -> None:
    assert make(until="today").until == epoch(2026, 11, 28)


def test_empty_or_reversed_range_is_refused() -> None:
    with pytest.raises(UsageError, match="the range is empty: start 2026-11-05 00:00 is not before end 2026-11-02"):
        make(since="2026-11-05", until="2026-11-01")
    with pytest.raises(UsageError, match="range is empty"):
        make(since="2026-11-01 10:00", until="2026-11-01 10:00")


def test_earliest_allowed_is_midnight_retention_days_back() -> None:
    assert earliest_allowed(NOW, BERLIN, 60) == datetime(2026, 9, 28, tzinfo=BERLIN)
    assert earliest_allowed(NOW, BERLIN, 7) == datetime(2026, 11, 20, tzinfo=BERLIN)


def test_since_at_the_edge_of_the_window_is_allowed() -> None:
    assert make(since="2026-09-28").since == epoch(2026, 9, 28)
    assert make(since="-60d").since == epoch(2026, 9, 28, 9, 47)
    assert make(since="60 days ago", retention_days=60).since is not None


def test_since_before_the_window_names_the_earliest_allowed_date() -> None:
    with pytest.raises(UsageError) as caught:
        make(since="2026-09-27")
    assert str(caught.value) == (
        "start date 2026-09-27 is older than the 60-day retention window: the earliest allowed date is 2026-09-28"
    )
    with pytest.raises(UsageError, match="7-day retention window: the earliest allowed date is 2026-11-20"):
        make(since="-8d", retention_days=7)


def test_bad_dates_reach_the_user_as_usage_errors() -> None:
    with pytest.raises(UsageError, match="cannot read date 'soon'"):
        make(since="soon")
    with pytest.raises(UsageError, match="cannot read date 'later'"):
        make(until="later")


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("Bob@Example.COM", "bob@example.com"),
        ("  bob@example.com  ", "bob@example.com"),
        ("<Bob@Example.com>", "bob@example.com"),
        ("@Example.NET", "@example.net"),
        ("*@*.example.org", "*@*.example.org"),
        ("bob*", "bob*"),
        ("<>", "<>"),  # the null sender of bounces
        ("", None),
        ("   ", None),
        (None, None),
    ],
)
def test_address_patterns_are_normalised(typed: str | None, stored: str | None) -> None:
    assert normalize_address_pattern(typed, what="recipient") == stored
    assert make(recipient=typed).recipient == stored
    assert make(sender=typed).sender == stored


@pytest.mark.parametrize(
    ("typed", "complaint"),
    [
        ("bob @example.com", "recipient 'bob @example.com' contains a space"),
        ("bob\t@example.com", "contains a space"),
        ("bob\x1b[31m@example.com", "contains control characters"),
        ("bob\x00", "contains control characters"),
        ("a" * 600, "too long"),
    ],
)
def test_bad_address_patterns_are_refused(typed: str, complaint: str) -> None:
    with pytest.raises(UsageError, match="recipient") as caught:
        make(recipient=typed)
    assert complaint in str(caught.value)
    assert "\x1b" not in str(caught.value) and "\x00" not in str(caught.value)


def test_sender_errors_say_sender() -> None:
    with pytest.raises(UsageError, match=r"^sender 'a b' contains a space"):
        make(sender="a b")


def test_other_fields() -> None:
    flt = make(subject="  Quarterly  numbers ", queue_id=" 4F9D195432 ", message_id="<abc@x>",
               hosts=["mx1.example.com", "MX2, mx1.example.com", ""])
    assert flt.subject == "Quarterly  numbers"
    assert flt.queue_id == "4F9D195432"
    assert flt.message_id == "<abc@x>"
    assert flt.hosts == ("mx1.example.com", "MX2")
    assert make(subject="a\nb").subject == "a b"
    with pytest.raises(UsageError, match=r"subject .* contains control characters"):
        make(subject="a\x07b")
    assert normalize_hosts("mx1") == ("mx1",)
    with pytest.raises(UsageError, match="is not a host name"):
        normalize_hosts(["mx 1"])


def test_bound_sender_must_be_one_address() -> None:
    assert make(bound_sender="Alice@Example.com").bound_sender == "alice@example.com"
    assert make().bound_sender is None
    for bad in ("*@example.com", "@example.com", "", "  "):
        with pytest.raises(UsageError, match="bound sender"):
            make(bound_sender=bad)


def test_times_are_epoch_floats() -> None:
    flt = make(since="2026-11-01T00:00:00Z", until="2026-11-02T00:00:00Z")
    assert flt.since == 1793491200.0
    assert flt.until == flt.since + 86400


@pytest.mark.parametrize(("typed", "kind"), [
    ("bob@example.com", "recipient"), ("@example.com", "recipient"), ("bob", "recipient"),
    ("*@*.example", "recipient"), ("4F9D195432", "queue_id"), ("3yqGz14TJrz6tQB", "queue_id"),
    ("1m2Abc-000123-AB", "queue_id"), ("1xYoL6-0001gP-18", "queue_id"),
    ("<journey-1@remote.example>", "message_id"),
])
def test_one_field_takes_an_address_a_queue_id_or_a_message_id(typed: str, kind: str) -> None:
    from tracktui.filters import split_search_text

    assert split_search_text(typed)[0] == kind
