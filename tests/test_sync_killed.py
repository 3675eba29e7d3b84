"""A sync killed with SIGKILL halfway leaves the cache consistent; the next sync completes it exactly."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tracktui.samples import busy_postfix_lines

EXE = Path(sys.executable).with_name("tracktui")
LINES = 400_000


def tracktui_sync(log: Path, cache: Path, home: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "HOME": str(home), "XDG_CACHE_HOME": str(home / "cache"),
           "XDG_CONFIG_HOME": str(home / "config"), "TZ": "UTC"}
    return subprocess.Popen([str(EXE), "sync", "--quiet", "--source", f"file:{log}", "--cache", f"sqlite:///{cache}"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def deliveries(cache: Path) -> int:
    try:
        with sqlite3.connect(f"file:{cache}?mode=ro", uri=True, timeout=1) as conn:
            return conn.execute("SELECT count(*) FROM deliveries").fetchone()[0]
    except sqlite3.Error:
        return 0


def contents(cache: Path) -> dict[str, list[tuple[object, ...]]]:
    with sqlite3.connect(cache) as conn:
        return {
            "deliveries": sorted(conn.execute(
                "SELECT host, queue_id, recipient, status, time, attempt_count, dsn, reply, relay FROM deliveries")),
            "attempts": sorted(conn.execute("SELECT delivery_id, seq, time, result, dsn FROM attempts")),
            "messages": sorted(conn.execute("SELECT id, queue_id, sender, subject, live, line_count FROM messages")),
        }


@pytest.mark.slow
def test_sigkill_mid_sync_then_resume_equals_one_clean_sync(tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    start = time.time() - 2 * 86400
    with log.open("w", encoding="utf-8") as handle:
        for line in busy_postfix_lines(LINES, seed=3, start=start):
            handle.write(line + "\n")
    os.utime(log, (start + 2 * 86400, start + 2 * 86400))

    clean = tmp_path / "clean.sqlite3"
    assert tracktui_sync(log, clean, tmp_path).wait(timeout=600) == 0

    killed = tmp_path / "killed.sqlite3"
    proc = tracktui_sync(log, killed, tmp_path)
    deadline = time.monotonic() + 300
    while deliveries(killed) == 0:
        assert proc.poll() is None, "sync finished before it could be interrupted: make the log larger"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    interrupted = deliveries(killed)
    assert 0 < interrupted < len(contents(clean)["deliveries"]), "the kill did not land mid-sync"

    resumed = tracktui_sync(log, killed, tmp_path)
    _out, err = resumed.communicate(timeout=600)
    assert resumed.returncode == 0, err
    got, want = contents(killed), contents(clean)
    for table in want:
        extra, missing = sorted(set(got[table]) - set(want[table])), sorted(set(want[table]) - set(got[table]))
        assert not extra and not missing, (table, extra[:5], missing[:5])
    assert got == want
