"""Real Exim 4.96 in syslog mode (tests/fixtures/exim-syslog), with and without Exim's own date.

Captured by capture_exim_syslog.py: Exim wrote through syslog(3), the script stored each
message in rsyslog's traditional format; the truth is what Exim answered over SMTP.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tracktui.cache import Cache
from tracktui.model import STATUS_GROUPS, Filter, Status

FIXTURE = Path(__file__).parent / "fixtures" / "exim-syslog"
TRUTH = json.loads((FIXTURE / "truth.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", ["with-exim-date.log", "without-exim-date.log"])
def test_exim_through_syslog_reads_like_its_mainlog(tmp_path: Path, cache_url: str, name: str) -> None:
    truth = TRUTH[name]
    done = subprocess.run([sys.executable, "-m", "tracktui", "sync", "--source", f"file:{FIXTURE / name}",
                           "--cache", cache_url, "--tz", "UTC"], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "(exim)" in done.stdout + done.stderr  # detected as Exim, not as plain syslog noise
    assert "malformed" not in done.stderr, done.stderr
    with Cache.open(cache_url) as cache:
        rows = {r.recipient: r for r in cache.iter_deliveries(Filter(statuses=STATUS_GROUPS["all"]))}
    assert set(rows) == {truth["accepted"]["recipient"], truth["refused"]["recipient"]}
    accepted, refused = rows[truth["accepted"]["recipient"]], rows[truth["refused"]["recipient"]]
    assert accepted.status.value == truth["accepted"]["status"]  # deferred, then exim -Mrm
    assert accepted.queue_id == truth["accepted"]["queue_ids"][0]
    assert (accepted.subject, accepted.message_id, accepted.host) == (truth["subject"], truth["message_id"], "gw")
    # Logged twice (mainlog and rejectlog both go to syslog): one refusal, by our own server.
    assert refused.status is Status.BOUNCED and refused.refused_here
    assert refused.reply is not None and truth["refused"]["rcpt_answer"][1] in refused.reply
