"""``tracktui queue`` against a real Postfix: the listing, retry, hold/release, delete, and refusals.

The instance is private (tests/postfix_instance.py); each test submits its own
messages and names only those, so tests do not depend on each other's leftovers.
"""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

import pytest

from tests.postfix_instance import PostfixInstance, postfix_fixture  # noqa: F401
from tests.sshd import TEST_USER, SshEnv, ssh_env_fixture, sshd_fixture, sudo_rule  # noqa: F401
from tracktui.__main__ import main
from tracktui.queue.postfix import sudoers_line, sudoers_queue


@pytest.fixture(autouse=True)
def state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The action log goes to a private state directory, and no user config is read."""
    monkeypatch.setenv("TRACKTUI_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("TRACKTUI_CONFIG", str(tmp_path / "no-config.toml"))
    return tmp_path / "state" / "queue-actions.jsonl"


def source(instance: PostfixInstance) -> str:
    return f"file:/var/log/mail.log?host=queue-test&postfix_config={instance.config_dir}"


def queue_cli(instance: PostfixInstance, *words: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["queue", *words, "--source", source(instance)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_listing_matches_postqueue(postfix: PostfixInstance, capsys: pytest.CaptureFixture[str]) -> None:
    postfix.submit(3, tag="list")
    code, out, _ = queue_cli(postfix, "--format", "json", capsys=capsys)
    assert code == 0
    ours = {entry["queue_id"]: entry for entry in json.loads(out)}
    theirs = {str(entry["queue_id"]): entry for entry in postfix.listing()}
    assert set(ours) == set(theirs)
    now = time.time()
    for queue_id, raw in theirs.items():
        entry = ours[queue_id]
        assert entry["host"] == "queue-test"
        assert entry["queue"] == raw["queue_name"]
        assert entry["sender"] == raw["sender"]
        assert entry["size"] == raw["message_size"]
        assert 0 <= entry["age_seconds"] <= now - float(raw["arrival_time"]) + 1
        assert [(r["address"], r["delay_reason"]) for r in entry["recipients"]] == [
            (r["address"], r.get("delay_reason", "")) for r in raw["recipients"]  # type: ignore[attr-defined]
        ]
        for recipient in entry["recipients"]:
            assert "Connection refused" in recipient["delay_reason"]
            assert "refused the connection" in recipient["explanation"]


def test_table_and_csv_list_every_recipient(postfix: PostfixInstance, capsys: pytest.CaptureFixture[str]) -> None:
    ids = postfix.submit(1, tag="tab")
    code, out, _ = queue_cli(postfix, capsys=capsys)
    assert code == 0
    assert out.splitlines()[0].split()[:3] == ["HOST", "QUEUE", "ID"]
    assert sum(1 for line in out.splitlines() if ids[0] in line) == 2  # two recipients
    code, out, _ = queue_cli(postfix, "--format", "csv", capsys=capsys)
    assert code == 0
    rows = [line for line in out.splitlines() if ids[0] in line]
    assert len(rows) == 2 and "tab0@rcpt.example" in out


def test_retry_makes_a_new_attempt(postfix: PostfixInstance, capsys: pytest.CaptureFixture[str],
                                   state_dir: Path) -> None:
    target, other = postfix.submit(2, tag="retry")
    tried, other_tried = postfix.attempts(target), postfix.attempts(other)
    code, out, err = queue_cli(postfix, "retry", target, "--yes", capsys=capsys)
    assert code == 0, err
    assert f"queue-test: {target}: deferred ->" in out
    deadline = time.monotonic() + 20
    while postfix.attempts(target) <= tried:
        assert time.monotonic() < deadline, "postqueue -i made no new delivery attempt"
        time.sleep(0.1)
    assert postfix.attempts(other) == other_tried
    logged = [json.loads(line) for line in state_dir.read_text().splitlines()]
    assert logged[-1]["action"] == "retry" and logged[-1]["ids"] == [target] and logged[-1]["exit_status"] == 0
    assert set(logged[-1]) == {"time", "user", "host", "action", "ids", "exit_status"}
    assert logged[-1]["host"] == "queue-test" and logged[-1]["user"]


def test_hold_then_release(postfix: PostfixInstance, capsys: pytest.CaptureFixture[str]) -> None:
    held, kept = postfix.submit(2, tag="hold")
    code, out, err = queue_cli(postfix, "hold", held, "--yes", capsys=capsys)
    assert code == 0, err
    assert out.strip() == f"queue-test: {held}: deferred -> hold"
    assert postfix.queues()[held] == "hold" and postfix.queues()[kept] == "deferred"
    code, out, err = queue_cli(postfix, "release", held, "--yes", capsys=capsys)
    assert code == 0, err
    assert postfix.queues()[held] != "hold"


def test_delete_removes_exactly_the_named_ids(postfix: PostfixInstance, capsys: pytest.CaptureFixture[str],
                                              state_dir: Path) -> None:
    first, second, third = postfix.submit(3, tag="del")
    before = set(postfix.queues())
    code, out, err = queue_cli(postfix, "delete", first, third, "--yes", capsys=capsys)
    assert code == 0, err
    assert set(postfix.queues()) == before - {first, third}
    assert second in postfix.queues()
    assert out.splitlines() == [f"queue-test: {first}: deferred -> gone from the queue",
                                f"queue-test: {third}: deferred -> gone from the queue"]
    assert json.loads(state_dir.read_text().splitlines()[-1])["ids"] == [first, third]
    assert oct(state_dir.stat().st_mode & 0o777) == "0o600"
    assert oct(state_dir.parent.stat().st_mode & 0o777) == "0o700"


@pytest.mark.parametrize("bad", ["ALL", "all", "-d", "-", "$(touch /tmp/tracktui-queue-pwned)", "",
                                 "A" * 25, "4F9D195432;id", "4f9d 195432", "../../etc/passwd", "\x1b[31mX"])
def test_bad_ids_are_refused_before_anything_runs(postfix: PostfixInstance, capsys: pytest.CaptureFixture[str],
                                                  state_dir: Path, bad: str,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import subprocess

    ids = postfix.submit(1, tag="bad") if not postfix.queues() else list(postfix.queues())
    before = postfix.queues()
    ran: list[object] = []
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: ran.append(a))
    code = main(["queue", "--source", source(postfix), "--yes", "delete", "--", ids[0], bad])
    err = capsys.readouterr().err
    monkeypatch.undo()
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and "refused" in err and "nothing was run" in err
    assert ran == []
    assert postfix.queues() == before
    assert not state_dir.exists()
    assert not Path("/tmp/tracktui-queue-pwned").exists()


def test_without_yes_and_without_a_terminal_nothing_runs(postfix: PostfixInstance,
                                                         capsys: pytest.CaptureFixture[str],
                                                         monkeypatch: pytest.MonkeyPatch, state_dir: Path) -> None:
    (target,) = postfix.submit(1, tag="noyes")
    monkeypatch.setattr("sys.stdin", io.StringIO("yes\n"))  # not a terminal, whatever it says
    code, _, err = queue_cli(postfix, "delete", target, capsys=capsys)
    assert code == 2 and "--yes" in err
    assert target in postfix.queues()
    assert not state_dir.exists()


def test_an_id_not_in_the_queue_runs_nothing(postfix: PostfixInstance, capsys: pytest.CaptureFixture[str],
                                             state_dir: Path) -> None:
    (target,) = postfix.submit(1, tag="gone")
    code, _, err = queue_cli(postfix, "hold", target, "4F9D195432", "--yes", capsys=capsys)
    assert code == 1
    assert "4F9D195432" in err and "nothing was run" in err and len(err.strip().splitlines()) == 1
    assert postfix.queues()[target] == "deferred"
    assert not state_dir.exists()


# -- over SSH, as an unprivileged login user with the documented sudo rules ------------------------


def ssh_source(ssh_env: SshEnv, instance: PostfixInstance) -> str:
    return ssh_env.url("/var/log/mail.log", query=f"sudo=1&host=queue-ssh&postfix_config={instance.config_dir}")


def test_over_ssh_with_the_pinned_sudo_rules(postfix: PostfixInstance, ssh_env: SshEnv,
                                            capsys: pytest.CaptureFixture[str], state_dir: Path) -> None:
    held, kept = postfix.submit(2, tag="ssh")
    rules = sudoers_queue(TEST_USER, postfix.config_dir).split(" = ", 1)[1].split("\n")[0:5]
    commands = tuple(rule.rstrip(", \\").strip() for rule in rules)
    with sudo_rule(commands):
        assert main(["queue", "--source", ssh_source(ssh_env, postfix), "--format", "json"]) == 0
        listed = {entry["queue_id"]: entry for entry in json.loads(capsys.readouterr().out)}
        assert set(listed) == set(postfix.queues()) and listed[held]["host"] == "queue-ssh"
        assert main(["queue", "--source", ssh_source(ssh_env, postfix), "hold", held, "--yes"]) == 0
        assert capsys.readouterr().out.strip() == f"queue-ssh: {held}: deferred -> hold"
    assert postfix.queues()[held] == "hold" and postfix.queues()[kept] == "deferred"
    logged = json.loads(state_dir.read_text().splitlines()[-1])
    assert (logged["user"], logged["host"], logged["action"], logged["ids"]) == (TEST_USER, "queue-ssh", "hold",
                                                                                 [held])


def test_over_ssh_without_the_sudo_rule_says_which_line_to_add(postfix: PostfixInstance, ssh_env: SshEnv,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    (target,) = postfix.submit(1, tag="nosudo")
    code = main(["queue", "--source", ssh_source(ssh_env, postfix)])
    err = capsys.readouterr().err
    assert code == 4
    assert len(err.strip().splitlines()) == 1
    assert sudoers_line(TEST_USER, "list", postfix.config_dir) in err
    assert postfix.queues()[target] == "deferred"


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("answer", "done"), [("yes\n", True), ("no\n", False), ("", False)])
def test_a_terminal_confirms_naming_host_ids_and_action(postfix: PostfixInstance, answer: str, done: bool) -> None:
    from tracktui.__main__ import build_parser
    from tracktui.commands.queue import run_queue

    (target,) = postfix.submit(1, tag="ask")
    args = build_parser().parse_args(["--source", source(postfix), "queue", "hold", target])  # options first, too
    out, err = io.StringIO(), io.StringIO()
    code = run_queue(args, out=out, err=err, stdin=_Terminal(answer))
    assert err.getvalue().startswith(f"put on hold on queue-test: {target}? [yes/no] ")
    assert (code, postfix.queues()[target]) == ((0, "hold") if done else (2, "deferred"))


def test_check_judges_the_live_queue_and_exports_it(postfix: PostfixInstance, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """``check --max-queue`` reads the real queue: 3 deferred messages are CRITICAL over 2, OK under 10."""
    from prometheus_client.parser import text_string_to_metric_families

    postfix.submit(3, tag="chk")
    size = len(postfix.listing())
    log = tmp_path / "empty.log"
    log.write_text("", encoding="utf-8")
    url = f"file:{log}?host=queue-test&postfix_config={postfix.config_dir}"
    cache = f"sqlite:///{tmp_path / 'cache.sqlite3'}"
    prom = tmp_path / "tracktui.prom"
    common = ["check", "--source", url, "--cache", cache, "--prometheus", str(prom)]
    assert main([*common, "--max-queue", str(size - 1)]) == 2
    line = capsys.readouterr().out
    assert f"queue-test queue holds {size} (max {size - 1})" in line
    samples = {s.name: s for family in text_string_to_metric_families(prom.read_text()) for s in family.samples}
    queue_size = samples["tracktui_queue_size"]
    assert queue_size.value == size and queue_size.labels["host"] == "queue-test"
    assert main([*common, "--max-queue", str(size * 10)]) == 0
