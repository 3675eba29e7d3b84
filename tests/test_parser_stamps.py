"""Envelope stamps: the spellings of a syslog day, and Exim lines carried by syslog with or without Exim's stamp."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime

import pytest

from tracktui.model import EventKind
from tracktui.parsers.detect import detect_mta, make_parser
from tracktui.parsers.syslog import EnvelopeParser

REFERENCE = datetime(2026, 12, 31, tzinfo=UTC).timestamp()
BODIES = {
    "postfix": "postfix/qmgr[12]: 4F2A1B3C4D: removed",
    "exim": "exim[123]: 1xWsoX-0000hv-2p Completed",
    "qmail": "qmail: 1795770001.000000 end msg 3801",
}


def epoch(*parts: int) -> float:
    return datetime(*parts, tzinfo=UTC).timestamp()


@pytest.mark.parametrize(
    ("stamp", "expected"),
    [
        ("Mar  7 02:09:33", epoch(2026, 3, 7, 2, 9, 33)),
        ("Mar 7 02:09:33", epoch(2026, 3, 7, 2, 9, 33)),
        ("Mar 07 02:09:33", epoch(2026, 3, 7, 2, 9, 33)),
        ("Dec 02 10:00:00", epoch(2026, 12, 2, 10, 0, 0)),
        ("Dec 12 10:00:00", epoch(2026, 12, 12, 10, 0, 0)),
    ],
)
def test_day_spellings_are_one_stamp(stamp: str, expected: float) -> None:
    split = EnvelopeParser(tz=UTC, reference_time=REFERENCE).split(f"{stamp} mx postfix/qmgr[1]: X: removed")
    assert split is not None
    assert (split.time, split.host, split.program, split.pid, split.message) == (
        expected,
        "mx",
        "postfix/qmgr",
        "1",
        "X: removed",
    )


@pytest.mark.parametrize("mta", sorted(BODIES))
@pytest.mark.parametrize("stamp", ["Mar 7 02:09:33", "Mar 07 02:09:33"])
def test_every_parser_reads_the_other_day_spellings_like_the_padded_one(mta: str, stamp: str) -> None:
    padded = make_parser(mta, tz=UTC, reference_time=REFERENCE).parse(f"Mar  7 02:09:33 mx {BODIES[mta]}")
    parser = make_parser(mta, tz=UTC, reference_time=REFERENCE)
    # twice: the second read goes through the parsers' memoised fast paths
    events = [parser.parse(f"{stamp} mx {BODIES[mta]}") for _ in range(2)]
    assert padded is not None
    for event in events:
        assert event is not None
        assert (event.kind, event.time, event.host, event.queue_id) == (
            padded.kind,
            padded.time,
            padded.host,
            padded.queue_id,
        )
    assert parser.stats.malformed == 0


@pytest.mark.parametrize("stamp", ["Mar 7 02:09:33", "Dec 02 10:00:00"])
def test_detection_reads_the_other_day_spellings(stamp: str) -> None:
    for mta, body in BODIES.items():
        assert detect_mta([f"{stamp} mx {body}"] * 3) == mta


def test_a_bad_unpadded_stamp_is_no_envelope() -> None:
    envelope = EnvelopeParser(tz=UTC, reference_time=REFERENCE)
    assert envelope.split("Mar 7 2:09:33x mx postfix/qmgr[1]: X: removed") is None
    assert envelope.split("Foo 7 02:09:33 mx postfix/qmgr[1]: X: removed") is None


# -- Exim through syslog ---------------------------------------------------------------

EXIM_BODY = (
    '1m2Abc-000123-AB <= a@example.net H=(client) [192.0.2.1]:4242 P=esmtp S=496 id=x@y T="Hi" for b@example.org'
)


@pytest.mark.parametrize(
    "line",
    [
        f"Jul 17 10:01:02 host exim[123]: 2021-07-17 10:01:02 {EXIM_BODY}",
        f"Jul 17 10:01:02 host exim[123]: {EXIM_BODY}",
        f"Jul 17 10:01:02 host exim4[123]: {EXIM_BODY}",
        f"Jul 17 10:01:02 host exim[123]: 2021-07-17 10:01:02.123 +0000 [123] {EXIM_BODY}",
        f"2021-07-17T10:01:02.000000+00:00 host exim[123]: {EXIM_BODY}",
    ],
)
def test_exim_lines_wrapped_by_syslog_with_and_without_exims_stamp(line: str) -> None:
    assert detect_mta([line]) == "exim"
    parser = make_parser("exim", tz=UTC, reference_time=datetime(2021, 8, 1, tzinfo=UTC).timestamp())
    event = parser.parse(line)
    assert event is not None, parser.stats
    assert event.kind is EventKind.ENVELOPE
    assert (event.host, event.queue_id, event.sender, event.subject) == (
        "host",
        "1m2Abc-000123-AB",
        "a@example.net",
        "Hi",
    )
    assert event.time == epoch(2021, 7, 17, 10, 1, 2)


def test_exim_syslog_line_reads_like_the_own_log_line() -> None:
    own = make_parser("exim", tz=UTC, default_host="host").parse(f"2021-07-17 10:01:02 {EXIM_BODY}")
    wrapped = make_parser("exim", tz=UTC, reference_time=epoch(2021, 8, 1)).parse(
        f"Jul 17 10:01:02 host exim[123]: {EXIM_BODY}"
    )
    assert own is not None and wrapped is not None
    own_fields, wrapped_fields = asdict(own), asdict(wrapped)
    own_fields.pop("line"), wrapped_fields.pop("line")
    assert wrapped_fields == own_fields
