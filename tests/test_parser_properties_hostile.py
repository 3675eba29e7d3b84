"""Property tests: a line with CR, NUL or broken UTF-8 never raises and never changes another line's result.

Each MTA's real fixture is the background. A hostile line -- a real line's
start (so it reaches the fast paths and their caches) followed by text full of
``\\r``, ``\\x00``, lone surrogates (undecodable bytes read with
``surrogateescape``) and U+FFFD -- is inserted anywhere; every other line
must then give exactly the events it gives without it. A hostile line that
itself yields an event may legitimately change what follows (a real
deferral does), so those examples only check that nothing raised.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tracktui.parsers.detect import detect_mta, make_parser

FIXTURES = Path(__file__).parent / "fixtures"
BACKGROUND = {
    "postfix": FIXTURES / "postfix" / "retry.log",
    "exim": FIXTURES / "exim" / "expiry.log",
    "qmail": FIXTURES / "qmail" / "multilog.log",
}
REFERENCE = datetime(2026, 12, 1, tzinfo=UTC).timestamp()
PROPERTY = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
NASTY = ["\r", "\x00", "\udcff", "\udc80", "\ud800", "\ufffd", "\r\n", "\x1b[31m", ": ", " ", "<", ">", "=?", '"']


@cache
def background(mta: str) -> tuple[str, ...]:
    return tuple(BACKGROUND[mta].read_bytes().decode("utf-8", "surrogateescape").splitlines())


def run(mta: str, lines: list[str] | tuple[str, ...]) -> tuple[list[dict[str, Any] | None], Any]:
    parser = make_parser(mta, tz=UTC, reference_time=REFERENCE, default_host="fixture")
    results = []
    for line in lines:
        event = parser.parse(line)
        results.append(None if event is None else asdict(event))
    stats = parser.stats
    assert stats.lines == len(lines)
    assert stats.events + stats.ignored + stats.foreign + stats.malformed == len(lines)
    return results, stats


@cache
def baseline(mta: str) -> list[dict[str, Any] | None]:
    return run(mta, background(mta))[0]


@st.composite
def hostile_lines(draw: st.DrawFn, mta: str) -> str:
    lines = background(mta)
    start = draw(st.sampled_from(lines))
    cut = draw(st.integers(0, len(start)))
    junk = draw(st.lists(st.one_of(st.sampled_from(NASTY), st.text(max_size=8)), min_size=1, max_size=10))
    line = start[:cut] + "".join(junk)
    assume(any(c in line for c in ("\r", "\x00")) or any("\ud800" <= c <= "\udfff" for c in line))
    return line


def check_insertion(mta: str, hostile: str, at: int) -> None:
    lines = list(background(mta))
    at = min(at, len(lines))
    results, _ = run(mta, [*lines[:at], hostile, *lines[at:]])
    if results[at] is not None:
        return  # the inserted line carried an event of its own: later lines may rightly differ
    assert results[:at] + results[at + 1 :] == baseline(mta)


@PROPERTY
@given(hostile_lines("postfix"), st.integers(0, 40))
def test_postfix_hostile_line_changes_no_other_line(hostile: str, at: int) -> None:
    check_insertion("postfix", hostile, at)


@PROPERTY
@given(hostile_lines("exim"), st.integers(0, 40))
def test_exim_hostile_line_changes_no_other_line(hostile: str, at: int) -> None:
    check_insertion("exim", hostile, at)


@PROPERTY
@given(hostile_lines("qmail"), st.integers(0, 70))
def test_qmail_hostile_line_changes_no_other_line(hostile: str, at: int) -> None:
    check_insertion("qmail", hostile, at)


@PROPERTY
@given(st.sampled_from(sorted(BACKGROUND)), st.data())
def test_a_trailing_cr_never_changes_a_result(mta: str, data: st.DataObject) -> None:
    """For any line (real, cut, or with junk appended), ``line + "\\r"`` reads exactly like ``line``."""
    start = data.draw(st.sampled_from(background(mta)))
    line = start[: data.draw(st.integers(0, len(start)))] + data.draw(st.text(max_size=20))
    line = line.rstrip("\r")
    plain, plain_stats = run(mta, [line])
    with_cr, cr_stats = run(mta, [line + "\r"])
    assert with_cr == plain
    assert (cr_stats.events, cr_stats.ignored, cr_stats.foreign, cr_stats.malformed) == (
        plain_stats.events, plain_stats.ignored, plain_stats.foreign, plain_stats.malformed
    )  # fmt: skip


@PROPERTY
@given(st.lists(st.one_of(st.sampled_from(NASTY), st.text(max_size=30)), max_size=30))
def test_detection_never_raises(lines: list[str]) -> None:
    assert detect_mta(lines) in (None, "postfix", "exim", "qmail")
