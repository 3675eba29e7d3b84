"""Deterministic data for the TUI tests: a small Postfix log, synced into a real cache, and the app factory.

The log covers every outcome (delivered, deferred and still retrying, bounced,
expired, a message with two recipients, one whose sender never appeared) and
the hostile strings STYLE.md lists. The clock and zone are fixed, so labels,
counts and snapshots do not depend on when the tests run.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from tracktui.cache import Cache
from tracktui.sync import sync_sources
from tracktui.tui.app import TracktuiApp, build_app
from tracktui.tui.options import AppOptions
from tracktui.tui.widgets.filter_form import FormValues

CLOCK = datetime(2026, 11, 20, 12, 0, 0, tzinfo=UTC).timestamp()
"""Every test's "now": Friday 20 November 2026, 12:00 UTC."""
LONG_SUBJECT = "L" * 10_000
HOSTILE_SUBJECTS = ("[@click=app.quit]", "\x1b[31mred alert\x1b[0m", "\u202eevil\u202c שלום עולם", LONG_SUBJECT)
HOSTILE_REPLY = "[bold red]x <dave@example.net>: no such user [/deferred]"
GMAIL_REPLY = "250 2.0.0 OK 1414437875 x5si123.25 - gsmtp"


def _msg(lines: list[str], t: str, qid: str, sender: str | None, subject: str, size: int = 1234) -> None:
    lines.append(f"Nov 20 {t} mx1 postfix/smtpd[100]: {qid}: client=client.example.com[192.0.2.10]")
    lines.append(f"Nov 20 {t} mx1 postfix/cleanup[101]: {qid}: info: header Subject: {subject} from "
                 f"client.example.com[192.0.2.10]; from=<{sender or ''}> to=<x@example.org> proto=ESMTP helo=<c>")
    lines.append(f"Nov 20 {t} mx1 postfix/cleanup[101]: {qid}: message-id=<{qid.lower()}@example.com>")
    if sender is not None:
        lines.append(f"Nov 20 {t} mx1 postfix/qmgr[102]: {qid}: from=<{sender}>, size={size}, nrcpt=1 (queue active)")


def _to(lines: list[str], t: str, qid: str, rcpt: str, status: str, dsn: str, relay: str, text: str) -> None:
    lines.append(f"Nov 20 {t} mx1 postfix/smtp[103]: {qid}: to=<{rcpt}>, relay={relay}, delay=1.5, "
                 f"delays=0.1/0.1/0.5/0.8, dsn={dsn}, status={status} ({text})")


def base_lines() -> list[str]:
    """The log every TUI test starts from (times on 20 Nov 2026, UTC)."""
    lines: list[str] = []
    gmail = "gmail-smtp-in.l.google.com[74.125.193.26]:25"
    _msg(lines, "10:00:00", "A1000000001", "alice@example.com", "Quarterly report")
    _to(lines, "10:00:01", "A1000000001", "bob@example.com", "sent", "2.0.0", gmail, GMAIL_REPLY)
    lines.append("Nov 20 10:00:01 mx1 postfix/qmgr[102]: A1000000001: removed")
    _msg(lines, "10:05:00", "A1000000002", "alice@example.com", "Mailbox full test")
    for t in ("10:05:01", "10:35:01"):
        _to(lines, t, "A1000000002", "carol@full.example", "deferred", "4.2.2", "mx.full.example[198.51.100.7]:25",
            "host mx.full.example[198.51.100.7] said: 452 4.2.2 Mailbox full (in reply to RCPT TO command)")
    _msg(lines, "10:10:00", "A1000000003", "alice@example.com", HOSTILE_SUBJECTS[0])
    _to(lines, "10:10:01", "A1000000003", "dave@example.net", "bounced", "5.1.1", "mx.example.net[203.0.113.9]:25",
        f"host mx.example.net[203.0.113.9] said: 550 5.1.1 {HOSTILE_REPLY} (in reply to RCPT TO command)")
    lines.append("Nov 20 10:10:01 mx1 postfix/qmgr[102]: A1000000003: removed")
    for n, (t, subject, rcpt) in enumerate((("10:15:00", HOSTILE_SUBJECTS[1], "erin@example.org"),
                                            ("10:20:00", HOSTILE_SUBJECTS[2], "frank@example.org"),
                                            ("10:25:00", HOSTILE_SUBJECTS[3], "gina@example.org"))):
        qid = f"A100000001{n}"
        _msg(lines, t, qid, "mallory@example.com", subject)
        _to(lines, t, qid, rcpt, "sent", "2.0.0", gmail, GMAIL_REPLY)
        lines.append(f"Nov 20 {t} mx1 postfix/qmgr[102]: {qid}: removed")
    _msg(lines, "10:30:00", "A1000000004", "alice@example.com", "Two recipients")
    _to(lines, "10:30:01", "A1000000004", "henry@example.com", "sent", "2.0.0", gmail, GMAIL_REPLY)
    _to(lines, "10:30:02", "A1000000004", "ivan@example.com", "deferred", "4.4.1", "none",
        "connect to mx.example.com[192.0.2.9]:25: Connection timed out")
    lines.append("Nov 20 10:40:00 mx1 postfix/smtp[103]: A1000000005: to=<judy@example.com>, relay=none, delay=3, "
                 "delays=0/0/3/0, dsn=4.4.1, status=deferred (connect to mx.example.com[192.0.2.9]:25: "
                 "Connection refused)")
    _msg(lines, "09:00:00", "A1000000006", "alice@example.com", "Old news")
    _to(lines, "09:00:01", "A1000000006", "kim@slow.example", "deferred", "4.4.1", "none",
        "connect to mx.slow.example[192.0.2.20]:25: Connection timed out")
    lines.append("Nov 20 11:00:00 mx1 postfix/qmgr[102]: A1000000006: from=<alice@example.com>, status=expired, "
                 "returned to sender")
    lines.append("Nov 20 11:00:00 mx1 postfix/qmgr[102]: A1000000006: removed")
    return lines


def new_message_lines(count: int, *, start_minute: int = 50, prefix: str = "B2") -> list[str]:
    """``count`` more delivered messages, later than everything in :func:`base_lines`."""
    lines: list[str] = []
    for n in range(count):
        t = f"11:{start_minute + n // 60:02d}:{n % 60:02d}"
        qid = f"{prefix}{n:09d}"
        _msg(lines, t, qid, "zed@example.com", f"Fresh message {n}")
        _to(lines, t, qid, f"new{n}@example.com", "sent", "2.0.0", "mx.example.com[192.0.2.30]:25",
            "250 2.0.0 Ok: queued")
        lines.append(f"Nov 20 {t} mx1 postfix/qmgr[102]: {qid}: removed")
    return lines


def write_log(path: Path, lines: list[str], *, append: bool = False) -> str:
    """Write (or append) lines; the file's mtime is the test clock (the parser's year anchor)."""
    with path.open("a" if append else "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    os.utime(path, (CLOCK, CLOCK))
    return f"file:{path}"


def prepared_cache(tmp_path: Path, lines: list[str] | None = None) -> tuple[str, str]:
    """A cache synced from the test log: returns (source URL, cache URL)."""
    source = write_log(tmp_path / "mail.log", base_lines() if lines is None else lines)
    cache_url = f"sqlite:///{tmp_path / 'cache.sqlite3'}"
    with Cache.open(cache_url) as cache:
        report = sync_sources(cache, [source], mta="postfix", tz=UTC, now=CLOCK)
    assert not report.errors, report.errors
    return source, cache_url


def make_app(source: str, cache_url: str, *, form: FormValues | None = None, sync_on_start: bool = False,
             page_size: int = 100) -> TracktuiApp:
    """The app as the CLI builds it, on the test log, with the fixed clock and zone."""
    options = AppOptions(
        tz=UTC, sources=(source,), cache_url=cache_url, form=form or FormValues(), clock=lambda: CLOCK,
        mta="postfix", log_tz=UTC, sync_on_start=sync_on_start, page_size=page_size,
    )
    return build_app(options)


async def settle(app: TracktuiApp, pilot: object, rounds: int = 3) -> None:
    """Let workers finish and their messages be handled."""
    import asyncio

    from textual.worker import WorkerState

    loop = asyncio.get_running_loop()
    deadline = loop.time() + 30
    for _ in range(rounds):
        while any(w.state in (WorkerState.PENDING, WorkerState.RUNNING) for w in app.workers):
            assert loop.time() < deadline, "workers did not finish"
            await pilot.pause(0.01)  # type: ignore[attr-defined]
        await pilot.pause()  # type: ignore[attr-defined]
