"""``tracktui sync`` shows what a source skipped as one warning line each, and still succeeds."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tracktui.samples import busy_postfix_lines


def test_damaged_rotated_file_is_one_warning_line(tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    log.write_text("".join(line + "\n" for line in busy_postfix_lines(300, seed=5, start=1_790_000_000.0)))
    (tmp_path / "mail.log.2.gz").write_bytes(b"\x1f\x8b truncated")
    home = tmp_path / "home"
    env = {**os.environ, "HOME": str(home), "XDG_CACHE_HOME": str(home / "cache"),
           "XDG_CONFIG_HOME": str(home / "config"), "TZ": "UTC", "PYTHONPATH": str(Path(__file__).parent.parent)}
    done = subprocess.run(
        [sys.executable, "-m", "tracktui", "sync", "--quiet", "--source", f"file:{log}*",
         "--cache", f"sqlite:///{tmp_path / 'cache.sqlite3'}"],
        capture_output=True, text=True, env=env, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    warnings = [line for line in done.stderr.splitlines() if line.startswith("tracktui: warning: ")]
    assert len(warnings) == 1 and "mail.log.2.gz: not a gzip file" in warnings[0], done.stderr
    assert "300 lines" in done.stdout
