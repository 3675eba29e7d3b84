"""``tracktui search`` end to end through the installed console script, plus the shared CLI helpers.

The end-to-end cases sync a real Postfix log (tests/fixtures/postfix,
captured from Postfix 3.7) whose syslog stamps are moved to yesterday, so
the test does not depend on the day it runs (retention would prune the
original date after 60 days).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from rich.cells import cell_len

from tracktui.cache import Cache
from tracktui.commands.common import (
    SyncProgressDisplay,
    cli_auth,
    now_and_zone,
    print_sync_problems,
    profiles_for,
    sync_exit_code,
)
from tracktui.config import Config, Profile
from tracktui.errors import HostError, SourceError, UsageError
from tracktui.filters import build_filter
from tracktui.model import DeliveryRow
from tracktui.output import CSV_FIELDS, JSON_FIELDS
from tracktui.sync import SourceResult, SyncProgress, SyncReport

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "postfix"
TRACKTUI = Path(sys.executable).with_name("tracktui")
TRUTH = json.loads((FIXTURES / "truth.json").read_text(encoding="utf-8"))


def truth_for(fixture: str) -> dict[str, str]:
    """recipient -> status for the messages the capture sent (each recipient is used once per fixture).

    The log also holds what truth.json does not list, e.g. the bounce
    notices Postfix sent back to the sender (null sender).
    """
    return {
        recipient: facts["status"]
        for message in TRUTH["messages"]
        if message["fixture"] == fixture
        for recipient, facts in message["recipients"].items()
    }


def shifted_log(src: Path, dest: Path) -> Path:
    """Copy a fixture log with every ``Nov 27`` stamp moved to yesterday (mtime: now, for year inference)."""
    yesterday = time.localtime(time.time() - 86400)
    stamp = time.strftime("%b %e", yesterday)
    lines = src.read_text(encoding="utf-8").splitlines()
    assert all(line.startswith("Nov 27 ") for line in lines if line)
    dest.write_text("".join(stamp + line[6:] + "\n" for line in lines if line), encoding="utf-8")
    return dest


@pytest.fixture
def run(tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run the console script with a private cache, config and columns."""
    env = dict(os.environ)
    env.update({
        "XDG_CACHE_HOME": str(tmp_path / "xdg-cache"),
        "XDG_CONFIG_HOME": str(tmp_path / "xdg-config"),
        "COLUMNS": "100",
        "PYTHONIOENCODING": "utf-8",
    })
    env.pop("TRACKTUI_CONFIG", None)
    # The capture's sink stands in for remote servers on 127.0.0.1: not one of our own relays here
    # (by default a loopback relay is a content filter; see tests/test_journeys.py).
    config_dir = tmp_path / "xdg-config" / "tracktui"
    config_dir.mkdir(parents=True)
    (config_dir / "config.toml").write_text("internal_relays = []\n", encoding="utf-8")

    def invoke(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(TRACKTUI), *args], capture_output=True, text=True, env=env, timeout=120, check=False,
            stdin=subprocess.DEVNULL,
        )

    return invoke


@pytest.fixture
def delivery_log(tmp_path: Path) -> Path:
    return shifted_log(FIXTURES / "delivery.log", tmp_path / "mail.log")


@pytest.fixture
def cache_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'cache.sqlite3'}"


def test_console_script_is_installed() -> None:
    assert TRACKTUI.exists(), f"{TRACKTUI} missing: install the project into this venv"


def cached_rows(cache_url: str, **filter_values: object) -> list[DeliveryRow]:
    """What the cache itself returns for a filter: the reference the CLI output must render."""
    now, zone = now_and_zone()
    values: dict[str, object] = {"status": "all", "since": "yesterday", "until": None}
    values.update(filter_values)
    flt = build_filter(now=now, tz=zone, **values)  # type: ignore[arg-type]
    with Cache.open(cache_url) as cache:
        return list(cache.iter_deliveries(flt))


def test_json_search_syncs_and_prints_every_cached_match(run, delivery_log: Path, cache_url: str) -> None:
    result = run("search", "--source", f"file:{delivery_log}", "--cache", cache_url,
                 "--since", "yesterday", "--format", "json")
    assert result.returncode == 0, result.stderr
    items = json.loads(result.stdout)
    reference = cached_rows(cache_url)
    assert [(item["queue_id"], item["recipient"], item["status"]) for item in items] == [
        (row.queue_id, row.recipient, str(row.status)) for row in reference
    ]
    for item in items:
        assert list(item) == list(JSON_FIELDS)
        assert item["time"].endswith("Z") and item["host"] == "mx"
        assert item["explanation"]
        assert all(list(attempt) == ["time", "relay", "dsn", "reply", "reason"] for attempt in item["attempts"])
    times = [item["time"] for item in items]
    assert times == sorted(times, reverse=True)  # newest first
    # Spot checks against what the real Postfix did (tests/fixtures/postfix/truth.json).
    truth = truth_for("delivery.log")
    by_recipient = {item["recipient"]: item for item in items}
    for recipient, dsn in (("ok1@sink.test", "2.0.0"), ("nouser1@sink.test", "5.1.1"), ("full1@sink.test", "4.2.2")):
        assert by_recipient[recipient]["status"] == truth[recipient]
        assert by_recipient[recipient]["dsn"] == dsn
        assert by_recipient[recipient]["attempts"]
    assert by_recipient["ok-hostile3@sink.test"]["subject"] == "[@click=app.quit]"  # exact text for programs
    assert "traceback" not in result.stderr.lower()


def test_cached_results_are_searchable_without_a_source(run, delivery_log: Path, cache_url: str) -> None:
    first = run("search", "--source", f"file:{delivery_log}", "--cache", cache_url, "--since", "yesterday",
                "--format", "json")
    again = run("search", "--source", f"file:{delivery_log}", "--cache", cache_url, "--since", "yesterday",
                "--format", "json")
    cached = run("search", "--cache", cache_url, "--since", "yesterday", "--format", "json")
    assert first.returncode == again.returncode == cached.returncode == 0
    assert len(json.loads(first.stdout)) == len(json.loads(again.stdout)) == len(json.loads(cached.stdout))


def test_csv_with_a_status_group(run, delivery_log: Path, cache_url: str) -> None:
    result = run("search", "--source", f"file:{delivery_log}", "--cache", cache_url, "--since", "yesterday",
                 "--status", "permanent", "--format", "csv")
    assert result.returncode == 0, result.stderr
    records = list(csv.DictReader(io.StringIO(result.stdout)))
    reference = cached_rows(cache_url, status="permanent")
    assert [(record["recipient"], record["status"]) for record in records] == [
        (row.recipient, str(row.status)) for row in reference
    ]
    assert {record["status"] for record in records} <= {"bounced", "expired"}
    assert "nouser1@sink.test" in {record["recipient"] for record in records}
    assert {record["status"] for record in records} <= {"bounced", "expired"}
    assert list(records[0]) == list(CSV_FIELDS)
    assert all(int(record["attempts"]) >= 1 for record in records)


def test_filters_and_limit(run, delivery_log: Path, cache_url: str) -> None:
    base = ("search", "--source", f"file:{delivery_log}", "--cache", cache_url, "--since", "yesterday",
            "--format", "json")
    limited = run(*base, "--limit", "3")
    assert limited.returncode == 0, limited.stderr
    everything = json.loads(run(*base).stdout)
    assert json.loads(limited.stdout) == everything[:3]
    recipient = everything[0]["recipient"]
    only = json.loads(run(*base, "--to", recipient.upper()).stdout)
    assert only and {item["recipient"] for item in only} == {recipient}
    domain = recipient.split("@")[1]
    by_domain = json.loads(run(*base, "--to", f"@{domain}").stdout)
    assert {item["recipient"] for item in by_domain} >= {recipient}
    notices = json.loads(run(*base, "--from", "<>").stdout)
    assert notices and all(not item["sender"] for item in notices)  # bounces Postfix sent: null sender
    assert len(notices) < len(everything)


def test_table_fits_columns_and_sanitises(run, delivery_log: Path, cache_url: str) -> None:
    result = run("search", "--source", f"file:{delivery_log}", "--cache", cache_url, "--since", "yesterday")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split()[:3] == ["TIME", "STATUS", "RECIPIENT"]
    as_json = run("search", "--cache", cache_url, "--since", "yesterday", "--format", "json")
    assert len(lines) == 1 + len(json.loads(as_json.stdout))
    assert all(cell_len(line) <= 100 for line in lines)
    assert "[@click=a" in result.stdout  # markup shown literally
    assert "\x1b" not in result.stdout  # not a terminal: no colours either


def test_nothing_matched_exits_1_in_every_format(run, delivery_log: Path, cache_url: str) -> None:
    common = ("search", "--source", f"file:{delivery_log}", "--cache", cache_url, "--since", "yesterday",
              "--to", "nobody@nowhere.invalid")
    as_json = run(*common, "--format", "json")
    assert (as_json.returncode, as_json.stdout) == (1, "[]\n")
    as_csv = run(*common, "--format", "csv")
    assert as_csv.returncode == 1
    assert list(csv.reader(io.StringIO(as_csv.stdout))) == [list(CSV_FIELDS)]
    as_table = run(*common)
    assert as_table.returncode == 1
    assert as_table.stdout == ""
    assert as_table.stderr.strip().splitlines()[-1] == "tracktui: no deliveries match"


def test_profile_from_the_config_file(run, tmp_path: Path, delivery_log: Path) -> None:
    config = tmp_path / "config.toml"
    cache = tmp_path / "profile-cache.sqlite3"
    config.write_text(
        f'cache = "sqlite:///{cache}"\n[profiles.local]\ntarget = "local"\npaths = ["{delivery_log}"]\n',
        encoding="utf-8",
    )
    result = run("search", "--config", str(config), "--profile", "local", "--since", "yesterday",
                 "--status", "temporary", "--format", "json")
    assert result.returncode == 0, result.stderr
    found = [(item["recipient"], item["status"]) for item in json.loads(result.stdout)]
    assert found == [(row.recipient, str(row.status)) for row in cached_rows(f"sqlite:///{cache}", status="temporary")]
    assert ("full1@sink.test", "deferred") in found
    assert cache.exists()  # the config's cache was used


def test_relative_dates_that_start_with_a_dash(run, delivery_log: Path, cache_url: str) -> None:
    """``--since -3d`` as the help text shows it (argparse alone would take -3d for an option)."""
    result = run("search", "--source", f"file:{delivery_log}", "--cache", cache_url, "--since", "-3d",
                 "--until", "-1m", "--format", "json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--since", "xyz"), "tracktui: cannot read date 'xyz': try today"),
        (("--since=-400d",), "older than the 60-day retention window: the earliest allowed date is"),
        (("--since", "today", "--until", "yesterday"), "the range is empty"),
        (("--to", "bob @example.com"), "recipient 'bob @example.com' contains a space"),
        (("--limit", "0"), "--limit: must be between 1 and 1000000000, not 0"),
    ],
)
def test_usage_errors_exit_2_with_one_line(run, cache_url: str, args: tuple[str, ...], message: str) -> None:
    result = run("search", "--cache", cache_url, *args)
    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert message in result.stderr


def test_unknown_profile_is_a_usage_error(run, cache_url: str) -> None:
    result = run("search", "--cache", cache_url, "--profile", "nosuch")
    assert result.returncode == 2
    assert "no profile named 'nosuch'" in result.stderr


def test_unreadable_source_exits_4(run, tmp_path: Path, cache_url: str) -> None:
    result = run("search", "--source", f"file:{tmp_path / 'missing' / 'mail.log'}", "--cache", cache_url,
                 "--format", "json")
    assert result.returncode == 4, (result.stdout, result.stderr)
    assert json.loads(result.stdout) == []  # the (empty) cache is still answered
    assert result.stderr.startswith("tracktui: ")
    assert "traceback" not in result.stderr.lower()


# -- helpers ----------------------------------------------------------------------------------------


def test_prompts_give_up_without_a_terminal() -> None:
    auth = cli_auth(interactive=False)
    assert auth.password is not None and auth.password("admin@mx1's password: ") is None
    assert auth.passphrase is not None and auth.passphrase("/home/u/.ssh/id_ed25519") is None
    assert auth.confirm_host_key is not None and auth.confirm_host_key("mx1", "ssh-ed25519", "SHA256:x") is False


@pytest.mark.parametrize(("answer", "accepted"), [("yes\n", True), ("y\n", True), ("no\n", False), ("\n", False)])
def test_host_key_confirmation_reads_a_yes(monkeypatch: pytest.MonkeyPatch, answer: str, accepted: bool) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(answer))
    shown = io.StringIO()
    paused: list[str] = []

    class Pause:
        def __enter__(self) -> None:
            paused.append("in")

        def __exit__(self, *exc: object) -> None:
            paused.append("out")

    auth = cli_auth(interactive=True, pause=Pause, stream=shown)
    assert auth.confirm_host_key is not None
    assert auth.confirm_host_key("mx1\x1b[2J", "ssh-ed25519", "SHA256:abcdef") is accepted
    assert "SHA256:abcdef" in shown.getvalue() and "\x1b" not in shown.getvalue()
    assert paused == ["in", "out"]


def test_password_prompt_uses_getpass(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[str] = []

    def fake_getpass(prompt: str, stream: object = None) -> str:
        asked.append(prompt)
        return "s3cret"

    monkeypatch.setattr("getpass.getpass", fake_getpass)
    auth = cli_auth(interactive=True, stream=io.StringIO())
    assert auth.password is not None and auth.password("admin@mx1's password: ") == "s3cret"
    assert auth.passphrase is not None and auth.passphrase("/k") == "s3cret"
    assert asked == ["admin@mx1's password: ", "Passphrase for key /k: "]


def test_progress_display_is_silent_when_disabled() -> None:
    out = io.StringIO()
    with SyncProgressDisplay(enabled=False, file=out) as display:
        display(SyncProgress(source="file:/x", host="mx1", phase="reading", bytes_done=10, lines=1))
    assert out.getvalue() == ""
    assert SyncProgressDisplay(file=io.StringIO()).enabled is False  # not a terminal


def test_progress_display_shows_counts_and_literal_names() -> None:
    out = io.StringIO()
    with SyncProgressDisplay(enabled=True, file=out) as display:
        display(SyncProgress(source="ssh://[bold]mx1/x", host="", phase="connecting"))
        display(SyncProgress(source="ssh://[bold]mx1/x", host="[bold]mx1", phase="reading", bytes_done=2048,
                             bytes_total=4096, lines=1234, deliveries=56, label="/var/log/mail.log"))
        display(SyncProgress(source="ssh://[bold]mx1/x", host="[bold]mx1", phase="done", bytes_done=4096,
                             bytes_total=4096, lines=2345, deliveries=78))
    text = out.getvalue()
    assert "[bold]mx1" in text
    assert "2,345 lines" in text and "78 deliveries" in text


def report_with(*results: SourceResult) -> SyncReport:
    return SyncReport(results=list(results))


def test_sync_problems_and_exit_codes() -> None:
    ok = SourceResult(url="file:/a", lines=10, malformed=2)
    host = SourceResult(url="ssh://mx1/x", error=HostError("mx1: connection refused; is sshd running?"))
    source = SourceResult(url="file:/b", error=SourceError("localhost: /b: no such file"))
    assert sync_exit_code(report_with(ok)) == 0
    assert sync_exit_code(report_with(ok, host, source)) == 3
    assert sync_exit_code(report_with(source, host)) == 4
    out = io.StringIO()
    print_sync_problems(report_with(ok, host, source), out)
    assert out.getvalue().splitlines() == [
        "tracktui: file:/a: skipped 2 malformed lines",
        "tracktui: mx1: connection refused; is sshd running?",
        "tracktui: localhost: /b: no such file",
    ]


def test_profiles_by_name() -> None:
    config = Config(profiles={"mx1": Profile(name="mx1", paths=["/var/log/mail.log"])})
    args = argparse.Namespace(profile=["mx1"])
    assert [profile.name for profile in profiles_for(args, config)] == ["mx1"]
    with pytest.raises(UsageError, match=r"no profile named 'mx2' in the config \(profiles: mx1\)"):
        profiles_for(argparse.Namespace(profile=["mx2"]), config)
