"""Real journeys captured from real Postfix and Exim, synced through the CLI, checked against their truth.

tests/fixtures/journeys/truth.json was written by capture_journeys.py from what it sent and
what every server answered over SMTP (the queue id of every hop included), never from the
logs. Every original recipient must come out as exactly one row, with the right final
status, direction, final address and hop chain, and an explanation naming the right party.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tracktui.cache import Cache
from tracktui.model import DeliveryRow, Filter, Status
from tracktui.smtp import explain_delivery

FIXTURES = Path(__file__).parent / "fixtures" / "journeys"
TRUTH: list[dict[str, Any]] = json.loads((FIXTURES / "truth.json").read_text(encoding="utf-8"))["records"]
SCENARIOS = sorted({record["scenario"] for record in TRUTH})
# The capture's sink stands in for remote servers on 127.0.0.1; ours are the content filter
# (10024) and the relay between two of our hosts (10027, through the capture's tap).
CONFIG = 'internal_relays = ["127.0.0.1:10024", "127.0.0.1:10027"]\n'
HOST_OF = {"exim-mainlog.log": "gw.capture.test"}  # Exim's mainlog names no host


def synced(tmp_path: Path, cache_url: str, logs: list[str], *, order: str = "one sync") -> list[DeliveryRow]:
    config = tmp_path / "config.toml"
    config.write_text(CONFIG, encoding="utf-8")
    sources = []
    for name in logs:
        url = f"file:{FIXTURES / name}"
        if name in HOST_OF:
            url += f"?host={HOST_OF[name]}"
        sources.append(url)
    batches = [sources] if order == "one sync" else [[s] for s in (reversed(sources) if order == "last first"
                                                                    else sources)]
    for batch in batches:
        args = [sys.executable, "-m", "tracktui", "--config", str(config), "sync", "--cache", cache_url, "--tz", "UTC"]
        for source in batch:
            args += ["--source", source]
        done = subprocess.run(args, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
    with Cache.open(cache_url) as cache:
        return list(cache.iter_deliveries(Filter(statuses=frozenset(Status))))


def _key(sender: str | None, recipient: str) -> tuple[str, str]:
    return (sender or "").lower(), recipient.lower()


@pytest.mark.parametrize("order", ["one sync", "each log apart", "last first"])
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_every_original_recipient_is_one_row_with_its_journey(
    tmp_path: Path, cache_url: str, scenario: str, order: str
) -> None:
    records = [r for r in TRUTH if r["scenario"] == scenario]
    logs = records[0]["logs"]
    if order != "one sync" and len(logs) == 1:
        pytest.skip("one log: the order of syncs cannot matter")  # the other orders cover multi-log scenarios
    rows = synced(tmp_path, cache_url, logs, order=order)
    by_key: dict[tuple[str, str], list[DeliveryRow]] = {}
    for row in rows:
        by_key.setdefault(_key(row.sender, row.recipient), []).append(row)
    wanted = {_key(r["sender"], r["recipient"]): r for r in records}
    assert set(by_key) == set(wanted), "rows without truth, or truth without rows"
    with Cache.open(cache_url) as cache:
        for key, truth in wanted.items():
            found = by_key[key]
            assert len(found) == 1, (key, [(r.queue_id, r.status) for r in found])
            row = found[0]
            where = f"{scenario}/{order}: {truth['recipient']}"
            assert row.status.value == truth["status"], where
            assert row.direction == truth["direction"], where
            assert (row.final_recipient or row.recipient).lower() == truth["final_recipient"].lower(), where
            assert row.dsn == truth.get("dsn"), where
            assert row.reply is not None and truth["reply_contains"] in row.reply, (where, row.reply)
            hops = cache.hops(row.delivery_id)
            assert [h.queue_id for h in hops if h.queue_id] == truth["queue_ids"], where
            if truth["queue_ids"]:
                assert row.queue_id == truth["queue_ids"][0], where
            if truth.get("greylisted") and truth["status"] == "delivered":
                assert hops[0].refused_here and hops[0].status is Status.DEFERRED, where
            words = explain_delivery(row).summary
            if row.refused_here:
                assert words.startswith("Your server"), (where, words)
            if truth["direction"] in ("inbound", "local") and truth["status"] == "delivered":
                assert "local mailbox" in words, (where, words)
            if truth["direction"] == "outbound":
                assert "Your server refused" not in words, (where, words)
