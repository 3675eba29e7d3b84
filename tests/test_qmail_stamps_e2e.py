"""The qmail multilog fixture as other tools stamp it correlates to the same truth.

- ``tai64nlocal.log``: multilog.log through daemontools' real ``tai64nlocal``
  (``TZ=UTC tai64nlocal < multilog.log``).
- ``accustamp.log``: the TAI64N label replaced by a bare unix stamp with six
  decimals (``accustamp``, splogger without syslog).
- ``indimail.log``: indimail's qmail-send, which appends its queue's name to
  every line but ``new msg`` (indimail-mta qmail-send.c: ``log3(" ", queuedesc, "\\n")``).

The derived files are checked against their derivation, so they cannot drift.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import UTC, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.test_exim_qmail_fixtures_e2e import QMAIL, test_qmail_fixture
from tracktui.parsers.detect import detect_mta, make_parser
from tracktui.parsers.qmail import tai64n_epoch

MULTILOG = QMAIL / "multilog.log"


def multilog_lines() -> list[str]:
    return MULTILOG.read_text(encoding="utf-8").splitlines()


def as_accustamp(line: str) -> str:
    epoch = tai64n_epoch(line[:25])
    assert epoch is not None
    return f"{epoch:.6f} {line[26:]}"


def as_indimail(line: str) -> str:
    return line if line[26:].startswith("new msg ") else f"{line} queue1"


@pytest.mark.parametrize(("name", "derive"), [("accustamp.log", as_accustamp), ("indimail.log", as_indimail)])
def test_derived_fixtures_are_their_derivation(name: str, derive: object) -> None:
    assert callable(derive)
    expected = [derive(line) for line in multilog_lines()]
    assert (QMAIL / name).read_text(encoding="utf-8").splitlines() == expected


@pytest.mark.parametrize("fixture", ["tai64nlocal.log", "accustamp.log", "indimail.log"])
def test_fixture_correlates_to_the_multilog_truth(fixture: str) -> None:
    with (QMAIL / fixture).open(encoding="utf-8") as handle:
        assert detect_mta(handle) == "qmail"
    test_qmail_fixture(fixture)


@pytest.mark.parametrize("fixture", ["tai64nlocal.log", "accustamp.log", "indimail.log"])
def test_events_equal_the_multilog_events_but_for_the_line(fixture: str) -> None:
    def events(path: Path, tz: tzinfo = UTC) -> list[tuple[object, ...]]:
        parser = make_parser("qmail", tz=tz, default_host="fixture")
        out = []
        for line in path.read_text(encoding="utf-8").splitlines():
            event = parser.parse(line)
            if event is not None:
                out.append((event.kind, round(event.time, 6), event.queue_id, event.sender, event.recipient,
                            event.result, event.code, event.dsn, event.reply, event.delivery_no,
                            event.related_queue_id, event.notice_kind))  # fmt: skip
        assert parser.stats.malformed == 0, parser.stats.malformed_examples
        return out

    assert events(QMAIL / fixture) == events(MULTILOG)


@pytest.mark.skipif(shutil.which("tai64nlocal") is None, reason="daemontools' tai64nlocal is not installed")
@pytest.mark.parametrize("zone", ["Europe/Berlin", "America/New_York", "Asia/Kolkata"])
def test_real_tai64nlocal_in_other_zones_reads_back_in_that_zone(zone: str) -> None:
    converted = subprocess.run(
        ["tai64nlocal"], input=MULTILOG.read_bytes(), stdout=subprocess.PIPE, check=True,
        env={**os.environ, "TZ": zone},
    ).stdout.decode()  # fmt: skip
    local = make_parser("qmail", tz=ZoneInfo(zone))
    multilog = make_parser("qmail", tz=UTC)
    for original, line in zip(multilog_lines(), converted.splitlines(), strict=True):
        expected, got = multilog.parse(original), local.parse(line)
        assert (expected is None) == (got is None), line
        if expected is not None and got is not None:
            assert abs(got.time - expected.time) < 1e-6, line
