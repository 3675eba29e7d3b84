"""The command line as users type it: global options on either side of the sub-command, one-line errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tracktui.__main__ import build_parser

FIXTURE = Path(__file__).parent / "fixtures" / "postfix" / "delivery.log"


def parse(*argv: str):  # type: ignore[no-untyped-def]
    return build_parser().parse_args(list(argv))


@pytest.mark.parametrize("argv", [
    ("--config", "/tmp/c.toml", "--cache", "/tmp/x.db", "search"),
    ("search", "--config", "/tmp/c.toml", "--cache", "/tmp/x.db"),
])
def test_global_options_before_or_after_the_command(argv: tuple[str, ...]) -> None:
    args = parse(*argv)
    assert args.config == "/tmp/c.toml" and args.cache == "/tmp/x.db"
    assert args.source == [] and args.profile == []


def test_subcommand_defaults_still_apply() -> None:
    args = parse("search")
    assert args.format == "table" and args.limit is None and args.host == []
    assert parse("report").monthly is False and parse("sync").quiet is False


def run(tmp_path: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "cfg"), "XDG_CACHE_HOME": str(tmp_path / "xc")}
    return subprocess.run([sys.executable, "-m", "tracktui", *argv], capture_output=True, text=True, env=env,
                          timeout=120, check=False)


def test_config_before_the_command_is_honoured(tmp_path: Path) -> None:
    cache = tmp_path / "c.db"
    config = tmp_path / "my.toml"
    config.write_text(f'cache = "{cache}"\n', encoding="utf-8")
    assert run(tmp_path, "--config", str(config), "sync", "--source", f"file:{FIXTURE}").returncode == 0
    assert cache.exists()  # the sync used the config's cache, not the default one
    found = run(tmp_path, "--config", str(config), "search", "--format", "json")
    # Ignoring the config would look in the default cache, which does not exist: "no cache at ..." (exit 2).
    assert found.returncode in (0, 1) and not found.stderr, found.stderr


@pytest.mark.parametrize("argv", [("search", "--limit", "99999999999999999999"), ("search", "--status", "nope"),
                                  ("search", "--limit", "0"), ("--bogus",)])
def test_usage_errors_are_one_line_with_a_hint(tmp_path: Path, argv: tuple[str, ...]) -> None:
    done = run(tmp_path, *argv)
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2
    assert len(lines) == 1, done.stderr
    assert "--help" in lines[0] and "Traceback" not in done.stderr and "islice" not in done.stderr


def test_a_source_with_nothing_recognisable_says_so_and_keeps_its_cursor(tmp_path: Path) -> None:
    from tracktui.cache import Cache

    log = tmp_path / "passwd.log"
    log.write_text("".join(f"user{n}:x:{n}:{n}::/home/user{n}:/bin/sh\n" for n in range(19)), encoding="utf-8")
    cache = tmp_path / "c.db"
    done = run(tmp_path, "sync", "--source", f"file:{log}", "--cache", str(cache))
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 4, done.stderr
    assert len(lines) == 1 and "19 lines, not one recognised" in lines[0] and "user0:x:0:0" in lines[0]
    assert run(tmp_path, "sync", "--source", f"file:{FIXTURE}", "--cache", str(cache)).returncode == 0
    with Cache.open(str(cache)) as opened:
        assert opened.source_state(f"file:{FIXTURE}")  # a recognised source keeps its cursor...
        assert not opened.source_state(f"file:{log}")  # ...this one does not: a later --mta sync reads it all


def test_summary_counts_each_delivery_once_however_the_log_is_split(tmp_path: Path) -> None:
    import re

    lines = FIXTURE.read_text(encoding="utf-8").splitlines(keepends=True)
    third = len(lines) // 3 + 1
    parts = [lines[:third], lines[third:2 * third], lines[2 * third:]]
    for name, part, age in (("mail.log.2", parts[0], 7200), ("mail.log.1", parts[1], 3600), ("mail.log", parts[2], 0)):
        path = tmp_path / name
        path.write_text("".join(part), encoding="utf-8")
        stamp = FIXTURE.stat().st_mtime - age
        os.utime(path, (stamp, stamp))

    def summary(source: str, cache: str) -> int:
        done = run(tmp_path, "sync", "--mta", "postfix", "--source", source, "--cache", str(tmp_path / cache))
        assert done.returncode == 0, done.stderr
        return int(re.search(r"([\d,]+) deliveries", done.stdout + done.stderr).group(1).replace(",", ""))

    one = summary(f"file:{FIXTURE}", "one.db")
    assert summary(f"file:{tmp_path}/mail.log*", "three.db") == one


def test_the_app_on_a_cache_without_sources_browses_it_and_never_creates_one(tmp_path: Path) -> None:
    import argparse

    from tracktui.commands.app import options_from_args

    missing = tmp_path / "cron-filled.sqlite3"
    done = subprocess.run([sys.executable, "-m", "tracktui", "--cache", str(missing)], capture_output=True,
                          text=True, check=False, stdin=subprocess.DEVNULL)
    assert done.returncode != 0 and f"no cache at {missing}" in done.stderr and not missing.exists()
    args = argparse.Namespace(command=None, cache=str(missing), source=None, profile=None, config=None)
    options = options_from_args(args)
    assert options.browse_only and not options.needs_login
