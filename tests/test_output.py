"""Table, CSV and JSON output of deliveries, and the terminal-safety of log text."""

from __future__ import annotations

import csv
import io
import json
import re
import tracemalloc
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from rich.cells import cell_len

from tracktui.model import AttemptResult, AttemptRow, DeliveryRow, Status
from tracktui.output import (
    ATTEMPT_FIELDS,
    CSV_FIELDS,
    HOP_FIELDS,
    JSON_FIELDS,
    fit,
    iso_utc,
    table_columns,
    write_csv,
    write_json,
    write_json_pairs,
    write_table,
)
from tracktui.smtp import explain
from tracktui.textsafe import is_clean, sanitize

T0 = datetime(2026, 11, 27, 9, 0, 1, tzinfo=ZoneInfo("UTC")).timestamp()
BERLIN = ZoneInfo("Europe/Berlin")
HOSTILE_SUBJECT = "[bold red]x[/] \x1b[31mRED\x1b[0m \x1b]0;pwned\x07 [@click=app.quit] \u202eevil"
RTL = "שלום עולם مرحبا"


def row(index: int = 1, **changes: object) -> DeliveryRow:
    base = DeliveryRow(
        delivery_id=index,
        message_key=1000 + index,
        time=T0 + index,
        message_time=T0 - 60,
        host="mx1.example.com",
        mta="postfix",
        queue_id="4F9D195432",
        message_id="<20261127.abc@example.com>",
        sender="alice@example.com",
        recipient=f"bob{index}@example.net",
        orig_recipient=None,
        subject="Quarterly numbers",
        size=4321,
        status=Status.DEFERRED,
        attempt_count=2,
        relay="mx.example.net[192.0.2.7]:25",
        delay=3.5,
        code=452,
        dsn="4.2.2",
        reply="host mx.example.net[192.0.2.7] said: 452 4.2.2 Mailbox full (in reply to RCPT TO command)",
    )
    return replace(base, **changes)


def attempts_for(delivery: DeliveryRow) -> list[AttemptRow]:
    return [
        AttemptRow(delivery.time - 600, AttemptResult.DEFERRED, None, None, None, "4.4.1", "connect timed out"),
        AttemptRow(delivery.time, AttemptResult.DEFERRED, delivery.relay, 3.5, delivery.code, delivery.dsn,
                   delivery.reply),
    ]


# -- sanitize ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("plain text", "plain text"),
        ("\x1b[31mred\x1b[0m", "red"),
        ("a\x1b]0;title\x07b", "ab"),
        ("a\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\b", "alinkb"),
        ("\x9b31mq", "q"),
        ("abc\u202edcba\u2066x\u2069", "abcdcbax"),
        ("x\r\ny\tz", "x  y z"),
        ("a\x00b\x7fc\x08d", "abcd"),
        ("bad\ud800x", "bad\ufffdx"),
        ("[bold red]x", "[bold red]x"),
        (RTL, RTL),
        ("emoji 👩\u200d💻 and ZWNJ می\u200cخواهم", "emoji 👩\u200d💻 and ZWNJ می\u200cخواهم"),
        (None, ""),
    ],
)
def test_sanitize(raw: str | None, shown: str) -> None:
    assert sanitize(raw) == shown


def test_sanitize_cuts_huge_text() -> None:
    text = sanitize("x" * 20_000, max_length=100)
    assert len(text) == 101 and text.endswith("…")
    assert is_clean("hello") and not is_clean("he\x1bllo")


# -- JSON -------------------------------------------------------------------------------------------


def test_json_has_exactly_the_design_fields() -> None:
    out = io.StringIO()
    count = write_json([row(1), row(2, status=Status.DELIVERED, code=250, dsn="2.0.0", reply="250 2.0.0 Ok")],
                       attempts_for, out)
    data = json.loads(out.getvalue())
    assert count == 2 and isinstance(data, list) and len(data) == 2
    assert [list(item) for item in data] == [list(JSON_FIELDS)] * 2
    assert set(JSON_FIELDS) == {"time", "host", "queue_id", "message_id", "sender", "recipient", "final_recipient",
                                "direction", "subject", "status", "dsn", "dsn_derived", "reply", "relay", "explanation",
                                "reason", "provider", "help_url", "attempts", "hops"}
    assert list(JSON_FIELDS).index("reason") == list(JSON_FIELDS).index("explanation") + 1
    assert all(list(hop) == list(HOP_FIELDS) for item in data for hop in item["hops"])
    first = data[0]
    assert first["time"] == "2026-11-27T09:00:02Z"
    assert first["host"] == "mx1.example.com"
    assert first["queue_id"] == "4F9D195432"
    assert first["message_id"] == "<20261127.abc@example.com>"
    assert first["sender"] == "alice@example.com"
    assert first["recipient"] == "bob1@example.net"
    assert first["status"] == "deferred"
    assert first["dsn"] == "4.2.2"
    assert first["relay"] == "mx.example.net[192.0.2.7]:25"
    assert first["reply"].startswith("host mx.example.net")
    assert first["explanation"] == explain(452, "4.2.2", first["reply"], Status.DEFERRED).summary
    assert "full" in first["explanation"].lower()
    assert data[1]["explanation"] != first["explanation"]
    assert first["reason"] == "mailbox-full" and data[1]["reason"] is None
    assert first["provider"] is None and first["help_url"] is None
    assert first["attempts"] == [
        {"time": "2026-11-27T08:50:02Z", "relay": None, "dsn": "4.4.1", "reply": "connect timed out",
         "reason": "connection"},
        {"time": "2026-11-27T09:00:02Z", "relay": "mx.example.net[192.0.2.7]:25", "dsn": "4.2.2",
         "reply": first["reply"], "reason": "mailbox-full"},
    ]
    assert all(list(attempt) == list(ATTEMPT_FIELDS) for item in data for attempt in item["attempts"])


def test_json_names_the_provider_and_its_help_page() -> None:
    reply = ("host gmail-smtp-in.l.google.com[172.217.197.26] said: 550-5.7.26 This message does not have "
             "authentication information or fails to 550-5.7.26 pass authentication checks. - gsmtp "
             "(in reply to end of DATA command)")
    gmail = row(status=Status.BOUNCED, code=550, dsn="5.7.26", reply=reply,
                relay="gmail-smtp-in.l.google.com[172.217.197.26]:25")
    out = io.StringIO()
    write_json_pairs([(gmail, [])], out)
    (item,) = json.loads(out.getvalue())
    assert item["reason"] == "auth"
    assert item["provider"] == "Gmail (Google)"
    assert item["help_url"] == "https://support.google.com/mail/answer/81126"
    assert "Gmail" in item["explanation"]


def test_json_refusal_by_our_server_names_no_provider() -> None:
    reply = "554 5.7.1 Service unavailable; Client host [192.0.2.9] blocked using zen.spamhaus.org; gsmtp"
    ours = row(status=Status.BOUNCED, code=554, dsn="5.7.1", reply=reply, relay=None, refused_here=True,
               client="mail-lb0-f181.google.com[209.85.217.181]")
    out = io.StringIO()
    write_json_pairs([(ours, [])], out)
    (item,) = json.loads(out.getvalue())
    assert item["reason"] == "blocklisted"
    assert item["provider"] is None and item["help_url"] is None


def test_json_nulls_and_no_attempts() -> None:
    out = io.StringIO()
    write_json_pairs([(row(subject=None, message_id=None, relay=None, dsn=None, reply=None, code=None), [])], out)
    (item,) = json.loads(out.getvalue())
    assert item["subject"] is None and item["message_id"] is None and item["reply"] is None
    assert item["attempts"] == []
    assert isinstance(item["explanation"], str) and item["explanation"]


def test_json_empty_is_an_empty_array() -> None:
    out = io.StringIO()
    assert write_json([], attempts_for, out) == 0
    assert json.loads(out.getvalue()) == []
    assert out.getvalue() == "[]\n"


def test_json_keeps_hostile_text_exactly_and_stays_ascii() -> None:
    out = io.StringIO()
    hostile = row(subject=HOSTILE_SUBJECT, reply="550 \x1b[2J" + RTL, sender="we\"ird\\@example.com")
    write_json([hostile], lambda _: [], out)
    text = out.getvalue()
    assert text.isascii() and "\x1b" not in text
    (item,) = json.loads(text)
    assert item["subject"] == HOSTILE_SUBJECT
    assert item["reply"] == "550 \x1b[2J" + RTL
    assert item["sender"] == "we\"ird\\@example.com"


def test_json_time_is_whole_seconds_utc() -> None:
    assert iso_utc(T0 + 0.999) == "2026-11-27T09:00:01Z"
    assert iso_utc(0) == "1970-01-01T00:00:00Z"


def test_json_streams_each_element_before_reading_the_next_row() -> None:
    out = io.StringIO()

    def rows() -> Iterator[DeliveryRow]:
        for index in range(1, 4):
            if index > 1:
                # The previous element must already be written when the next row is pulled.
                assert f"bob{index - 1}@example.net" in out.getvalue()
            yield row(index)

    assert write_json(rows(), lambda _: [], out) == 3
    assert len(json.loads(out.getvalue())) == 3


class CountingSink(io.TextIOBase):
    """A text file that keeps only the number of characters written."""

    def __init__(self) -> None:
        self.chars = 0

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.chars += len(text)
        return len(text)


def test_json_memory_stays_flat_for_many_rows() -> None:
    template = row(subject="s" * 200, reply="r" * 300)
    sink = CountingSink()
    rows = (replace(template, delivery_id=index, time=T0 + index) for index in range(10_000))
    tracemalloc.start()
    try:
        count = write_json(rows, lambda _: [], sink)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 10_000
    assert sink.chars > 10_000 * 700  # ~8 MB of JSON went through...
    assert peak < 2_000_000  # ...without holding it


# -- CSV --------------------------------------------------------------------------------------------


def test_csv_header_fields_and_quoting() -> None:
    out = io.StringIO()
    tricky = row(subject='Hello, "world"\nsecond line', reply="550 5.1.1 <x@y>: Recipient address rejected")
    assert write_csv([tricky, row(2, attempt_count=1)], out) == 2
    records = list(csv.reader(io.StringIO(out.getvalue())))
    assert records[0] == list(CSV_FIELDS)
    assert "attempts" in records[0]
    first = dict(zip(records[0], records[1], strict=True))
    assert first["subject"] == 'Hello, "world" second line'
    assert first["time"] == "2026-11-27T09:00:02Z"
    assert first["attempts"] == "2"
    assert first["status"] == "deferred"
    assert first["explanation"]
    second = dict(zip(records[0], records[2], strict=True))
    assert second["attempts"] == "1"
    assert len(records) == 3


def test_csv_empty_has_only_the_header() -> None:
    out = io.StringIO()
    assert write_csv([], out) == 0
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [list(CSV_FIELDS)]


def test_csv_is_defused_for_terminals_and_spreadsheets() -> None:
    shown = io.StringIO()
    write_csv([row(subject=HOSTILE_SUBJECT, message_id=None)], shown)
    assert "\x1b" not in shown.getvalue() and "\u202e" not in shown.getvalue() and "\x07" not in shown.getvalue()
    assert "[bold red]x[/]" in shown.getvalue()


@pytest.mark.parametrize("value", ['=HYPERLINK("http://x.example","y")', "+1+1", "-2+3", "@SUM(A1)", "\t=1",
                                   "\r=1"])
def test_csv_cells_never_start_a_formula(value: str) -> None:
    out = io.StringIO()
    write_csv([row(subject=value, sender=value)], out)
    record = next(iter(csv.DictReader(io.StringIO(out.getvalue()))))
    for field in ("subject", "sender"):
        assert record[field].startswith("'"), record[field]
        assert record[field] == "'" + sanitize(value)  # the text itself is kept, shown as the table shows it


def test_csv_replaces_lone_surrogates_so_output_encodes() -> None:
    out = io.StringIO()
    write_csv([row(subject="bad\ud800x")], out)
    out.getvalue().encode("utf-8")  # would raise on a lone surrogate
    assert "bad\ufffdx" in out.getvalue()


# -- table ------------------------------------------------------------------------------------------


def table(rows: list[DeliveryRow], width: int = 120, *, color: bool = False) -> str:
    out = io.StringIO()
    write_table(rows, width, out, tz=BERLIN, color=color)
    return out.getvalue()


def test_table_has_a_header_and_one_line_per_row() -> None:
    text = table([row(1), row(2, status=Status.BOUNCED)])
    lines = text.splitlines()
    assert len(lines) == 3
    assert lines[0].split() == ["TIME", "STATUS", "RECIPIENT", "SENDER", "SUBJECT", "DSN", "REASON", "REPLY"]
    assert lines[1].startswith("2026-11-27 10:00")  # 09:00:02 UTC shown in Berlin time
    assert "deferred" in lines[1] and "bounced" in lines[2]
    assert "bob1@example.net" in lines[1] and "4.2.2" in lines[1]


@pytest.mark.parametrize("width", [40, 60, 80, 100, 132, 200])
def test_table_fits_the_terminal(width: int) -> None:
    long = row(subject="S" * 5000, reply="R" * 5000, recipient="very.long.recipient.name@sub.example.net")
    for line in table([long, row(2, subject="漢字" * 100)], width).splitlines():
        assert cell_len(line) <= width
    columns = table_columns(width)
    assert sum(column.width for column in columns) + (len(columns) - 1) * (2 if width >= 120 else 1) <= max(width, 40)


def test_long_cells_are_ellipsised() -> None:
    text = table([row(subject="S" * 5000)], 160)
    assert "S…" in text and "S" * 200 not in text


def test_narrow_terminals_drop_subject_first_then_sender() -> None:
    names = [column.name for column in table_columns(80)]
    assert "subject" not in names and "reason" in names and "recipient" in names and "sender" in names
    assert "reply" not in names  # the raw reply goes first: its head says nothing at this width
    names = [column.name for column in table_columns(50)]
    assert names[:3] == ["time", "status", "recipient"]
    assert "subject" not in names and "sender" not in names
    wide = [column.name for column in table_columns(160)]
    assert wide == ["time", "status", "recipient", "sender", "subject", "dsn", "reason", "reply"]


def test_table_shows_hostile_text_literally_and_without_escapes() -> None:
    text = table([row(subject=HOSTILE_SUBJECT, reply="[@click=app.quit] \x1b[2J" + RTL)], 400)
    assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
    assert "[bold red]x[/]" in text  # markup is shown, not applied
    assert "REDpwned" not in text and "RED" in text  # the OSC title was dropped entirely
    assert "[@click=app.quit]" in text
    assert RTL in text


def test_colored_table_only_contains_rich_styles() -> None:
    text = table([row(subject=HOSTILE_SUBJECT, status=Status.BOUNCED)], 200, color=True)
    assert "\x1b[" in text  # colours are on
    assert "\x1b]" not in text and "\x07" not in text and "\u202e" not in text
    assert "[bold red]x[/]" in text


def test_table_time_in_another_zone() -> None:
    out = io.StringIO()
    write_table([row()], 120, out, tz=ZoneInfo("America/New_York"), color=False)
    assert out.getvalue().splitlines()[1].startswith("2026-11-27 04:00")


def test_plain_and_coloured_tables_show_the_same_text() -> None:
    rows = [row(1, subject="S" * 300), row(2, subject="漢字" * 40, reply=RTL * 5), row(3, subject=HOSTILE_SUBJECT)]
    plain = table(rows, 132)
    coloured = re.sub(r"\x1b\[[0-9;]*m", "", table(rows, 132, color=True))
    assert [line.rstrip() for line in coloured.splitlines()] == [line.rstrip() for line in plain.splitlines()]


def test_fit() -> None:
    assert fit("abcdef", 4) == "abc…"
    assert fit("ab", 4) == "ab  " and fit("ab", 4, pad=False) == "ab"
    assert cell_len(fit("漢字漢字漢字", 5)) == 5 and fit("漢字漢字漢字", 5).endswith("…")
    assert fit("漢字", 6) == "漢字  "


def test_a_failure_logged_without_a_dsn_shows_the_derived_one_marked() -> None:
    out = io.StringIO()
    exim_row = row(1, dsn=None, code=None, reply="Connection refused", relay="mx.closed.example[192.0.2.3]:25")
    write_json([exim_row, row(2)], attempts_for, out)
    derived, logged = json.loads(out.getvalue())
    assert (derived["dsn"], derived["dsn_derived"]) == ("4.4.1", True)
    assert logged["dsn_derived"] is False and logged["dsn"] == row(2).dsn
    table = io.StringIO()
    write_table([exim_row], 120, table, tz=None)
    assert "4.4.1*" in table.getvalue()
