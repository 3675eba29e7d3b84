"""The queue layer without a mail system: postqueue -j parsing, queue-id syntax, argv, output safety, errors."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from tracktui.commands.queue_output import age_text, effect_lines, write_csv, write_json, write_table
from tracktui.errors import EXIT_SOURCE, SourceError, UsageError
from tracktui.queue.actions import check_ids, read_queue
from tracktui.queue.postfix import (
    QueueOutputError,
    action_argvs,
    list_argv,
    parse_postqueue_json,
    queue_id_problem,
    sudoers_line,
    sudoers_queue,
)
from tracktui.queue.runner import LocalRunner, QueueTarget, Result, failure

GREYLISTED = ("host mx.example.net[192.0.2.1] said: 450 4.2.0 <r@example.net>: Recipient address rejected: "
              "Greylisted, see http://postgrey.schweikert.ch/help/example.net.html (in reply to RCPT TO command)")
HOSTILE = "=HYPERLINK(\"http://evil\")\x1b[31m[/deferred][@click=app.quit]\u202eevil"


def line(**changes: object) -> str:
    data: dict[str, object] = {
        "queue_name": "deferred", "queue_id": "4F9D195432", "arrival_time": 1_800_000_000, "message_size": 1234,
        "forced_expire": False, "sender": "s@example.org",
        "recipients": [{"address": "r@example.net", "delay_reason": GREYLISTED}, {"address": "new@example.net"}],
    }
    data.update(changes)
    return json.dumps(data)


def test_an_entry_carries_codes_and_plain_words() -> None:
    (entry,) = parse_postqueue_json([line(), ""], host="mx1", now=1_800_000_090)
    assert (entry.host, entry.queue_id, entry.queue, entry.size, entry.age) == ("mx1", "4F9D195432", "deferred",
                                                                                 1234, 90.0)
    greylisted, fresh = entry.recipients
    assert (greylisted.code, greylisted.dsn) == (450, "4.2.0")
    assert "greylisting" in greylisted.explanation
    assert (fresh.delay_reason, fresh.explanation) == ("", "")  # not tried yet: no reason, no guess


@pytest.mark.parametrize("bad", ["not json", "[1, 2]", line(queue_id=5), line(arrival_time="soon"),
                                 line(recipients="r@x"), '{"queue_name": "deferred"}'])
def test_a_line_that_is_not_postqueue_json_is_named(bad: str) -> None:
    with pytest.raises(QueueOutputError, match="line 2"):
        parse_postqueue_json([line(), bad], host="mx1", now=0)


@pytest.mark.parametrize("good", ["4F9D195432", "0E2A52322EC", "3Pt2mN2VXxznjll", "ABCDEF"])
def test_postfix_queue_ids_are_accepted(good: str) -> None:
    assert queue_id_problem(good) is None


@pytest.mark.parametrize("bad", ["ALL", "all", "", "-", "-d", "$(id)", "`id`", "A" * 25, "4F9D19543 ", "4F9D\n195432",
                                 "abc", "4F9D195432;x", "../etc", "4F9D195432\x00", "ÄBCDEF1234"])
def test_anything_else_is_refused(bad: str) -> None:
    problem = queue_id_problem(bad)
    assert problem and "\n" not in problem and "\x00" not in problem
    with pytest.raises(UsageError, match="nothing was run"):
        check_ids(["4F9D195432", bad])
    with pytest.raises(ValueError):
        action_argvs("delete", ["4F9D195432", bad])


def test_no_ids_is_not_all() -> None:
    with pytest.raises(UsageError, match="no 'all'"):
        check_ids([])
    with pytest.raises(ValueError):
        action_argvs("delete", [])


def test_argv_of_each_action() -> None:
    ids = ["4F9D195432", "0E2A52322EC"]
    assert list_argv("/etc/postfix-out") == ["postqueue", "-c", "/etc/postfix-out", "-j"]
    assert action_argvs("retry", ids) == [["postqueue", "-i", ids[0]], ["postqueue", "-i", ids[1]]]
    assert action_argvs("hold", ids, "/p") == [["postsuper", "-c", "/p", "-h", ids[0], "-h", ids[1]]]
    assert action_argvs("release", ids) == [["postsuper", "-H", ids[0], "-H", ids[1]]]
    assert action_argvs("delete", ids) == [["postsuper", "-d", ids[0], "-d", ids[1]]]
    with pytest.raises(ValueError):
        action_argvs("requeue", ids)  # postsuper -r is not offered


def test_sudoers_rule_pins_the_arguments() -> None:
    rule = sudoers_line("tracktui", "delete", "/etc/postfix.out")
    assert rule == ("tracktui ALL=(root) NOPASSWD: /usr/sbin/postsuper "
                    r"^-c /etc/postfix\.out -d [0-9A-Za-z]{6,24}( -d [0-9A-Za-z]{6,24})*$")
    block = sudoers_queue("tracktui")
    assert block.count("/usr/sbin/postsuper ^-") == 3 and block.count("/usr/sbin/postqueue ^-") == 2
    assert "/usr/sbin/postqueue ^-j$" in block and "ALL=(root) NOPASSWD: TRACKTUI_QUEUE" in block


def test_output_keeps_json_exact_and_defuses_table_and_csv() -> None:
    entries = parse_postqueue_json(
        [line(sender=HOSTILE, recipients=[{"address": HOSTILE, "delay_reason": HOSTILE}])], host="mx1", now=1.8e9)
    out = io.StringIO()
    write_json(entries, out)
    (record,) = json.loads(out.getvalue())
    assert record["sender"] == HOSTILE and record["recipients"][0]["delay_reason"] == HOSTILE
    assert list(record) == ["host", "queue_id", "queue", "arrival", "age_seconds", "sender", "size",
                            "forced_expire", "recipients"]
    out = io.StringIO()
    write_csv(entries, out)
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[1][5].startswith("'=") and "\x1b" not in out.getvalue() and "\u202e" not in out.getvalue()
    out = io.StringIO()
    write_table(entries, 200, out)
    assert "\x1b" not in out.getvalue() and "\u202e" not in out.getvalue()
    assert all(len(text) <= 200 for text in out.getvalue().splitlines())


def test_effect_and_age_words() -> None:
    (entry,) = parse_postqueue_json([line()], host="mx1", now=1.8e9)
    assert effect_lines("delete", {entry.queue_id: entry}, {}) == ["mx1: 4F9D195432: deferred -> gone from the queue"]
    assert [age_text(s) for s in (5, 125, 3 * 3600 + 300, 2 * 86400 + 4 * 3600)] == ["5s", "2m", "3h05", "2d04h"]


class _FakeRunner:
    def __init__(self, result: Result) -> None:
        self.target = QueueTarget("mx1", postfix_config="/etc/postfix-out")
        self.result = result

    def run(self, argv: list[str]) -> Result:
        return self.result

    def login_user(self) -> str:
        return "ops"

    def close(self) -> None:
        pass


def test_not_permitted_names_the_sudoers_line() -> None:
    runner = _FakeRunner(Result(1, "", "postsuper: fatal: use of this command is reserved for the superuser\n"))
    error = failure(runner, ["postsuper", "-h", "4F9D195432"], runner.result, "hold")
    text = str(error)
    assert "\n" not in text and "not permitted" in text
    assert sudoers_line("ops", "hold", "/etc/postfix-out") in text


def test_postfix_down_and_garbage_output_are_one_line() -> None:
    down = _FakeRunner(Result(69, "", "postqueue: fatal: Queue report unavailable - mail system is down\n"))
    with pytest.raises(SourceError, match=r"not running.*postfix start"):
        read_queue(down)
    garbage = _FakeRunner(Result(0, "Mail queue is empty\n", ""))
    with pytest.raises(SourceError, match="unexpected postqueue -j output on line 1") as caught:
        read_queue(garbage)
    assert caught.value.exit_code == EXIT_SOURCE


def test_a_missing_command_says_install_postfix() -> None:
    with pytest.raises(SourceError, match="not found; is Postfix installed"):
        LocalRunner(QueueTarget("here")).run(["postqueue-not-installed", "-j"])


def test_postfix_config_in_urls_and_profiles() -> None:
    from tracktui.config import profile_from_values
    from tracktui.sources.urls import parse_source_url

    assert parse_source_url("file:/var/log/mail.log*?postfix_config=/etc/postfix-out").postfix_config == \
        "/etc/postfix-out"
    assert parse_source_url("ssh://mx1/var/log/mail.log?sudo=1&postfix_config=/etc/pf2").postfix_config == "/etc/pf2"
    for bad in ("etc/postfix", "/etc/post\x1bfix", ""):
        with pytest.raises(UsageError, match="postfix_config must be an absolute directory"):
            parse_source_url(f"ssh://mx1/var/log/mail.log?postfix_config={bad}")
    profile = profile_from_values("mx1", {"target": "mx1", "paths": ["/var/log/mail.log"],
                                          "postfix_config": "/etc/postfix-out"}, warn=print)
    assert profile.postfix_config == "/etc/postfix-out"
    with pytest.raises(UsageError):
        profile_from_values("mx1", {"paths": ["/x"], "postfix_config": "relative"}, warn=print)


def test_the_action_log_is_appended_private_and_refuses_a_planted_symlink(tmp_path: Path) -> None:
    from tracktui.queue.actionlog import record

    path = tmp_path / "state" / "queue-actions.jsonl"
    for status in (0, 1):
        record(time="2026-12-02T18:00:00Z", user="ops", host="mx1", action="hold", ids=["4F9D195432"],
               exit_status=status, path=path)
    lines = [json.loads(text) for text in path.read_text().splitlines()]
    assert [entry["exit_status"] for entry in lines] == [0, 1]
    assert (path.stat().st_mode & 0o777, path.parent.stat().st_mode & 0o777) == (0o600, 0o700)
    planted = tmp_path / "other" / "queue-actions.jsonl"
    planted.parent.mkdir()
    planted.symlink_to(tmp_path / "victim")
    with pytest.raises(SourceError, match=r"hold ran .* could not be logged"):
        record(time="t", user="ops", host="mx1", action="hold", ids=["4F9D195432"], exit_status=0, path=planted)
    assert not (tmp_path / "victim").exists()
