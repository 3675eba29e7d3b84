"""``sync --rescan``: a source read again from its start stores exactly what one clean read stores."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

FIXTURE = Path(__file__).parent / "fixtures" / "postfix" / "retry.log"


def tables(path: Path) -> dict[str, list[tuple[object, ...]]]:
    with sqlite3.connect(path) as conn:
        return {name: sorted(conn.execute(f"SELECT * FROM {name}").fetchall(), key=repr)
                for name in ("messages", "deliveries", "attempts", "raw_lines")}


def sync(cache: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tracktui", "sync", "--source", f"file:{FIXTURE}",
                           "--cache", str(cache), "--tz", "UTC", *extra], capture_output=True, text=True, check=False)


def test_rescan_reads_again_and_doubles_nothing(tmp_path: Path) -> None:
    cache = tmp_path / "cache.sqlite3"
    first = sync(cache)
    assert first.returncode == 0, first.stderr
    stored = tables(cache)
    again = sync(cache)
    assert " 0 lines" in again.stderr or "0 lines" in again.stdout + again.stderr  # nothing new to read
    rescanned = sync(cache, "--rescan")
    assert rescanned.returncode == 0, rescanned.stderr
    lines = sum(1 for _ in FIXTURE.open(encoding="utf-8"))
    assert f"{lines:,} lines" in rescanned.stdout + rescanned.stderr
    assert tables(cache) == stored
