"""Mail an administrator deleted from the queue is "deleted", not "deferred, your server will retry".

Postfix ``postsuper -d`` logs ``postsuper[..]: QID: removed``; Exim ``-Mrm`` logs ``QID removed by
root`` then ``Completed`` (tests/fixtures/exim, captured from a real Exim, has both).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tracktui.cache import Cache
from tracktui.model import STATUS_GROUPS, Filter, Status
from tracktui.smtp import describe_retry, explain_delivery

EXIM_FIXTURE = Path(__file__).parent / "fixtures" / "exim" / "delivery.log"
POSTFIX_LINES = [
    "Dec  1 09:00:00 mx postfix/pickup[100]: 4F2A1B3C4D: uid=0 from=<root>",
    "Dec  1 09:00:00 mx postfix/cleanup[101]: 4F2A1B3C4D: message-id=<stuck@mx>",
    "Dec  1 09:00:00 mx postfix/qmgr[102]: 4F2A1B3C4D: from=<root@mx>, size=300, nrcpt=1 (queue active)",
    "Dec  1 09:00:31 mx postfix/smtp[103]: 4F2A1B3C4D: to=<bob@gone.example>, relay=none, delay=31, "
    "delays=0/0/31/0, dsn=4.4.1, status=deferred (connect to mx.gone.example[192.0.2.7]:25: Connection timed out)",
    "Dec  1 10:15:00 mx postfix/postsuper[104]: 4F2A1B3C4D: removed",
    "Dec  1 10:15:00 mx postfix/postsuper[104]: Deleted: 1 message",
]


def synced(tmp_path: Path, cache_url: str, url: str, mta: str) -> list:  # type: ignore[type-arg]
    done = subprocess.run([sys.executable, "-m", "tracktui", "sync", "--source", url, "--cache", cache_url,
                           "--mta", mta, "--tz", "UTC"], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    with Cache.open(cache_url) as cache:
        return list(cache.iter_deliveries(Filter(statuses=STATUS_GROUPS["deleted"])))


def test_postsuper_d_is_deleted_and_when(tmp_path: Path, cache_url: str) -> None:
    log = tmp_path / "mail.log"
    log.write_text("\n".join(POSTFIX_LINES) + "\n", encoding="utf-8")
    (row,) = synced(tmp_path, cache_url, f"file:{log}", "postfix")
    assert row.status is Status.DELETED and row.queue_id == "4F2A1B3C4D"
    assert row.time == pytest.approx(row.message_time + 75 * 60)  # when it was deleted, not the last try
    words = explain_delivery(row)
    assert words.summary.startswith("An administrator deleted it from your server's queue")
    assert "did not answer in time" in words.summary or "connect" in words.summary.lower()
    assert "retries" not in words.advice.replace("nobody retries", "")
    assert describe_retry(row.message_time, row.status, row.mta, now=row.time, tz=None) in (None, "")
    assert row.status in STATUS_GROUPS["permanent"]


def test_exim_mrm_is_deleted(tmp_path: Path, cache_url: str) -> None:
    import json

    rows = synced(tmp_path, cache_url, f"file:{EXIM_FIXTURE}", "exim")
    # The capture removed what was still queued with exim -Mrm; its truth says which recipients.
    truth = json.loads((EXIM_FIXTURE.parent / "truth.json").read_text(encoding="utf-8"))
    wanted = {rcpt for m in truth["messages"] if m["fixture"] == "delivery.log"
              for rcpt, v in m["recipients"].items() if v["status"] == "deleted"}
    assert wanted and {r.recipient for r in rows} == wanted
