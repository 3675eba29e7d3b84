"""Rotated files are read oldest first even when a copy gave them all the same modification time."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
from pathlib import Path

from tracktui.sources.files import LocalFileSystem
from tracktui.sources.rotation import _rotation_key

FIXTURE = Path(__file__).parent / "fixtures" / "postfix" / "delivery.log"


def test_dated_names_order_by_their_date_and_the_live_file_last(tmp_path: Path) -> None:
    names = ["mail.log", "mail.log-20261124", "mail.log-20261117.gz", "mail.log-20261110.gz"]
    for name in names:
        data = b"x\n"
        (tmp_path / name).write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
        os.utime(tmp_path / name, (1_000_000, 1_000_000))  # scp without -p: all alike
    files = sorted(LocalFileSystem().scan(f"{tmp_path}/mail.log*"), key=_rotation_key)
    assert [Path(f.path).name for f in files] == [
        "mail.log-20261110.gz", "mail.log-20261117.gz", "mail.log-20261124", "mail.log"]


def test_numbered_before_the_live_file(tmp_path: Path) -> None:
    for name in ("mail.log", "mail.log.1", "mail.log.2.gz"):
        (tmp_path / name).write_bytes(gzip.compress(b"x\n") if name.endswith(".gz") else b"x\n")
        os.utime(tmp_path / name, (1_000_000, 1_000_000))
    files = sorted(LocalFileSystem().scan(f"{tmp_path}/mail.log*"), key=_rotation_key)
    assert [Path(f.path).name for f in files] == ["mail.log.2.gz", "mail.log.1", "mail.log"]


def test_dated_rotation_with_equal_times_reads_like_one_file(tmp_path: Path) -> None:
    lines = FIXTURE.read_text(encoding="utf-8").splitlines(keepends=True)
    third = len(lines) // 3 + 1
    stamp = FIXTURE.stat().st_mtime
    split = tmp_path / "split"
    split.mkdir()
    for name, part in (("mail.log-20261123", lines[:third]), ("mail.log-20261124", lines[third:2 * third]),
                       ("mail.log", lines[2 * third:])):
        (split / name).write_text("".join(part), encoding="utf-8")
        os.utime(split / name, (stamp, stamp))
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "cfg"), "XDG_CACHE_HOME": str(tmp_path / "xc")}

    def statuses(source: str, cache: str) -> str:
        for argv in (["sync", "--mta", "postfix", "--source", source],
                     ["search", "--status", "all", "--since", "-59d", "--format", "csv"]):
            done = subprocess.run([sys.executable, "-m", "tracktui", *argv, "--cache", str(tmp_path / cache)],
                                  capture_output=True, text=True, env=env, timeout=120, check=False)
            assert done.returncode in (0, 1), done.stderr
        rows = sorted(line.split(",")[2] + line.split(",")[5] + line.split(",")[7]
                      for line in done.stdout.splitlines()[1:])
        return "\n".join(rows)

    one = statuses(f"file:{FIXTURE}", "one.db")
    assert one.count("\n") > 20
    assert statuses(f"file:{split}/mail.log*", "three.db") == one
