"""Real Postfix 3.7 output for the fidelity cases (tests/fixtures/postfix-fidelity), checked against its truth.

The truth was written by capture_postfix_fidelity.py from what it sent and what the two smtpd
services answered it; the log is the instance's own ``maillog_file`` (``Dec 02`` stamps).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tracktui.cache import Cache
from tracktui.model import STATUS_GROUPS, DeliveryRow, Filter, Status

FIXTURE = Path(__file__).parent / "fixtures" / "postfix-fidelity"
TRUTH = json.loads((FIXTURE / "truth.json").read_text(encoding="utf-8"))


def synced(tmp_path: Path, cache_url: str, *, crlf: bool) -> tuple[list[DeliveryRow], str]:
    log = FIXTURE / "fidelity.log"
    if crlf:  # the same real log as copied from another system
        copy = tmp_path / "fidelity-crlf.log"
        copy.write_bytes(log.read_bytes().replace(b"\n", b"\r\n"))
        log = copy
    done = subprocess.run([sys.executable, "-m", "tracktui", "sync", "--source", f"file:{log}", "--cache", cache_url,
                           "--tz", "UTC"], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    with Cache.open(cache_url) as cache:
        return list(cache.iter_deliveries(Filter(statuses=STATUS_GROUPS["all"]))), done.stderr


def _comparable(rows: list[DeliveryRow]) -> list[tuple[object, ...]]:
    return sorted((r.queue_id, r.recipient, r.status, r.reply, r.subject, r.message_id, r.time) for r in rows)


@pytest.mark.parametrize("crlf", [False, True], ids=["LF", "CRLF"])
def test_real_postfix_fidelity_cases(tmp_path: Path, cache_url: str, crlf: bool) -> None:
    rows, stderr = synced(tmp_path, cache_url, crlf=crlf)
    assert "malformed" not in stderr, stderr
    refusals = TRUTH["same_second_refusals"]
    refused = [r for r in rows if r.recipient == refusals["recipient"]]
    # Two refusals in the same second by two smtpd services: two rows, each with its own reply.
    assert sorted(r.reply for r in refused) == sorted(f"{a['code']} {a['reply']}" for a in refusals["answers"])
    assert all(r.refused_here and r.status is Status.BOUNCED and r.sender == refusals["sender"] for r in refused)
    folded = TRUTH["folded_subject"]
    (subject_row,) = [r for r in rows if r.message_id == folded["message_id"]]
    assert subject_row.subject == folded["subject"]
    deleted = TRUTH["deleted"]
    (gone,) = [r for r in rows if r.queue_id == deleted["queue_id"]]
    assert gone.status.value == deleted["status"] and gone.recipient == deleted["recipient"]


def test_a_crlf_copy_reads_exactly_like_the_original(tmp_path: Path) -> None:
    lf, _ = synced(tmp_path, f"sqlite:///{tmp_path / 'lf.sqlite3'}", crlf=False)
    crlf, _ = synced(tmp_path, f"sqlite:///{tmp_path / 'crlf.sqlite3'}", crlf=True)
    assert _comparable(lf) == _comparable(crlf)


def test_the_decoded_subject_is_searchable(tmp_path: Path, cache_url: str) -> None:
    synced(tmp_path, cache_url, crlf=False)
    with Cache.open(cache_url) as cache:
        found = list(cache.iter_deliveries(Filter(statuses=STATUS_GROUPS["all"], subject="Grüße aus Köln")))
    assert [r.message_id for r in found] == [TRUTH["folded_subject"]["message_id"]]


def test_refusals_that_name_no_recipient_are_read_and_make_no_rows(tmp_path: Path, cache_url: str) -> None:
    """Real VRFY, ETRN, EHLO and CONNECT refusals: recognised (not "malformed"), and no mail, so no row."""
    rows, stderr = synced(tmp_path, cache_url, crlf=False)
    assert "malformed" not in stderr
    log = (FIXTURE / "fidelity.log").read_text(encoding="utf-8")
    for refused in TRUTH["refused_commands"]:
        code, text = refused["answer"]
        assert f"reject: {refused['command']} from localhost[127.0.0.1]: {code} {text}" in log
        assert not any(r.reply and text in r.reply and refused["command"] != "VRFY" for r in rows)
    # The VRFY probe names a recipient that was also refused at RCPT: still only the two RCPT refusals.
    assert len([r for r in rows if r.recipient == TRUTH["same_second_refusals"]["recipient"]]) == 2
