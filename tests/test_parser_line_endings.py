"""CRLF logs (copied from Windows, passed through some syslog relays) read exactly like the LF original.

Every real fixture is read twice, once as captured and once with ``\\r\\n``
line ends, by fresh parsers; every event, every counter and the detected MTA
must be the same.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tracktui.parsers.detect import detect_mta, make_parser

FIXTURES = Path(__file__).parent / "fixtures"
LOGS = sorted(
    [*FIXTURES.glob("postfix/*.log"), *FIXTURES.glob("exim/*.log"), *FIXTURES.glob("qmail/*.log")],
    key=lambda p: (p.parent.name, p.name),
)
REFERENCE = datetime(2026, 12, 1, tzinfo=UTC).timestamp()


def read_lines(path: Path, newline: str) -> list[str]:
    """The file's lines as a source hands them to a parser (line end removed, a ``\\r`` of CRLF kept)."""
    data = path.read_bytes().decode("utf-8", "surrogateescape")
    if newline == "\r\n":
        data = data.replace("\n", "\r\n")
    return data.split("\n")[:-1] if data.endswith("\n") else data.split("\n")


def parse_all(mta: str, lines: list[str]) -> tuple[list[dict[str, object]], tuple[int, ...]]:
    parser = make_parser(mta, tz=UTC, reference_time=REFERENCE, default_host="fixture")
    events = [asdict(e) for line in lines if (e := parser.parse(line)) is not None]
    stats = parser.stats
    return events, (stats.lines, stats.events, stats.foreign, stats.malformed, stats.ignored)


@pytest.mark.parametrize("log", LOGS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_crlf_log_reads_like_the_lf_log(log: Path) -> None:
    mta = log.parent.name
    lf = read_lines(log, "\n")
    crlf = read_lines(log, "\r\n")
    assert all(line.endswith("\r") for line in crlf)
    assert detect_mta(lf) == detect_mta(crlf) == mta
    lf_events, lf_stats = parse_all(mta, lf)
    crlf_events, crlf_stats = parse_all(mta, crlf)
    assert lf_events, "fixture produced no events"
    assert crlf_stats == lf_stats
    assert crlf_events == lf_events


@pytest.mark.parametrize("log", LOGS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_crlf_detected_from_a_text_handle(log: Path, tmp_path: Path) -> None:
    """A file opened in text mode with ``newline=""`` keeps the ``\\r\\n``; detection reads it anyway."""
    copy = tmp_path / log.name
    copy.write_bytes(log.read_bytes().replace(b"\n", b"\r\n"))
    with copy.open(encoding="utf-8", errors="surrogateescape", newline="") as handle:
        assert detect_mta(handle) == log.parent.name


@pytest.mark.parametrize("mta", ["postfix", "exim", "qmail"])
def test_repeated_carriage_returns(mta: str) -> None:
    """``\\r\\r`` at the end (a CRLF log converted twice) is stripped too."""
    line = {
        "postfix": "Nov 27 09:00:01 mx postfix/qmgr[1]: 4F2A1B3C4D: removed",
        "exim": "2026-11-27 09:00:01 1xWsoX-0000hv-2p Completed",
        "qmail": "@400000006b09469b00000000 end msg 3801",
    }[mta]
    clean = make_parser(mta, tz=UTC, reference_time=REFERENCE).parse(line)
    doubled = make_parser(mta, tz=UTC, reference_time=REFERENCE).parse(line + "\r\r")
    assert clean is not None and doubled is not None
    assert asdict(doubled) == asdict(clean)
