"""``tracktui report``: --output, the monthly report mailed to a local SMTP server once per month, mail errors."""

from __future__ import annotations

import email
import email.policy
import re
import socket
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from pypdf import PdfReader

from tracktui.__main__ import main
from tracktui.dates import local_zone
from tracktui.errors import UsageError
from tracktui.model import STATUS_GROUPS, AttemptRow, DeliveryRow, Filter, Status
from tracktui.report.monthly import month_of, sent_at
from tracktui.report.sample import sample_rows

Rows = list[tuple[DeliveryRow, list[AttemptRow]]]


class FakeCache:
    """The part of the cache query API the report reads, over a list of rows (filters status and time)."""

    def __init__(self, rows: Rows) -> None:
        self.rows = rows
        self.report_queries: list[Filter] = []

    def __enter__(self) -> FakeCache:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def _matching(self, flt: Filter, *, statuses: bool = True) -> Iterator[tuple[DeliveryRow, list[AttemptRow]]]:
        for row, attempts in self.rows:
            if statuses and row.status not in flt.statuses:
                continue
            if flt.since is not None and row.time < flt.since:
                continue
            if flt.until is not None and row.time >= flt.until:
                continue
            yield row, attempts

    def count_by_status(self, flt: Filter) -> dict[Status, int]:
        counts = Counter(row.status for row, _ in self._matching(flt, statuses=False))
        return {status: counts[status] for status in Status}

    def iter_report_rows(self, flt: Filter) -> Iterator[tuple[DeliveryRow, list[AttemptRow]]]:
        self.report_queries.append(flt)
        return self._matching(flt)

    def hosts(self) -> list[str]:
        return sorted({row.host for row, _ in self.rows})


@dataclass
class Sink:
    """Mails received by the local aiosmtpd server."""

    port: int
    messages: list[email.message.EmailMessage] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # the aiosmtpd hook
        self.recipients.append(list(envelope.rcpt_tos))
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp_sink() -> Iterator[Sink]:
    sink = Sink(_free_port())
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


@pytest.fixture
def month_rows() -> Rows:
    """Deliveries spread over the previous calendar month (local zone), plus a few outside it."""
    zone = local_zone()
    month = month_of(None, now=datetime.now(zone), tz=zone)
    start, end = month.since.timestamp(), month.until.timestamp()
    inside = list(sample_rows(120, start=start + 3600, span=end - start - 7200, seed=9))
    outside = [(replace(row, time=end + 3600 + i, delivery_id=10_000 + i), attempts)
               for i, (row, attempts) in enumerate(sample_rows(5, seed=10))]
    return inside + outside


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, month_rows: Rows) -> FakeCache:
    cache = FakeCache(month_rows)
    monkeypatch.setattr("tracktui.commands.report.open_cache", lambda args, config: cache)
    monkeypatch.setenv("TRACKTUI_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("TRACKTUI_CONFIG", str(tmp_path / "missing.toml"))
    return cache


def _config(tmp_path: Path, port: int, **extra: str) -> Path:
    lines = ["[report]", f'output_dir = "{tmp_path / "reports"}"', 'smtp_host = "127.0.0.1"', f"smtp_port = {port}",
             'smtp_security = "none"', 'mail_from = "reports@sender.example"']
    lines += [f'{key} = "{value}"' for key, value in extra.items()]
    path = tmp_path / "config.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_output_writes_the_filtered_report(env: FakeCache, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                           month_rows: Rows) -> None:
    out = tmp_path / "bounced.pdf"
    code = main(["report", "--status", "permanent", "--since=-50d", "--output", str(out)])
    assert code == 0
    assert str(out) in capsys.readouterr().out
    since = env.report_queries[-1].since
    assert since is not None and abs(since - (time.time() - 50 * 86400)) < 2 * 3600
    expected = sum(1 for row, _ in month_rows if row.status in STATUS_GROUPS["permanent"] and row.time >= since)
    assert expected > 0
    summary = PdfReader(out).pages[0].extract_text()
    assert f"Deliveries {expected} in" in summary
    assert "Filter Permanently rejected, since" in summary
    assert env.report_queries[-1].statuses == STATUS_GROUPS["permanent"]


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["report"], "--output"),
        (["report", "--output", "x.pdf", "--month", "2026-10"], "--month goes with --monthly"),
        (["report", "--monthly", "--month", "2026-13"], "YYYY-MM"),
        (["report", "--output", "/nonexistent-dir/x.pdf"], "does not exist"),
    ],
)
def test_usage_errors_are_one_line(env: FakeCache, argv: list[str], words: str,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1


def test_monthly_is_mailed_once_and_force_resends(env: FakeCache, tmp_path: Path, smtp_sink: Sink,
                                                  capsys: pytest.CaptureFixture[str], month_rows: Rows) -> None:
    config = _config(tmp_path, smtp_sink.port)
    argv = ["report", "--monthly", "--config", str(config), "--mail-to", "boss@example.com"]
    assert main(argv) == 0
    assert len(smtp_sink.messages) == 1
    mail = smtp_sink.messages[0]
    assert smtp_sink.recipients[0] == ["boss@example.com"]
    assert mail["From"] == "reports@sender.example"
    zone = local_zone()
    month = month_of(None, now=datetime.now(zone), tz=zone)
    assert month.words in mail["Subject"]
    attachments = list(mail.iter_attachments())
    assert len(attachments) == 1 and attachments[0].get_content_type() == "application/pdf"
    pdf_path = tmp_path / "mailed.pdf"
    pdf_path.write_bytes(attachments[0].get_content())
    inside = sum(1 for row, _ in month_rows if month.since.timestamp() <= row.time < month.until.timestamp())
    assert f"Deliveries {inside} in" in PdfReader(pdf_path).pages[0].extract_text()
    assert (tmp_path / "reports" / f"tracktui-monthly-{month.label}.pdf").is_file()
    assert sent_at(month.label, "boss@example.com") is not None
    capsys.readouterr()

    assert main(argv) == 0  # the daily cron run later this month: nothing sent
    assert len(smtp_sink.messages) == 1
    assert "already sent" in capsys.readouterr().err

    assert main([*argv, "--force"]) == 0
    assert len(smtp_sink.messages) == 2


def test_monthly_uses_the_configured_subscription(env: FakeCache, tmp_path: Path, smtp_sink: Sink) -> None:
    config = _config(tmp_path, smtp_sink.port, monthly_to="sub@example.com")
    assert main(["report", "--monthly", "--month", "2026-10", "--config", str(config)]) == 0
    assert smtp_sink.recipients == [["sub@example.com"]]
    assert "October 2026" in smtp_sink.messages[0]["Subject"]


def test_monthly_without_an_address_writes_the_file(env: FakeCache, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    config = _config(tmp_path, 1)
    assert main(["report", "--monthly", "--month", "2026-10", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "not mailed" in out
    assert (tmp_path / "reports" / "tracktui-monthly-2026-10.pdf").is_file()


def test_mail_server_down_is_one_line_and_exit_3(env: FakeCache, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    config = _config(tmp_path, _free_port())
    code = main(["report", "--monthly", "--month", "2026-10", "--config", str(config), "--mail-to", "b@example.com"])
    assert code == 3
    err = capsys.readouterr().err
    assert err.startswith("tracktui: cannot send the report through 127.0.0.1:") and err.count("\n") == 1
    assert sent_at("2026-10", "b@example.com") is None  # a failed send is retried by the next cron run


def test_starttls_required_but_not_offered(env: FakeCache, tmp_path: Path, smtp_sink: Sink,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    config = _config(tmp_path, smtp_sink.port)
    config.write_text(config.read_text().replace('"none"', '"starttls"'), encoding="utf-8")
    code = main(["report", "--monthly", "--month", "2026-10", "--config", str(config), "--mail-to", "b@example.com"])
    assert code == 3
    assert "does not offer STARTTLS" in capsys.readouterr().err
    assert smtp_sink.messages == []


def test_login_password_comes_from_the_environment(env: FakeCache, tmp_path: Path, smtp_sink: Sink,
                                                   capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    config = _config(tmp_path, smtp_sink.port, smtp_user="reports", smtp_password_env="TRACKTUI_TEST_SMTP_PW")
    monkeypatch.delenv("TRACKTUI_TEST_SMTP_PW", raising=False)
    argv = ["report", "--monthly", "--month", "2026-10", "--config", str(config), "--mail-to", "b@example.com"]
    assert main(argv) == 2
    assert "TRACKTUI_TEST_SMTP_PW" in capsys.readouterr().err
    monkeypatch.setenv("TRACKTUI_TEST_SMTP_PW", "secret")
    assert main(argv) == 3  # the sink offers no AUTH: said in one line, the password never shown
    err = capsys.readouterr().err
    assert "offers no login" in err and err.count("\n") == 1 and "secret" not in err
    assert smtp_sink.messages == []


def test_export_view_names_the_file_from_the_filter(tmp_path: Path, month_rows: Rows) -> None:
    from tracktui.model import STATUS_GROUPS
    from tracktui.report.monthly import export_view

    zone = local_zone()
    month = month_of(None, now=datetime.now(zone), tz=zone)
    flt = Filter(statuses=STATUS_GROUPS["permanent"], since=month.since.timestamp(), recipient="@example.com")
    calls: list[tuple[int, int | None]] = []
    first = export_view(FakeCache(month_rows), flt, tmp_path / "out", tz=zone,  # type: ignore[arg-type]
                        progress=lambda done, total: calls.append((done, total)))
    second = export_view(FakeCache(month_rows), flt, tmp_path / "out", tz=zone)  # type: ignore[arg-type]
    assert first.name.startswith(f"tracktui-permanent-{month.since.date().isoformat()}_")
    assert first.name.endswith("-to-example.com.pdf")
    assert second != first and second.is_file() and first.is_file()
    assert calls and calls[-1][0] == calls[-1][1]
    assert time.time() - first.stat().st_mtime < 60


def _postfix_log(path: Path) -> Path:
    """Two recipients of one message, one delivered and one bounced, stamped an hour ago (local syslog time)."""
    moment = datetime.now(local_zone()) - timedelta(hours=1)
    stamp = f"{moment:%b} {moment.day:2d} {moment:%H:%M:%S}"
    queue = "4F3A2B1C0D"
    lines = [
        f"{stamp} mx1 postfix/smtpd[100]: {queue}: client=localhost[127.0.0.1]",
        f"{stamp} mx1 postfix/cleanup[101]: {queue}: message-id=<a1@sender.example>",
        f"{stamp} mx1 postfix/qmgr[102]: {queue}: from=<alice@sender.example>, size=1234, nrcpt=2 (queue active)",
        f"{stamp} mx1 postfix/smtp[103]: {queue}: to=<bob@example.com>, relay=mx.example.com[192.0.2.5]:25, "
        "delay=1, delays=0.1/0/0.5/0.4, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as ABC)",
        f"{stamp} mx1 postfix/smtp[103]: {queue}: to=<nobody@example.com>, relay=mx.example.com[192.0.2.5]:25, "
        "delay=1, delays=0.1/0/0.5/0.4, dsn=5.1.1, status=bounced (host mx.example.com[192.0.2.5] said: 550 5.1.1 "
        "<nobody@example.com>: Recipient address rejected: User unknown (in reply to RCPT TO command))",
        f"{stamp} mx1 postfix/qmgr[102]: {queue}: removed",
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_report_with_source_syncs_into_a_real_cache_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("TRACKTUI_CONFIG", str(tmp_path / "missing.toml"))
    log = _postfix_log(tmp_path / "mail.log")
    out = tmp_path / "today.pdf"
    code = main(["report", "--source", f"file:{log}", "--cache", f"sqlite:///{tmp_path / 'cache.sqlite3'}",
                 "--since=-1d", "--output", str(out)])
    assert code == 0, capsys.readouterr().err
    pages = [page.extract_text() for page in PdfReader(out).pages]
    assert "Deliveries 2 in 1 messages" in pages[0]
    assert re.search(r"Delivered 1 50\.0 %", pages[0]) and re.search(r"Bounced 1 50\.0 %", pages[0])
    body = "\n".join(pages[1:])
    assert "bob@example.com" in body and "nobody@example.com" in body
    assert body.count("alice@sender.example") == 1  # one message, one group
    assert "4F3A2B1C0D" in body and "User unknown" in body


def test_export_view_into_an_unwritable_place_is_one_line(tmp_path: Path, month_rows: Rows) -> None:
    from tracktui.report.monthly import export_view

    blocker = tmp_path / "file"
    blocker.write_text("not a directory", encoding="utf-8")
    with pytest.raises(UsageError, match="cannot write the report to"):
        export_view(FakeCache(month_rows), Filter(), blocker / "sub", tz=local_zone())  # type: ignore[arg-type]


def test_export_view_cancelled_by_progress_leaves_no_file(tmp_path: Path, month_rows: Rows) -> None:
    from tracktui.report.monthly import export_view

    class Cancelled(Exception):
        pass

    def cancel(done: int, total: int | None) -> None:
        raise Cancelled

    rows = [(replace(row, status=Status.DELIVERED), attempts) for row, attempts in month_rows] * 3
    with pytest.raises(Cancelled):
        export_view(FakeCache(rows), Filter(), tmp_path / "out", tz=local_zone(), progress=cancel)  # type: ignore[arg-type]
    assert list((tmp_path / "out").iterdir()) == []
