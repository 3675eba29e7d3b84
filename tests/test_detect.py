"""MTA detection in every envelope, and the parser registry."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tracktui.parsers.detect import DETECT_LINES, PARSERS, detect_mta, make_parser
from tracktui.parsers.exim import EximParser
from tracktui.parsers.qmail import QmailParser

FIXTURES = Path(__file__).parent / "fixtures"
EPOCH_US = "1795770001000000"

MESSAGES = {
    "postfix": ("postfix/qmgr", "4FgH2k1xYz: from=<a@b.example>, size=1234, nrcpt=1 (queue active)"),
    "exim": ("exim", "1tGxyz-0001AB-Cd => bob@x.org R=dnslookup T=remote_smtp H=mx.x.org [1.2.3.4]"),
    "qmail": ("qmail", "1795770001.000000 new msg 3801"),
}


def envelopes(program: str, message: str) -> dict[str, str]:
    return {
        "traditional": f"Nov 27 09:00:01 mx1 {program}[123]: {message}",
        "rfc3339": f"2026-11-27T09:00:01.123456+01:00 mx1 {program}[123]: {message}",
        "journal": json.dumps(
            {"MESSAGE": message, "SYSLOG_IDENTIFIER": program, "__REALTIME_TIMESTAMP": EPOCH_US, "_HOSTNAME": "mx1"}
        ),
    }


NOISE = [
    "Nov 27 09:00:00 mx1 CRON[99]: (root) CMD (run-parts /etc/cron.hourly)",
    "Nov 27 09:00:00 mx1 sshd[100]: Accepted publickey for admin from 192.0.2.1 port 5000",
    "",
    "garbage that is no log line at all",
]


@pytest.mark.parametrize("mta", sorted(MESSAGES))
@pytest.mark.parametrize("envelope", ["traditional", "rfc3339", "journal"])
def test_each_mta_in_each_syslog_envelope(mta: str, envelope: str) -> None:
    program, message = MESSAGES[mta]
    line = envelopes(program, message)[envelope]
    assert detect_mta([*NOISE, line, *NOISE]) == mta


def test_exim_own_stamps() -> None:
    assert detect_mta(["2026-11-27 09:00:01 1tGxyz-0001AB-Cd Completed"]) == "exim"
    assert detect_mta(["2026-11-27 09:00:01.123 +0100 [77] 1tGxyz-00000001AbC-1234 <= a@b.example P=local"]) == "exim"
    assert (
        detect_mta(["2026-11-27 09:00:01 H=(x) [192.0.2.1] F=<a@b> rejected RCPT <c@d>: relay not permitted"]) == "exim"
    )
    assert detect_mta(
        ["2026-11-27 09:00:01 exim 4.96 daemon started: pid=1, listening for SMTP on [127.0.0.1]:25"]
    ) == ("exim")


def test_exim4_program_name() -> None:
    assert detect_mta(["Nov 27 09:00:01 mx1 exim4[1]: 2026-11-27 09:00:01 1tGxyz-0001AB-Cd Completed"]) == "exim"


def test_multilog_qmail() -> None:
    assert detect_mta(["@400000006b09469b00000000 new msg 3801"]) == "qmail"
    assert detect_mta(["@400000006b09469b00000000 something else entirely"]) is None


def test_nothing_recognisable() -> None:
    assert detect_mta(NOISE) is None
    assert detect_mta([]) is None


def test_majority_wins_and_limit_applies() -> None:
    postfix = envelopes(*MESSAGES["postfix"])["traditional"]
    exim = envelopes(*MESSAGES["exim"])["traditional"]
    assert detect_mta([exim, postfix, postfix]) == "postfix"
    lines = [NOISE[0]] * DETECT_LINES + [exim]
    assert detect_mta(lines) is None
    assert detect_mta(lines, limit=DETECT_LINES + 1) == "exim"


def test_detect_reads_lazily() -> None:
    consumed = 0

    def lines():
        nonlocal consumed
        while True:
            consumed += 1
            yield NOISE[0]

    assert detect_mta(lines()) is None
    assert consumed == DETECT_LINES


def test_trailing_newlines_are_tolerated() -> None:
    assert detect_mta(["2026-11-27 09:00:01 1tGxyz-0001AB-Cd Completed\n"]) == "exim"


@pytest.mark.parametrize(
    ("path", "mta"),
    [("exim/delivery.log", "exim"), ("qmail/multilog.log", "qmail"), ("qmail/syslog.log", "qmail")],
)
def test_fixtures(path: str, mta: str) -> None:
    file = FIXTURES / path
    if not file.exists():
        pytest.fail(f"fixture {path} is missing")
    with file.open(encoding="utf-8", errors="surrogateescape") as handle:
        assert detect_mta(handle) == mta


def test_postfix_fixture_when_captured() -> None:
    logs = sorted((FIXTURES / "postfix").glob("*.log"))
    assert logs, "postfix fixtures are missing"
    with logs[0].open(encoding="utf-8", errors="surrogateescape") as handle:
        assert detect_mta(handle) == "postfix"


def test_make_parser() -> None:
    exim = make_parser("exim", default_host="h", reference_time=0.0)
    assert isinstance(exim, EximParser) and exim.default_host == "h"
    assert isinstance(make_parser("QMAIL"), QmailParser)
    postfix = make_parser("postfix")
    assert postfix.mta == "postfix"
    assert set(PARSERS) == {"postfix", "exim", "qmail"}
    with pytest.raises(ValueError, match="auto"):
        make_parser("auto")
    with pytest.raises(ValueError, match="sendmail"):
        make_parser("sendmail")
