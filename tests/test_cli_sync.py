"""``tracktui sync`` end to end: the installed command on a real Postfix log."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

FIXTURE = Path(__file__).parent / "fixtures" / "postfix" / "delivery.log"
EXE = Path(sys.executable).with_name("tracktui")


def run(*args: str, env_home: Path) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(env_home), "XDG_CACHE_HOME": str(env_home / "cache"),
           "XDG_CONFIG_HOME": str(env_home / "config"), "TZ": "UTC"}
    return subprocess.run([str(EXE), *args], capture_output=True, text=True, env=env, timeout=120)


def count(cache: Path, table: str) -> int:
    with sqlite3.connect(cache) as conn:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_sync_reports_per_source_counts_malformed_lines_and_is_idempotent(tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    broken = "Nov 20 10:00:00 mx postfix/smtp[1]: ABCDEF123: to=<broken"
    log.write_text(FIXTURE.read_text(encoding="utf-8") + broken + "\n", encoding="utf-8")
    cache = tmp_path / "c.sqlite3"
    first = run("sync", "--source", f"file:{log}", "--cache", f"sqlite:///{cache}", env_home=tmp_path)
    assert first.returncode == 0, first.stderr
    lines = sum(1 for _ in log.open(encoding="utf-8"))
    assert f"{lines:,} lines" in first.stdout and "(postfix)" in first.stdout
    assert "skipped 1 malformed line (first: " in first.stderr and "to=<broken" in first.stderr
    assert len(first.stderr.strip().splitlines()) == 1
    rows = (count(cache, "deliveries"), count(cache, "attempts"), count(cache, "messages"))
    assert rows[0] > 20

    second = run("sync", "--source", f"file:{log}", "--cache", f"sqlite:///{cache}", env_home=tmp_path)
    assert second.returncode == 0 and "0 lines" in second.stdout
    assert (count(cache, "deliveries"), count(cache, "attempts"), count(cache, "messages")) == rows


def test_sync_errors_are_one_line_with_exit_codes(tmp_path: Path) -> None:
    missing = run("sync", "--source", f"file:{tmp_path}/nope.log", "--cache", f"sqlite:///{tmp_path}/c",
                  env_home=tmp_path)
    assert missing.returncode == 4
    assert len(missing.stderr.strip().splitlines()) == 1 and "Traceback" not in missing.stderr
    nothing = run("sync", env_home=tmp_path)
    assert nothing.returncode == 2 and "nothing to sync" in nothing.stderr
    bad_url = run("sync", "--source", "gopher://x", env_home=tmp_path)
    assert bad_url.returncode == 2 and len(bad_url.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("version", ["0", "garbage"])
def test_an_old_cache_is_rebuilt_with_a_clear_message(tmp_path: Path, version: str) -> None:
    cache = tmp_path / "c.sqlite3"
    first = run("sync", "--source", f"file:{FIXTURE}", "--cache", f"sqlite:///{cache}", env_home=tmp_path)
    assert first.returncode == 0 and "rebuilt" not in first.stderr
    with sqlite3.connect(cache) as conn:
        conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (version,))
    again = run("sync", "--source", f"file:{FIXTURE}", "--cache", f"sqlite:///{cache}", env_home=tmp_path)
    assert again.returncode == 0
    assert "rebuilt" in again.stderr
    assert count(cache, "deliveries") > 20  # re-read from the log after the rebuild
