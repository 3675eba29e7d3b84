"""parse_when: every accepted form, end-of-day semantics, DST, and the one-line error."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tracktui.dates import join_dash_values, parse_when, resolve_zone
from tracktui.errors import UsageError

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
NOW = datetime(2026, 11, 27, 9, 47, 12, tzinfo=BERLIN)


def when(text: str, *, end: bool = False, now: datetime = NOW, tz=BERLIN) -> datetime:
    return parse_when(text, now=now, tz=tz, end=end)


@pytest.mark.parametrize(
    ("text", "start", "stop"),
    [
        ("today", datetime(2026, 11, 27), datetime(2026, 11, 28)),
        ("TODAY", datetime(2026, 11, 27), datetime(2026, 11, 28)),
        ("yesterday", datetime(2026, 11, 26), datetime(2026, 11, 27)),
        ("2026-11-01", datetime(2026, 11, 1), datetime(2026, 11, 2)),
        ("2026-12-31", datetime(2026, 12, 31), datetime(2027, 1, 1)),
        ("1 November 2026", datetime(2026, 11, 1), datetime(2026, 11, 2)),
    ],
)
def test_bare_days_start_at_midnight_and_end_at_the_next(text: str, start: datetime, stop: datetime) -> None:
    assert when(text) == start.replace(tzinfo=BERLIN)
    assert when(text, end=True) == stop.replace(tzinfo=BERLIN)
    assert when(text).tzinfo is not None


def test_same_day_as_since_and_until_covers_the_whole_day() -> None:
    since = when("2026-11-01")
    until = when("2026-11-01", end=True)
    assert until.timestamp() - since.timestamp() == 86400
    assert since <= datetime(2026, 11, 1, 23, 59, 59, tzinfo=BERLIN) < until


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("now", datetime(2026, 11, 27, 9, 47, 12)),
        ("2026-11-01 14:00", datetime(2026, 11, 1, 14, 0)),
        ("2026-11-01 14:00:30", datetime(2026, 11, 1, 14, 0, 30)),
        ("2026-11-01T14:00", datetime(2026, 11, 1, 14, 0)),
        ("3 days ago", datetime(2026, 11, 24, 9, 47, 12)),
        ("1 day ago", datetime(2026, 11, 26, 9, 47, 12)),
        ("2 weeks ago", datetime(2026, 11, 13, 9, 47, 12)),
        ("an hour ago", datetime(2026, 11, 27, 8, 47, 12)),
        ("-3d", datetime(2026, 11, 24, 9, 47, 12)),
        ("-12h", datetime(2026, 11, 26, 21, 47, 12)),
        ("-30m", datetime(2026, 11, 27, 9, 17, 12)),
        ("-2w", datetime(2026, 11, 13, 9, 47, 12)),
        ("  -3d ", datetime(2026, 11, 24, 9, 47, 12)),
    ],
)
def test_times_and_relative_forms(text: str, expected: datetime) -> None:
    value = when(text)
    assert value == expected.replace(tzinfo=BERLIN)
    assert when(text, end=True) == value  # end only moves bare days


def test_iso_8601_with_offset_keeps_its_instant() -> None:
    assert when("2026-11-01T14:00:00Z") == datetime(2026, 11, 1, 14, tzinfo=UTC)
    assert when("2026-11-01T14:00:00+05:30") == datetime(2026, 11, 1, 8, 30, tzinfo=UTC)
    assert when("2026-11-01T14:00:00+05:30", end=True) == datetime(2026, 11, 1, 8, 30, tzinfo=UTC)


def test_dates_are_in_the_given_zone() -> None:
    berlin = when("2026-11-10")
    new_york = when("2026-11-10", tz=NEW_YORK)
    assert new_york.timestamp() - berlin.timestamp() == 6 * 3600
    assert new_york.utcoffset() == timedelta(hours=-5)


def test_naive_now_is_taken_in_the_zone() -> None:
    naive_now = datetime(2026, 11, 27, 0, 30)
    assert when("today", now=naive_now, tz=NEW_YORK) == datetime(2026, 11, 27, tzinfo=NEW_YORK)


def test_today_follows_the_zone_not_utc() -> None:
    # 23:30 UTC on the 27th is already the 28th in Berlin.
    late = datetime(2026, 11, 27, 23, 30, tzinfo=UTC)
    assert when("today", now=late) == datetime(2026, 11, 28, tzinfo=BERLIN)
    assert when("today", now=late, tz=NEW_YORK) == datetime(2026, 11, 27, tzinfo=NEW_YORK)


def test_days_back_keep_the_wall_clock_across_dst() -> None:
    # Europe/Berlin left summer time on 2026-10-25 (03:00 CEST -> 02:00 CET).
    after = datetime(2026, 10, 26, 12, 0, tzinfo=BERLIN)
    back = when("-3d", now=after)
    assert back == datetime(2026, 10, 23, 12, 0, tzinfo=BERLIN)
    assert back.utcoffset() == timedelta(hours=2)
    assert after.timestamp() - back.timestamp() == (3 * 24 + 1) * 3600  # 73 real hours: one extra hour that night


def test_hours_back_are_elapsed_time_across_dst() -> None:
    after = datetime(2026, 10, 25, 12, 0, tzinfo=BERLIN)
    back = when("-12h", now=after)
    assert after.astimezone(UTC) - back.astimezone(UTC) == timedelta(hours=12)
    assert back.replace(tzinfo=None) == datetime(2026, 10, 25, 1, 0)  # wall clock moved 11 h only


def test_midnight_on_a_dst_day_is_the_real_local_midnight() -> None:
    assert when("2026-03-29").utcoffset() == timedelta(hours=1)
    assert when("2026-03-29", end=True).utcoffset() == timedelta(hours=2)
    assert when("2026-03-29", end=True).timestamp() - when("2026-03-29").timestamp() == 23 * 3600


def test_a_time_in_the_spring_gap_lands_on_a_real_instant() -> None:
    moment = when("2026-03-29 02:30")  # does not exist on the wall clock in Berlin
    assert moment.astimezone(UTC).astimezone(BERLIN) == moment


@pytest.mark.parametrize(
    "text",
    ["xyz", "", "   ", "monday", "may", "3", "3 days", "-3x", "2026-13-01", "2026-02-30", "2026-11-01 25:00",
     "tomorrowish", "-d", "x" * 200, "2026-11-01\x1b[31m"],
)
def test_unreadable_dates_are_one_line_usage_errors(text: str) -> None:
    with pytest.raises(UsageError) as caught:
        when(text)
    message = str(caught.value)
    assert message.startswith("cannot read date '")
    assert "try today, yesterday, 2026-11-01, '2026-11-01 14:00', '3 days ago' or -3d" in message
    assert "\n" not in message and "\x1b" not in message
    assert len(message) < 250


def test_error_message_quotes_the_input() -> None:
    with pytest.raises(UsageError, match="cannot read date 'xyz': try today"):
        when("xyz")


def test_resolve_zone() -> None:
    assert resolve_zone("Europe/Berlin") == BERLIN
    assert resolve_zone(None).utcoffset(datetime(2026, 1, 1)) is not None
    with pytest.raises(UsageError, match="unknown time zone 'Mars/Olympus'"):
        resolve_zone("Mars/Olympus")


def test_join_dash_values_for_argparse() -> None:
    assert join_dash_values(["search", "--since", "-3d", "--until", "-12h", "--to", "-x"]) == [
        "search", "--since=-3d", "--until=-12h", "--to", "-x",
    ]
    assert join_dash_values(["--since", "today", "-3d"]) == ["--since", "today", "-3d"]
    assert join_dash_values(["--since", "--to", "a"]) == ["--since", "--to", "a"]
