"""Report text helpers: cleaning and fitting untrusted text, the filter in words, file names, months."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from tracktui.errors import UsageError
from tracktui.model import STATUS_GROUPS, Filter, Status
from tracktui.report.glyphs import ELLIPSIS, REPLACEMENT, fitter
from tracktui.report.monthly import month_filter, month_of, report_filename
from tracktui.report.words import filter_words, period_words, status_words

BERLIN = ZoneInfo("Europe/Berlin")


def _local(*parts: int, tz: ZoneInfo = BERLIN) -> float:
    return datetime(*parts, tzinfo=tz).timestamp()


def test_clean_strips_escapes_and_controls_and_replaces_missing_glyphs() -> None:
    fit = fitter()
    cleaned = fit.clean("a\x1b[31mred\x1b[0m\x00b\tc\u202ed 中文 [bold]")
    assert cleaned == f"aredb cd {REPLACEMENT}{REPLACEMENT} [bold]"
    assert "\x1b" not in cleaned
    assert all(char in fit.widths for char in cleaned)


def test_clean_puts_right_to_left_runs_in_visual_order() -> None:
    assert fitter().clean("x שלום y") == "x םולש y"


def test_wrap_respects_width_and_line_limit() -> None:
    fit = fitter()
    text = fit.clean("The quick brown fox jumps over the lazy dog " * 20)
    lines = fit.wrap(text, 30, 7, 3)
    assert len(lines) == 3
    assert all(fit.width(line, 7) <= 30 for line in lines)
    assert lines[-1].endswith(ELLIPSIS)
    assert lines[0].startswith("The quick")


def test_wrap_breaks_long_words_and_addresses() -> None:
    fit = fitter()
    lines = fit.wrap("x" * 10_000, 20, 7, 2)
    assert len(lines) == 2 and all(fit.width(line, 7) <= 20 for line in lines)
    address = fit.wrap("someone.with.a.long.name@subdomain.customer.example", 40, 7, 2)
    assert address[0].endswith((".", "@")), address
    assert "".join(address) == "someone.with.a.long.name@subdomain.customer.example"


def test_short_text_is_left_alone() -> None:
    fit = fitter()
    assert fit.wrap("short", 50, 7, 2) == ["short"]
    assert fit.fit("short", 50, 7) == "short"
    assert fit.wrap("", 50, 7, 2) == []


@pytest.mark.parametrize(
    ("since", "until", "expected"),
    [
        ((2026, 10, 1), (2026, 11, 1), "1–31 October 2026"),
        ((2026, 10, 28), (2026, 11, 4), "28 October – 3 November 2026"),
        ((2025, 12, 30), (2026, 1, 2), "30 December 2025 – 1 January 2026"),
        ((2026, 11, 27), (2026, 11, 28), "27 November 2026"),
    ],
)
def test_period_words(since: tuple[int, int, int], until: tuple[int, int, int], expected: str) -> None:
    assert period_words(_local(*since), _local(*until), BERLIN) == expected


def test_period_words_open_ends_and_times() -> None:
    assert period_words(None, None, BERLIN) == "all dates"
    assert period_words(_local(2026, 11, 1), None, BERLIN) == "since 1 November 2026"
    assert period_words(None, _local(2026, 11, 1), BERLIN) == "before 1 November 2026"
    assert period_words(_local(2026, 11, 1, 14), _local(2026, 11, 1, 16, 30), BERLIN) == (
        "1 November 2026 14:00 – 1 November 2026 16:30"
    )


def test_filter_words_reads_like_the_issue() -> None:
    flt = Filter(statuses=STATUS_GROUPS["permanent"], since=_local(2026, 10, 1), until=_local(2026, 11, 1),
                 recipient="@example.com")
    assert filter_words(flt, BERLIN) == "Permanently rejected, 1–31 October 2026, to @example.com"
    other = Filter(statuses=frozenset({Status.DELIVERED, Status.EXPIRED}), sender="a@b.example", hosts=("mx1",),
                   subject="invoice")
    words = filter_words(other, BERLIN)
    assert words.startswith("Delivered or Expired, all dates")
    assert "from a@b.example" in words and "on mx1" in words and "invoice" in words
    assert status_words(STATUS_GROUPS["temporary"]) == "Temporarily rejected"


def test_report_filename_is_safe_and_names_the_filter() -> None:
    flt = Filter(statuses=STATUS_GROUPS["permanent"], since=_local(2026, 11, 1), until=_local(2026, 11, 28),
                 recipient="@example.com")
    name = report_filename(flt, BERLIN, datetime(2026, 11, 27, 12, tzinfo=BERLIN))
    assert name == "tracktui-permanent-2026-11-01_2026-11-27-to-example.com.pdf"
    hostile = Filter(statuses=STATUS_GROUPS["all"], recipient="../../etc/passwd *x*", since=_local(2026, 11, 1))
    name = report_filename(hostile, BERLIN, datetime(2026, 11, 27, 12, tzinfo=BERLIN))
    assert "/" not in name and " " not in name and "*" not in name
    assert name.startswith("tracktui-all-2026-11-01_2026-11-27-to-")


def test_month_of_previous_and_named_month() -> None:
    now = datetime(2026, 1, 15, 9, tzinfo=BERLIN)
    month = month_of(None, now=now, tz=BERLIN)
    assert month.label == "2025-12" and month.words == "December 2025"
    assert month.since == datetime(2025, 12, 1, tzinfo=BERLIN)
    assert month.until == datetime(2026, 1, 1, tzinfo=BERLIN)
    october = month_of("2026-10", now=now, tz=BERLIN)
    flt = month_filter(october)
    assert flt.statuses == frozenset(Status)
    assert flt.since == _local(2026, 10, 1) and flt.until == _local(2026, 11, 1)
    # 31 days less the DST hour on 25 October
    assert flt.until - flt.since == 31 * 86400 + 3600


@pytest.mark.parametrize("text", ["2026-13", "26-10", "October", "2026-10-01", ""])
def test_month_of_refuses_bad_months(text: str) -> None:
    with pytest.raises(UsageError):
        month_of(text, now=datetime(2026, 1, 1, tzinfo=UTC), tz=UTC)
